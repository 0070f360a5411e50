"""The retry schedule of the worker's deliveries (webhooks, notification mails): after the n-th
failure, wait 1 minute, then 2, 4, 8… capped at 24 hours."""

import datetime as dt

FIRST_RETRY = dt.timedelta(minutes=1)
LONGEST_WAIT = dt.timedelta(hours=24)


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th failure."""
    wait: dt.timedelta = min(FIRST_RETRY * 2 ** min(attempts - 1, 20), LONGEST_WAIT)
    return wait
