"""Users, institutions and tokens made directly in the database, for tests that need callers."""

import datetime as dt
import itertools
import uuid

from fastapi import FastAPI

from app.auth.security import hash_password, issue_access_token, new_api_token
from app.models.institution import Institution, InstitutionKind
from app.models.user import ApiToken, Role, TokenScope, User

PASSWORD = "correct-horse-battery-staple-42"
_numbers = itertools.count(1)


async def make_institution(app: FastAPI, name: str | None = None) -> Institution:
    institution = Institution(
        id=uuid.uuid4(),
        name=name or f"Ministry {next(_numbers)}",
        kind=InstitutionKind.ministry,
        archived=False,
    )
    async with app.state.sessionmaker() as session, session.begin():
        session.add(institution)
    return institution


async def make_user(
    app: FastAPI,
    role: Role,
    *,
    email: str | None = None,
    institution_id: uuid.UUID | None = None,
    active: bool = True,
) -> User:
    if role is Role.focal_point and institution_id is None:
        institution_id = (await make_institution(app)).id
    user = User(
        id=uuid.uuid4(),
        email=email or f"{role}-{next(_numbers)}@example.org",
        name=f"Test {role}",
        role=role,
        institution_id=institution_id,
        password_hash=hash_password(PASSWORD, app.state.settings),
        active=active,
        session_version=1,
    )
    async with app.state.sessionmaker() as session, session.begin():
        session.add(user)
    return user


def bearer(app: FastAPI, user: User) -> dict[str, str]:
    token = issue_access_token(user.id, user.session_version, app.state.settings)
    return {"Authorization": f"Bearer {token}"}


async def make_api_token(
    app: FastAPI,
    user: User,
    scope: TokenScope,
    *,
    expires_at: dt.datetime | None = None,
    revoked: bool = False,
) -> tuple[uuid.UUID, str]:
    fresh = new_api_token()
    token = ApiToken(
        id=uuid.uuid4(),
        user_id=user.id,
        name=f"{scope} token",
        scope=scope,
        lookup_prefix=fresh.lookup_prefix,
        secret_hash=fresh.secret_hash,
        expires_at=expires_at,
        revoked_at=dt.datetime.now(dt.UTC) if revoked else None,
        created_at=dt.datetime.now(dt.UTC),
    )
    async with app.state.sessionmaker() as session, session.begin():
        session.add(token)
    return token.id, fresh.secret
