"""/institutions: the list with each one's focal points, a new institution, and an
institution's page with its edit form, with the API's schemas, services and permission
(write_institutions). Focal points are shown to those who may read accounts (read_users), as
the API shows them."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.db import SessionDep
from app.errors import PreconditionFailed, PreconditionRequired, UnprocessableEntity
from app.institutions import service
from app.institutions.dependencies import institution_by_id
from app.institutions.schemas import InstitutionCreate, InstitutionUpdate
from app.models.institution import Institution, InstitutionKind
from app.web import choices
from app.web.flash import flash
from app.web.forms import FieldErrors, form_values
from app.web.i18n import N_, Message
from app.web.records import STALE, check_form_version, form_problems, keyset_page
from app.web.sessions import CsrfDep, WebContext, WebDep, page_requires
from app.web.templating import NavItem, redirect, render

router = APIRouter(include_in_schema=False)
NAVIGATION = (NavItem("/institutions", N_("Institutions"), signed_in=True),)
Editor = Annotated[Principal, page_requires(Permission.write_institutions)]
PAGE_SIZE = 50
_FIELDS = ("name", "acronym", "kind", "parent_id")
_KINDS = [kind.value for kind in InstitutionKind]


async def _focal_points(
    session: SessionDep, context: WebContext, institutions: list[Institution]
) -> dict[uuid.UUID, Any]:
    if not context.can(Permission.read_users):
        return {}
    return await service.focal_points_of(session, [i.id for i in institutions])


async def _list_page(
    request: Request, session: SessionDep, context: WebContext, *,
    form: dict[str, Any] | None = None, errors: FieldErrors | None = None,
    status_code: int = 200,
) -> Response:  # fmt: skip
    archived = request.query_params.get("archived") == "true"
    found, next_cursor, _ = await keyset_page(
        lambda page: service.list_institutions(
            session, kind=None, parent_id=None, archived=archived, q=None, params=page
        ),
        request.query_params.get("cursor"),
        PAGE_SIZE,
    )
    parents = {i.parent_id for i in found if i.parent_id}
    values = {
        "institutions": found,
        "parent_names": await choices.names_of_institutions(session, parents),
        "focal_points": await _focal_points(session, context, found),
        "show_focal_points": context.can(Permission.read_users),
        "archived": archived,
        "next_cursor": next_cursor,
        "kinds": _KINDS,
        "parents": await choices.institutions(session),
        "form": form or {},
        "errors": errors or {},
    }
    return render(request, "institutions/list.html", values, status_code=status_code)


@router.get("/institutions")
async def institutions(request: Request, session: SessionDep, context: WebDep) -> Response:
    return await _list_page(request, session, context)


@router.post("/institutions")
async def create(
    request: Request, session: SessionDep, context: CsrfDep, editor: Editor
) -> Response:
    values = form_values(await request.form())
    try:
        data = InstitutionCreate.model_validate({k: values[k] for k in _FIELDS if k in values})
        institution = await service.create_institution(session, data, editor)
    except (ValidationError, UnprocessableEntity) as exc:
        await session.rollback()
        return await _list_page(
            request, session, context, form=values, errors=form_problems(exc), status_code=422
        )
    flash(context, Message(N_("The institution is added.")))
    return redirect(request, f"/institutions/{institution.id}")


async def _institution_page(
    request: Request, session: SessionDep, context: WebContext, institution: Institution, *,
    form: dict[str, Any] | None = None, errors: FieldErrors | None = None,
    problem: Message | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    parent_names = await choices.names_of_institutions(
        session, {institution.parent_id} if institution.parent_id else set()
    )
    shown = form or {
        "name": institution.name, "acronym": institution.acronym or "",
        "kind": institution.kind.value, "parent_id": str(institution.parent_id or ""),
        "archived": institution.archived,
    }  # fmt: skip
    values = {
        "institution": institution,
        "parent_name": parent_names.get(institution.parent_id) if institution.parent_id else None,
        "focal_points": (await _focal_points(session, context, [institution])).get(
            institution.id, []
        ),
        "show_focal_points": context.can(Permission.read_users),
        "kinds": _KINDS,
        "parents": [p for p in await choices.institutions(session) if p[0] != str(institution.id)],
        "form": shown,
        "errors": errors or {},
        "problem": problem,
    }
    return render(request, "institutions/detail.html", values, status_code=status_code)


@router.get("/institutions/{institution_id:uuid}")
async def institution_page(
    request: Request, session: SessionDep, context: WebDep, institution_id: uuid.UUID
) -> Response:
    institution = await institution_by_id(session, institution_id)
    return await _institution_page(request, session, context, institution)


@router.post("/institutions/{institution_id:uuid}")
async def edit(
    request: Request, session: SessionDep, context: CsrfDep, editor: Editor,
    institution_id: uuid.UUID,
) -> Response:  # fmt: skip
    """PATCH /institutions/{id} with If-Match, as a form (an empty field clears it)."""
    institution = await institution_by_id(session, institution_id)
    values = form_values(await request.form())
    typed = {k: values.get(k, "") for k in _FIELDS} | {"archived": "archived" in values}
    try:
        check_form_version(values, institution.version)
        data = InstitutionUpdate.model_validate(
            {k: values.get(k) for k in _FIELDS} | {"archived": typed["archived"]}
        )
        await service.update_institution(session, institution, data, editor)
    except (PreconditionFailed, PreconditionRequired):
        await session.rollback()
        current = await institution_by_id(session, institution_id)
        return await _institution_page(
            request, session, context, current, problem=STALE, status_code=409
        )
    except (ValidationError, UnprocessableEntity) as exc:
        await session.rollback()
        current = await institution_by_id(session, institution_id)
        return await _institution_page(
            request, session, context, current, form=typed, errors=form_problems(exc),
            status_code=422,
        )  # fmt: skip
    flash(context, Message(N_("The institution is saved.")))
    return redirect(request, f"/institutions/{institution_id}")
