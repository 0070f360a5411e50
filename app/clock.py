""" "Today" for the NMRF: the date in RECTRACK_TIMEZONE (DESIGN §7), not the server's or UTC's.

An NMRF in Samoa (UTC+13) has its next day thirteen hours before UTC: overdue actions and
future-dated measurements are judged by its calendar. One process serves one NMRF, so the zone
is set once, by create_app.
"""

import datetime as dt
from zoneinfo import ZoneInfo

_zone = ZoneInfo("UTC")


def use_timezone(name: str) -> None:
    global _zone
    _zone = ZoneInfo(name)


def today() -> dt.date:
    return dt.datetime.now(_zone).date()
