"""Real Chromium for the page tests: Debian's chromium and chromium-driver, driven by Selenium,
with the app served by Uvicorn in a background thread.

Without the browser the tests skip and say why; under CI=true its absence fails the run.
"""

import asyncio
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = Path(os.environ.get("RECTRACK_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("RECTRACK_CHROMEDRIVER", "/usr/bin/chromedriver"))
FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run",
)  # fmt: skip


def require_browser() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if not missing:
        return
    reason = f"{', '.join(missing)} not found (apt-get install chromium chromium-driver)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but the browser tests cannot run: {reason}")
    pytest.skip(f"browser tests skipped: {reason}")


def chromium(width: int = 1280, height: int = 900) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--window-size={width},{height}")
    return webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Serve `app` on a free port of 127.0.0.1 from a thread with its own event loop."""
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def page_weight(driver: webdriver.Chrome) -> int:
    """Bytes of HTML, CSS and scripts this page load took (images, such as the chart, aside)."""
    script = """
      const nav = performance.getEntriesByType('navigation')[0];
      const own = (e) => Math.max(e.transferSize || 0, e.encodedBodySize || 0);
      let total = own(nav);
      for (const e of performance.getEntriesByType('resource')) {
        if (e.initiatorType === 'link' || e.initiatorType === 'script' || e.initiatorType === 'css')
          total += own(e);
      }
      return total;
    """
    return int(driver.execute_script(script))


def axe_problems(driver: webdriver.Chrome) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations on the page shown."""
    from axe_selenium_python import Axe

    axe = Axe(driver)
    axe.inject()
    results = axe.run()
    return [v for v in results["violations"] if v["impact"] in ("serious", "critical")]


def screenshots_folder(base: Path) -> Path:
    chosen = os.environ.get("RECTRACK_SCREENSHOT_DIR")
    folder = Path(chosen) if chosen else base
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def full_page_screenshot(driver: webdriver.Chrome, path: Path) -> None:
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    driver.set_window_size(driver.get_window_size()["width"], min(max(height + 140, 600), 6000))
    driver.save_screenshot(str(path))
