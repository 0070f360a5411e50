"""The ASGI application: `create_app()` wires settings, database, middleware and routers."""

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

from app.access_log import mask_secrets_in_access_log
from app.actions.router import router as actions_router
from app.api_tokens.router import router as api_tokens_router
from app.assignments.router import router as assignments_router
from app.attachments.router import router as attachments_router
from app.audit.router import router as audit_router
from app.auth.dependencies import current_principal
from app.auth.router import router as auth_router
from app.clock import use_timezone
from app.clusters.router import router as clusters_router
from app.config import Settings, get_settings
from app.db import create_engine, create_sessionmaker
from app.docs_page import install_docs
from app.documents import DocumentSlots
from app.errors import install_error_handlers
from app.exports.router import router as exports_router
from app.health.router import router as health_router
from app.imports.router import router as imports_router
from app.indicators.router import router as indicators_router
from app.institutions.router import router as institutions_router
from app.middleware import BodySizeLimit, NulInUrl, SecurityHeaders
from app.migrations import head_revision
from app.notifications.router import router as notifications_router
from app.openapi import build_openapi
from app.password_resets.router import router as password_resets_router
from app.plans.router import router as plans_router
from app.progress.router import router as progress_router
from app.progress_updates.router import router as progress_updates_router
from app.query_params import KnownQueryOnly
from app.recommendations.router import router as recommendations_router
from app.reference.router import router as reference_router
from app.reports.router import router as reports_router
from app.secret_key import with_secret_key
from app.similarity.router import router as similarity_router
from app.suggestions.router import router as suggestions_router
from app.two_factor.router import router as two_factor_router
from app.users.router import router as users_router
from app.web.workspace import install_workspace
from app.webhooks.router import router as webhooks_router
from app.worker import Worker

API_PREFIX = "/api/v1"
MULTIPART_ROOM = 64 * 1024
WORKER_STOP_SECONDS = 15
DESCRIPTION = """
rectrack tracks what the UN human rights mechanisms (UPR, treaty bodies, special procedures) have
recommended to a State, who is doing what about it, and how far it has got.

Errors are `application/problem+json` (RFC 9457). Lists answer `{"items": [...], "next_cursor"}`;
pass `next_cursor` back as `cursor` for the next page. Changing a resource needs `If-Match`.
"""


class RectrackApp(FastAPI):
    def build_middleware_stack(self) -> ASGIApp:
        # Outside Starlette's error middleware, which answers a 500 itself: the headers go on
        # that answer too.
        return SecurityHeaders(super().build_middleware_stack())


def bind_settings(app: FastAPI, settings: Settings) -> None:
    """Give the app its settings and a database engine for them.

    Everything the app does at request time reads these from `app.state`, so one app object can
    serve with other settings (the tests build the app once and bind each test's database).
    """
    # No usable signing key stops start-up here (SecretKeyError): see app/secret_key.py.
    settings = with_secret_key(settings)
    app.state.settings = settings
    app.state.document_slots = DocumentSlots(settings.max_concurrent_documents)
    app.state.engine = create_engine(settings)
    app.state.sessionmaker = create_sessionmaker(app.state.engine)
    use_timezone(settings.timezone)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    mask_secrets_in_access_log()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # What startup built (modules, models, routes) lives as long as the process: keep it out
        # of the cyclic collector's full passes, which walked all of it and stalled a request by
        # 100-130 ms every few hundred (bench/README.md).
        gc.freeze()
        worker_task = None
        if app.state.settings.import_worker:
            worker = Worker(app.state.sessionmaker, app.state.settings)
            app.state.worker, app.state.import_worker = worker, worker.imports
            worker_task = asyncio.create_task(worker.run())
        yield
        if worker_task is not None:
            # In-flight deliveries finish (each within its 10 s timeout); the rest is released.
            app.state.worker.stop()
            # Past the limit wait_for cancels it: what it held is taken over after its lease.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(worker_task, timeout=WORKER_STOP_SECONDS)
            app.state.worker = app.state.import_worker = None
        await app.state.engine.dispose()

    app = RectrackApp(
        title="rectrack",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    bind_settings(app, settings)
    app.state.head_revision = head_revision()

    install_error_handlers(app)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
        upload_paths=(f"{API_PREFIX}/imports", f"{API_PREFIX}/plans/workbook", "/imports"),
        # An evidence file's own limit is checked as it streams (app/attachments/storage.py);
        # this one leaves room for the multipart framing around it.
        path_limits=[
            (
                f"({API_PREFIX})?/progress-updates/[^/]+/attachments",
                settings.max_attachment_bytes + MULTIPART_ROOM,
            )
        ],
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["ETag", "Location", "Retry-After"],
        )
    app.add_middleware(NulInUrl)

    # Every API route checks the credentials it is sent, public ones included: a bad token is a
    # 401 everywhere, never quietly anonymous. Signing in is the exception.
    # Unknown query parameters are refused first (app/query_params.py).
    api = APIRouter(prefix=API_PREFIX, dependencies=[KnownQueryOnly, Depends(current_principal)])
    for router in (
        reference_router,
        recommendations_router,
        suggestions_router,
        institutions_router,
        # Before users': /users/me/notifications is not a user's id.
        notifications_router,
        users_router,
        two_factor_router,
        password_resets_router,
        api_tokens_router,
        audit_router,
        imports_router,
        clusters_router,
        assignments_router,
        actions_router,
        indicators_router,
        progress_updates_router,
        attachments_router,
        progress_router,
        exports_router,
        webhooks_router,
        plans_router,
        reports_router,
        similarity_router,
    ):
        api.include_router(router)
    install_docs(app)
    app.include_router(health_router, dependencies=[KnownQueryOnly])
    app.include_router(auth_router, prefix=API_PREFIX, dependencies=[KnownQueryOnly])
    app.include_router(api)
    # The NMRF workspace: pages outside /api/v1, authenticated by their own session cookie.
    install_workspace(app)

    def openapi() -> dict[str, Any]:
        return build_openapi(app)

    app.openapi = openapi  # type: ignore[method-assign]
    return app
