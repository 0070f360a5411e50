"""test_in_chromium's fixtures, for more pages in Chromium: each module here gets a server of
its own."""

from tests.web.test_in_chromium import browser_database, driver, served

__all__ = ["browser_database", "driver", "served"]
