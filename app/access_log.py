"""Secrets out of the access log: a password-reset link's token is a key to an account for a day,
and uvicorn writes every request's path and query, which operators ship and keep."""

import logging
import re

_SECRET_PARAMETER = re.compile(r"(?<=[?&]token=)[^&\s]+")


class MaskSecretParameters(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # uvicorn.access: (client, method, path with query, HTTP version, status)
        if isinstance(record.args, tuple) and len(record.args) >= 3:
            args = list(record.args)
            if isinstance(args[2], str):
                args[2] = _SECRET_PARAMETER.sub("***", args[2])
                record.args = tuple(args)
        return True


def mask_secrets_in_access_log() -> None:
    log = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, MaskSecretParameters) for f in log.filters):
        log.addFilter(MaskSecretParameters())
