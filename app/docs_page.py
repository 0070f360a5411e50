"""The interactive API documentation (/docs, /redoc), served with no CDN.

An NMRF office may have no internet: Swagger UI's and ReDoc's files come from the
fastapi-offline package and are served from /docs/assets. The pages hold no inline script, so
that their Content-Security-Policy can allow scripts from this origin only.
"""

import importlib.resources
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

ASSETS = Path(str(importlib.resources.files("fastapi_offline") / "static"))
_COMMON_CSP = (
    "default-src 'none'; script-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# Both UIs set style attributes from script; ReDoc also searches in a worker made from a blob.
SWAGGER_CSP = f"{_COMMON_CSP}; style-src 'self' 'unsafe-inline'"
REDOC_CSP = f"{_COMMON_CSP}; style-src 'self' 'unsafe-inline'; font-src 'self' data:; " + (
    "worker-src 'self' blob:"
)

# Relative URLs, so that the pages work under a proxy's path prefix too.
_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rectrack - API</title>
<link rel="icon" href="docs/assets/favicon.png">
{head}
</head>
<body>
{body}
</body>
</html>
"""
_SWAGGER_PAGE = _PAGE.format(
    head='<link rel="stylesheet" href="docs/assets/swagger-ui.css">',
    body='<div id="swagger-ui"></div>\n<script src="docs/assets/swagger-ui-bundle.js"></script>\n'
    '<script src="docs/start.js"></script>',
)
_SWAGGER_START = """window.ui = SwaggerUIBundle({
  url: new URL("openapi.json", document.baseURI).href,
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
"""
_REDOC_PAGE = _PAGE.format(
    head="",
    body='<redoc spec-url="openapi.json"></redoc>\n'
    '<script src="docs/assets/redoc.standalone.js"></script>',
)


def install_docs(app: FastAPI) -> None:
    """Serve /docs and /redoc; create the app with docs_url=None and redoc_url=None."""
    router = APIRouter(include_in_schema=False)

    @router.get("/docs")
    async def swagger_ui() -> HTMLResponse:
        return HTMLResponse(_SWAGGER_PAGE, headers={"Content-Security-Policy": SWAGGER_CSP})

    @router.get("/docs/start.js")
    async def swagger_ui_start() -> Response:
        return Response(_SWAGGER_START, media_type="text/javascript")

    @router.get("/redoc")
    async def redoc() -> HTMLResponse:
        return HTMLResponse(_REDOC_PAGE, headers={"Content-Security-Policy": REDOC_CSP})

    app.include_router(router)
    app.mount("/docs/assets", StaticFiles(directory=ASSETS), name="docs-assets")
