"""The access log never carries a password-reset token."""

import logging

import pytest
from fastapi import FastAPI

from tests.web.pages import browser


async def test_a_reset_links_token_is_masked_in_the_access_log(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    log = logging.getLogger("uvicorn.access")
    record = log.makeRecord(
        log.name, logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/reset-password?token=SECRET-123&x=1", "1.1", 303), None,
    )  # fmt: skip
    for kept in log.filters:
        assert kept.filter(record)  # type: ignore[union-attr]
    message = record.getMessage()
    assert "SECRET-123" not in message
    assert "/reset-password?token=***&x=1" in message
    async with browser(app) as client:  # the app installs the filter once, whatever it serves
        assert (await client.get("/healthz")).status_code == 200
    assert sum(type(f).__name__ == "MaskSecretParameters" for f in log.filters) == 1
