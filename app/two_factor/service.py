"""A person's second factor: enrolling a TOTP app, recovery codes, checking a code, removing it.

The secret is shown once, at enrolment, and stored encrypted; recovery codes are shown once and
stored hashed. A code is accepted once: the time step of the last accepted TOTP code is kept,
and a recovery code is marked used, each by one conditional UPDATE so that two requests with the
same code cannot both pass.
"""

import uuid
from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record_event
from app.auth import totp
from app.auth.principal import Principal
from app.config import Settings
from app.errors import Conflict, UnprocessableEntity
from app.models.base import utcnow
from app.models.credentials import RecoveryCode, TotpCredential
from app.models.user import User


@dataclass(frozen=True)
class Enrolment:
    secret: str
    otpauth_uri: str
    qr_code_svg: str


@dataclass(frozen=True)
class SecondFactorState:
    enabled: bool
    pending: bool
    recovery_codes_left: int


async def is_enrolled(session: AsyncSession, user_id: uuid.UUID) -> bool:
    confirmed = await session.scalar(
        select(TotpCredential.confirmed_at).where(TotpCredential.user_id == user_id)
    )
    return confirmed is not None


async def state(session: AsyncSession, user_id: uuid.UUID) -> SecondFactorState:
    credential = await session.get(TotpCredential, user_id)
    left = await session.scalar(
        select(func.count()).where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
    )
    return SecondFactorState(
        enabled=credential is not None and credential.confirmed_at is not None,
        pending=credential is not None and credential.confirmed_at is None,
        recovery_codes_left=int(left or 0),
    )


async def _take_totp_code(
    session: AsyncSession, user_id: uuid.UUID, code: str, settings: Settings
) -> bool:
    credential = await session.get(TotpCredential, user_id)
    if credential is None or credential.confirmed_at is None:
        return False
    secret = totp.decrypt_secret(credential.secret_encrypted, user_id, settings)
    step = None if secret is None else totp.matching_step(secret, code, utcnow())
    if step is None:
        return False
    taken = await session.execute(
        update(TotpCredential)
        .where(
            TotpCredential.user_id == user_id,
            or_(TotpCredential.last_step.is_(None), TotpCredential.last_step < step),
        )
        .values(last_step=step)
        .execution_options(synchronize_session=False)
    )
    return bool(taken.rowcount)  # type: ignore[attr-defined]


async def _take_recovery_code(session: AsyncSession, user_id: uuid.UUID, code: str) -> bool:
    taken = await session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.code_hash == totp.hash_recovery_code(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(taken.rowcount)  # type: ignore[attr-defined]


async def take_code(session: AsyncSession, user: User, code: str, settings: Settings) -> bool:
    """Whether `code` (six digits from the app, or a recovery code) is right and unused; a right
    one is used up. False when the account has no confirmed second factor."""
    code = code.strip().replace(" ", "")
    if totp.looks_like_totp(code):
        return await _take_totp_code(session, user.id, code, settings)
    if not await is_enrolled(session, user.id):
        return False
    return await _take_recovery_code(session, user.id, code)


async def start_enrolment(
    session: AsyncSession, user: User, settings: Settings, actor: Principal
) -> Enrolment:
    """A new secret, pending until confirmed with a first code; starting again replaces it."""
    credential = await session.get(TotpCredential, user.id)
    if credential is not None and credential.confirmed_at is not None:
        raise Conflict("A second factor is enrolled already; disable it first to replace it.")
    secret = totp.new_secret()
    sealed = totp.encrypt_secret(secret, user.id, settings)
    if credential is None:
        session.add(TotpCredential(user_id=user.id, secret_encrypted=sealed, created_at=utcnow()))
    else:
        credential.secret_encrypted = sealed
        credential.created_at = utcnow()
        credential.last_step = None
    await session.flush()
    await record_event(session, actor, "start_second_factor", "user", str(user.id), {})
    uri = totp.provisioning_uri(secret, user.email)
    return Enrolment(secret=secret, otpauth_uri=uri, qr_code_svg=totp.qr_code_svg(uri))


async def _new_recovery_codes(session: AsyncSession, user_id: uuid.UUID) -> list[str]:
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = totp.new_recovery_codes()
    session.add_all(
        RecoveryCode(id=uuid.uuid4(), user_id=user_id, code_hash=totp.hash_recovery_code(c))
        for c in codes
    )
    await session.flush()
    return codes


async def confirm_enrolment(
    session: AsyncSession, user: User, code: str, settings: Settings, actor: Principal
) -> list[str]:
    """Turn the pending secret on with a first code; answers the recovery codes, shown once."""
    credential = await session.get(TotpCredential, user.id)
    if credential is None or credential.confirmed_at is not None:
        raise Conflict("There is no enrolment waiting to be confirmed; start one first.")
    secret = totp.decrypt_secret(credential.secret_encrypted, user.id, settings)
    step = None
    if secret is not None and totp.looks_like_totp(code.strip()):
        step = totp.matching_step(secret, code.strip(), utcnow())
    if step is None:
        raise UnprocessableEntity.for_field(
            "body.code", "the code is not right: enter the six digits the app shows now",
            "wrong_code",
        )  # fmt: skip
    credential.confirmed_at = utcnow()
    credential.last_step = step
    # Sessions and login tokens taken with the password alone end: a stolen one must not
    # outlive the change that was meant to lock its thief out (sign in again with a code).
    user.session_version += 1
    codes = await _new_recovery_codes(session, user.id)
    await record_event(
        session, actor, "enable_second_factor", "user", str(user.id),
        {"second_factor": {"before": None, "after": "totp"}},
    )  # fmt: skip
    return codes


async def replace_recovery_codes(session: AsyncSession, user: User, actor: Principal) -> list[str]:
    if not await is_enrolled(session, user.id):
        raise Conflict("There is no second factor to make recovery codes for.")
    codes = await _new_recovery_codes(session, user.id)
    await record_event(session, actor, "replace_recovery_codes", "user", str(user.id), {})
    return codes


async def remove(session: AsyncSession, user: User, actor: Principal | None) -> bool:
    """Remove the account's second factor and recovery codes; False if it had none. Its
    sessions and login tokens end, as after a password change (the person's own removal, or an
    admin's after a lost phone)."""
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    removed = await session.execute(delete(TotpCredential).where(TotpCredential.user_id == user.id))
    if not removed.rowcount:  # type: ignore[attr-defined]
        return False
    user.session_version += 1
    await session.flush()
    await record_event(
        session, actor, "disable_second_factor", "user", str(user.id),
        {"second_factor": {"before": "totp", "after": None}},
    )  # fmt: skip
    return True
