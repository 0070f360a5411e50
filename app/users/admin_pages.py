"""/admin/users: accounts (DESIGN §6, §9). Who may read them (read_users) sees the list and each
account; admins (write_users) create accounts, change role, institution, name or state, and
issue a one-time password-reset link, unlock sign-in or remove a lost second factor, each with
the API's schema, service and permission."""

import secrets
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.db import SessionDep
from app.errors import Conflict, PreconditionFailed, PreconditionRequired, UnprocessableEntity
from app.models.user import Role, User
from app.password_resets import service as password_resets
from app.password_resets.pages import reset_link
from app.two_factor import service as two_factor
from app.users import service
from app.users.dependencies import user_by_id
from app.users.schemas import UserCreate, UserUpdate
from app.web import choices
from app.web.flash import flash
from app.web.forms import FieldErrors, form_values
from app.web.i18n import N_, Message
from app.web.records import STALE, check_form_version, form_problems, keyset_page
from app.web.sessions import CsrfDep, page_requires
from app.web.templating import NavItem, redirect, render

router = APIRouter(include_in_schema=False)
NAVIGATION = (NavItem("/admin/users", N_("Accounts"), permission=Permission.read_users),)
Reader = Annotated[Principal, page_requires(Permission.read_users)]
Admin = Annotated[Principal, page_requires(Permission.write_users)]
PAGE_SIZE = 50
ROLES = [role.value for role in Role]
_EMAIL_TAKEN = Message(N_("An account with this email address exists already."))
_LAST_ADMIN = Message(N_("This is the last active administrator; make another one first."))
# A page showing a reset link carries a secret: no cache may keep it.
_NOT_STORED = {"Cache-Control": "no-store"}


def _filters(request: Request) -> tuple[Role | None, bool | None]:
    role = next((r for r in Role if r.value == request.query_params.get("role")), None)
    active = {"yes": True, "no": False}.get(request.query_params.get("active", ""))
    return role, active


