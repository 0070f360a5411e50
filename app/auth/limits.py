"""Login limits (DESIGN §8): failures from elsewhere never lock a person out of their own
account from their own address.

Three limits, checked before a password or code is looked at, so that a right guess does not
get through them:

1. per account and client address, a hard limit in a short window: guessing from one place;
2. per client address, across accounts: spraying many accounts from one place, and the hashing
   work one address can cause;
3. per account from anywhere, past a threshold in a long window: a delay between attempts that
   doubles with each further failure, up to a ceiling. An attacker spraying from many addresses
   is slowed; nobody is locked out for good.

An address the account signed in from recently is spared 2 and 3: made-up emails sent from an
office's NAT, or failures from a thousand other addresses, leave its people alone. Only 1 binds
there, and only failures from that very address count toward it.

Every attempt is recorded as a failure before its password or code is checked (`reserve`), and
counted against the limits in the same short transaction of its own, committed at once; attempts
on one account or from one address take turns at it. So attempts sent in parallel are decided one
after another, each seeing the ones before: no more get through than the limits allow (checking
first and recording after the hash let them all through). A right credential
takes its record back (`release`, or record_success); so does an attempt refused unchecked.
"""

import datetime as dt
import ipaddress
import math
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.db import insert_missing
from app.models.base import utcnow
from app.models.credentials import SignInAddress
from app.models.user import LoginFailure, User

UNKNOWN_CLIENT = "unknown"


