"""Assembling the workspace: static files, error pages, and every feature's pages.

To add a page: write `app/<feature>/pages.py` with a `router` (include_in_schema=False) and a
`NAVIGATION` tuple, and list the module in PAGE_MODULES (docs/workspace.md).
"""

from types import ModuleType
from typing import Any

from fastapi import FastAPI
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from app.actions import pages as action_pages
from app.api_tokens import admin_pages as api_token_admin_pages
from app.api_tokens import pages as api_token_pages
from app.assignments import pages as assignment_pages
from app.attachments import pages as attachment_pages
from app.auth import pages as auth_pages
from app.clusters import pages as cluster_pages
from app.imports import pages as import_pages
from app.indicators import pages as indicator_pages
from app.institutions import pages as institution_pages
from app.notifications import pages as notification_pages
from app.password_resets import pages as password_reset_pages
from app.planning import pages as planning_pages
from app.progress import pages as progress_pages
from app.progress_updates import pages as progress_update_pages
from app.recommendations import edit_pages as recommendation_edit_pages
from app.recommendations import pages as recommendation_pages
from app.similarity import pages as similarity_pages
from app.two_factor import pages as two_factor_pages
from app.users import admin_pages as user_admin_pages
from app.users import pages as user_pages
from app.web import pages as web_pages
from app.web.errors import install_page_errors
from app.web.templating import STATIC_DIR, NavItem

# In the order of the navigation.
PAGE_MODULES: tuple[ModuleType, ...] = (
    progress_pages,
    recommendation_pages,
    recommendation_edit_pages,
    planning_pages,
    progress_update_pages,
    attachment_pages,
    cluster_pages,
    similarity_pages,
    institution_pages,
    import_pages,
    user_admin_pages,
    api_token_admin_pages,
    assignment_pages,
    action_pages,
    indicator_pages,
    user_pages,
    notification_pages,
    two_factor_pages,
    api_token_pages,
    auth_pages,
    password_reset_pages,
    web_pages,
)


class VersionedStaticFiles(StaticFiles):
    """Static files; their URLs carry a digest of the content (static_url), so they may be
    cached for long."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def install_workspace(app: FastAPI) -> None:
    install_page_errors(app)
    app.mount("/static", VersionedStaticFiles(directory=STATIC_DIR), name="static")
    navigation: list[NavItem] = []
    for module in PAGE_MODULES:
        app.include_router(module.router)
        navigation.extend(getattr(module, "NAVIGATION", ()))
    app.state.workspace_navigation = navigation