async def _list_page(
    request: Request, session: SessionDep, *, form: dict[str, Any] | None = None,
    errors: FieldErrors | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    role, active = _filters(request)
    people, next_cursor, _ = await keyset_page(
        lambda page: service.list_users(
            session, role=role, institution_id=None, active=active, params=page
        ),
        request.query_params.get("cursor"),
        PAGE_SIZE,
    )
    places = {p.institution_id for p in people if p.institution_id}
    values = {
        "people": people,
        "institution_names": await choices.names_of_institutions(session, places),
        "institutions": await choices.institutions(session),
        "roles": ROLES,
        "role": role.value if role else "",
        "active": request.query_params.get("active", ""),
        "next_cursor": next_cursor,
        "form": form or {},
        "errors": errors or {},
    }
    return render(request, "users/admin_list.html", values, status_code=status_code)


@router.get("/admin/users")
async def accounts(request: Request, session: SessionDep, reader: Reader) -> Response:
    return await _list_page(request, session)


def _reset_page(request: Request, user: User, token: str, created: bool) -> Response:
    values = {"user": user, "link": reset_link(request, token), "created": created}
    return render(request, "users/reset_link.html", values, headers=_NOT_STORED)


@router.post("/admin/users")
async def create(request: Request, session: SessionDep, context: CsrfDep, admin: Admin) -> Response:
    """POST /users, then a reset link: the person chooses their own password (the account's
    first one is random and never shown)."""
    values = form_values(await request.form())
    sent = {k: values[k] for k in ("email", "name", "role", "institution_id") if k in values}
    try:
        data = UserCreate.model_validate({**sent, "password": secrets.token_urlsafe(32)})
        user = await service.create_user(session, data, context.settings, admin)
        _, token = await password_resets.issue(session, user, context.settings, admin)
    except (ValidationError, UnprocessableEntity, Conflict) as exc:
        await session.rollback()
        errors = {"email": _EMAIL_TAKEN} if isinstance(exc, Conflict) else form_problems(exc)
        return await _list_page(request, session, form=values, errors=errors, status_code=422)
    return _reset_page(request, user, token, created=True)


async def _account_page(
    request: Request, session: SessionDep, user: User, *,
    form: dict[str, Any] | None = None, errors: FieldErrors | None = None,
    problem: Message | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    places = {user.institution_id} if user.institution_id else set()
    values = {
        "user": user,
        "institution_name": (await choices.names_of_institutions(session, places)).get(
            user.institution_id  # type: ignore[arg-type]
        ),
        "second_factor": await two_factor.is_enrolled(session, user.id),
        "institutions": await choices.institutions(session),
        "roles": ROLES,
        "form": form or {
            "name": user.name, "role": user.role.value,
            "institution_id": str(user.institution_id or ""), "active": user.active,
        },
        "errors": errors or {},
        "problem": problem,
    }  # fmt: skip
    return render(request, "users/admin_user.html", values, status_code=status_code)


@router.get("/admin/users/{user_id:uuid}")
async def account(
    request: Request, session: SessionDep, reader: Reader, user_id: uuid.UUID
) -> Response:
    return await _account_page(request, session, await user_by_id(session, user_id))


@router.post("/admin/users/{user_id:uuid}")
async def edit(
    request: Request, session: SessionDep, context: CsrfDep, admin: Admin, user_id: uuid.UUID
) -> Response:
    """PATCH /users/{id} with If-Match, as a form: name, role, institution, active."""
    user = await user_by_id(session, user_id)
    values = form_values(await request.form())
    typed = {k: values.get(k, "") for k in ("name", "role", "institution_id")}
    typed["active"] = "active" in values
    problem: Message | None = None
    errors: FieldErrors = {}
    try:
        check_form_version(values, user.version)
        data = UserUpdate.model_validate(
            {k: values.get(k) for k in ("name", "role", "institution_id")}
            | {"active": typed["active"]}
        )
        await service.update_user(session, user, data, admin)
    except (PreconditionFailed, PreconditionRequired):
        problem = STALE
    except Conflict:
        errors = {"role": _LAST_ADMIN}
    except (ValidationError, UnprocessableEntity) as exc:
        errors = form_problems(exc)
    if problem or errors:
        await session.rollback()
        current = await user_by_id(session, user_id)
        return await _account_page(
            request, session, current, form=None if problem else typed, errors=errors,
            problem=problem, status_code=409 if problem else 422,
        )  # fmt: skip
    flash(context, Message(N_("The account is saved.")))
    return redirect(request, f"/admin/users/{user_id}")


@router.post("/admin/users/{user_id:uuid}/reset-link")
async def issue_reset_link(
    request: Request, session: SessionDep, context: CsrfDep, admin: Admin, user_id: uuid.UUID
) -> Response:
    """POST /users/{id}/password-reset: the link is shown this once."""
    user = await user_by_id(session, user_id)
    _, token = await password_resets.issue(session, user, context.settings, admin)
    return _reset_page(request, user, token, created=False)


@router.post("/admin/users/{user_id:uuid}/unlock")
async def unlock(
    request: Request, session: SessionDep, context: CsrfDep, admin: Admin, user_id: uuid.UUID
) -> Response:
    """POST /users/{id}/unlock."""
    await service.unlock(session, await user_by_id(session, user_id), admin)
    flash(context, Message(N_("Failed sign-ins are forgotten: the person may sign in again.")))
    return redirect(request, f"/admin/users/{user_id}")


@router.post("/admin/users/{user_id:uuid}/two-factor/remove")
async def remove_second_factor(
    request: Request, session: SessionDep, context: CsrfDep, admin: Admin, user_id: uuid.UUID
) -> Response:
    """DELETE /users/{id}/two-factor: after a lost phone; the person's sessions end."""
    await two_factor.remove(session, await user_by_id(session, user_id), admin)
    flash(context, Message(N_("The second factor is removed and the person's sessions ended.")))
    return redirect(request, f"/admin/users/{user_id}")
