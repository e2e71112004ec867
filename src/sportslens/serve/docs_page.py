"""``/docs`` and ``/redoc`` served with their own script files, so the API docs work offline.

FastAPI's default pages load Swagger UI and ReDoc from a CDN and are blank with no internet. The
``fastapi-offline`` package (the ``serve`` extra) ships those files (Swagger UI 5, which reads
FastAPI's OpenAPI 3.1); they are mounted under ``/docs-assets`` and the pages point at them, as in
FastAPI's self-hosting recipe. Without the package FastAPI's CDN pages stay.
"""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["ASSETS_URL", "install_local_docs", "local_docs_assets"]

ASSETS_URL = "/docs-assets"


def local_docs_assets() -> Traversable | None:
    """The folder with Swagger UI's and ReDoc's files, or None without fastapi-offline."""
    try:
        folder = resources.files("fastapi_offline").joinpath("static")
    except ModuleNotFoundError:
        return None
    return folder if folder.joinpath("swagger-ui-bundle.js").is_file() else None


def install_local_docs(app: FastAPI, folder: Traversable) -> None:
    """Serve ``/docs`` (Swagger UI) and ``/redoc`` from the files in ``folder``."""
    app.mount(ASSETS_URL, StaticFiles(directory=str(folder)), name="docs-assets")
    title = f"{app.title} API"
    openapi_url = app.openapi_url or "/openapi.json"
    favicon = f"{ASSETS_URL}/favicon.png"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=title,
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=favicon,
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=title,
            redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=favicon,
            with_google_fonts=False,  # fonts from Google would be one more CDN
        )