def client_key(address: str | None) -> str:
    """The address failures are counted under: an IPv6 client by its /64 network, since one
    machine commonly holds a whole /64 and could otherwise take a fresh address per guess."""
    if not address:
        return UNKNOWN_CLIENT
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _seconds_until(moment: dt.datetime, now: dt.datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


async def _count_since(
    session: AsyncSession, since: dt.datetime, *conditions: Any
) -> tuple[int, dt.datetime | None, dt.datetime | None]:
    """How many failures match, and the oldest and newest of them."""
    count, oldest, newest = (
        await session.execute(
            select(func.count(), func.min(LoginFailure.at), func.max(LoginFailure.at)).where(
                LoginFailure.at > since, *conditions
            )
        )
    ).one()
    aware = [
        m.replace(tzinfo=dt.UTC) if m is not None and m.tzinfo is None else m
        for m in (oldest, newest)
    ]
    return int(count), aware[0], aware[1]


async def is_known_address(
    session: AsyncSession, user: User, client: str, settings: Settings
) -> bool:
    since = utcnow() - dt.timedelta(days=settings.login_known_address_days)
    found = await session.scalar(
        select(SignInAddress.client).where(
            SignInAddress.user_id == user.id,
            SignInAddress.client == client,
            SignInAddress.last_signed_in_at > since,
        )
    )
    return found is not None


async def retry_after(
    session: AsyncSession,
    email: str,
    user: User | None,
    client: str,
    settings: Settings,
    *,
    besides: int | None = None,
) -> int | None:
    """Seconds before this account may be tried again from this client, or None if now.
    `besides`: the attempt being decided, whose own record does not count against it."""
    now = utcnow()
    window = dt.timedelta(minutes=settings.login_window_minutes)
    others = () if besides is None else (LoginFailure.id != besides,)
    count, oldest, _ = await _count_since(
        session, now - window, LoginFailure.email == email, LoginFailure.client == client, *others
    )
    if count >= settings.login_failures_per_account_and_client and oldest is not None:
        return _seconds_until(oldest + window, now)
    if user is not None and await is_known_address(session, user, client, settings):
        return None
    count, oldest, _ = await _count_since(
        session, now - window, LoginFailure.client == client, *others
    )
    if count >= settings.login_failures_per_client and oldest is not None:
        return _seconds_until(oldest + window, now)
    long_window = dt.timedelta(hours=settings.login_account_window_hours)
    count, _, newest = await _count_since(
        session, now - long_window, LoginFailure.email == email, *others
    )
    beyond = count - settings.login_failures_per_account
    if beyond >= 0 and newest is not None:
        delay = min(settings.login_max_delay_seconds, 2 ** min(beyond, 30))
        if now < newest + dt.timedelta(seconds=delay):
            return _seconds_until(newest + dt.timedelta(seconds=delay), now)
    return None


@dataclass(frozen=True)
class Attempt:
    """A sign-in attempt, recorded as a failure until its credential proves right."""

    id: int
    # Seconds to wait: the attempt was over a limit, is not checked, and its record is gone.
    retry_after: int | None
    # The account the email names, as the attempt found it (None: no such account).
    user_id: uuid.UUID | None
    password_hash: str | None


def _own_session(session: AsyncSession) -> AsyncSession:
    """A session of its own on the request's engine: what it commits is seen by the other
    requests at once, whatever becomes of the request's transaction."""
    return AsyncSession(session.bind, expire_on_commit=False, autoflush=False)


async def _one_at_a_time(session: AsyncSession, email: str, client: str) -> None:
    """Until this transaction ends, attempts on the same account or from the same address wait.
    PostgreSQL: transaction-scoped advisory locks, the account's first (always in that order,
    so two attempts never wait on each other); their two key spaces never collide. SQLite: the
    insert that follows takes the database's write lock, which does the same."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for space, value in ((1, email), (2, client)):
        await session.execute(
            text("SELECT pg_advisory_xact_lock(:space, hashtext(:value))"),
            {"space": space, "value": value},
        )


async def reserve(
    session: AsyncSession, email: str, client: str, settings: Settings, user: User | None = None
) -> Attempt:
    """Record an attempt on `email` from `client` and decide whether it may be checked, in one
    short transaction of its own that attempts on the same account or address go through one
    at a time. With no `user`, the account is looked up by email here, so that the request
    holds no database connection while the password is hashed."""
    async with _own_session(session) as own, own.begin():
        if user is None:
            user = (await own.scalars(select(User).where(User.email == email))).one_or_none()
        await _one_at_a_time(own, email, client)
        row = await _record(own, email, client, settings)
        wait = await retry_after(own, email, user, client, settings, besides=row.id)
        if wait is not None:
            await own.execute(delete(LoginFailure).where(LoginFailure.id == row.id))
    return Attempt(row.id, wait, user.id if user else None, user.password_hash if user else None)


async def release(session: AsyncSession, attempt: Attempt, *, at_once: bool = False) -> None:
    """The credential was right: the attempt is no failure. `at_once`: in a transaction of its
    own, for a request that reserves another attempt next (a password, then a code): on SQLite
    the request's transaction must not hold the write lock that the next `reserve` waits for."""
    if not at_once:
        await session.execute(delete(LoginFailure).where(LoginFailure.id == attempt.id))
        return
    async with _own_session(session) as own, own.begin():
        await own.execute(delete(LoginFailure).where(LoginFailure.id == attempt.id))


async def _record(
    session: AsyncSession, email: str, client: str, settings: Settings
) -> LoginFailure:
    now = utcnow()
    # Failures older than the longest window no longer count: drop this account's and this
    # address's, so that the table holds about one window of failures, not all of history.
    longest = max(
        dt.timedelta(minutes=settings.login_window_minutes),
        dt.timedelta(hours=settings.login_account_window_hours),
    )
    await session.execute(
        delete(LoginFailure).where(
            or_(LoginFailure.email == email, LoginFailure.client == client),
            LoginFailure.at < now - longest,
        )
    )
    row = LoginFailure(email=email, client=client, at=now)
    session.add(row)
    await session.flush()
    return row


async def record_success(session: AsyncSession, user: User, client: str) -> None:
    """Remember the address, and forget this address's failures on the account: the person
    got in, so the mistakes before were theirs."""
    now = utcnow()
    await session.execute(
        delete(LoginFailure).where(LoginFailure.email == user.email, LoginFailure.client == client)
    )
    added = await insert_missing(
        session,
        SignInAddress,
        [{"user_id": user.id, "client": client, "last_signed_in_at": now}],
        SignInAddress.client,
    )
    if not added:
        await session.execute(
            update(SignInAddress)
            .where(SignInAddress.user_id == user.id, SignInAddress.client == client)
            .values(last_signed_in_at=now)
        )


async def clear_failures(session: AsyncSession, email: str) -> int:
    """Forget every failure on the account (`rectrack unlock`): its limits start afresh."""
    result = await session.execute(delete(LoginFailure).where(LoginFailure.email == email))
    return int(getattr(result, "rowcount", 0) or 0)
