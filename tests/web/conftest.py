import pytest

from tests.web import test_in_chromium


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    folders = terminalreporter.config.stash.get(test_in_chromium.SCREENSHOTS, set())
    for folder in sorted(folders):
        terminalreporter.write_line(f"workspace screenshots: {folder}")
