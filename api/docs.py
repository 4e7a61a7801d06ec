"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) from Flowdesk's own assets, under a CSP.

The pages run on the cookie-authenticated origin, so they load nothing from elsewhere:
Swagger UI's and ReDoc's bundles are vendored in ``api/docs_assets`` with their licences
(see the README.txt beside them), and both pages work offline. Their
Content-Security-Policy allows scripts only from this origin and the page's own inline
script, by its hash.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/api-docs-assets"
VENDORED = Path(__file__).resolve().parent / "docs_assets"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def content_security_policy(html: str) -> str:
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(html)
    )
    return ("default-src 'none'; "
            f"script-src 'self' {hashes}; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
            "connect-src 'self'; worker-src 'self' blob:; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


def _with_policy(page: HTMLResponse) -> HTMLResponse:
    html = page.body.decode()
    return HTMLResponse(html, headers={"Content-Security-Policy": content_security_policy(html),
                                       "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"})


def install(app: FastAPI) -> None:
    """The two pages and their assets (create the app with ``docs_url=None, redoc_url=None``)."""
    app.mount(ASSETS, StaticFiles(directory=VENDORED), name="api-docs-assets")
    title = f"{app.title} API"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return _with_policy(get_swagger_ui_html(
            openapi_url=app.openapi_url, title=title,
            swagger_js_url=f"{ASSETS}/swagger/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/swagger/favicon-32x32.png"))

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return _with_policy(get_redoc_html(openapi_url=app.openapi_url, title=title,
                                           redoc_js_url=f"{ASSETS}/redoc/redoc.standalone.js",
                                           redoc_favicon_url=f"{ASSETS}/swagger/favicon-32x32.png",
                                           with_google_fonts=False))
