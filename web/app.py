"""The application factory: nothing is built or opened at import, so each caller (a test, a
gunicorn worker) makes its own app on its own settings."""

from __future__ import annotations

from flask import Flask, Response, request

from search.config import Settings
from search.searcher import SearchService

from .api import SERVICE, api
from .pages import pages

CORS_METHODS = "GET, OPTIONS"
CORS_HEADERS = "Accept, Content-Type"
CORS_MAX_AGE = "600"
STATIC_MAX_AGE = 365 * 24 * 3600


def create_app(settings: Settings, service: SearchService | None = None) -> Flask:
    """The Flask app serving the search pages at / and the JSON API under /api with
    ``service`` (by default a new SearchService on ``settings``, which opens the index on
    its first request)."""
    app = Flask(__name__)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.extensions[SERVICE] = service if service is not None else SearchService(settings)
    app.register_blueprint(api, url_prefix="/api")
    app.register_blueprint(pages)
    # Static files are named by their content's hash (pages.static_url): cache them long.
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = STATIC_MAX_AGE
    origins = frozenset(settings.server.cors_origins)

    @app.after_request
    def add_headers(response: Response) -> Response:
        response.headers["X-Content-Type-Options"] = "nosniff"
        _add_cors_headers(response, origins)
        return response

    return app


def _add_cors_headers(response: Response, origins: frozenset[str]) -> None:
    """Let a browser page from an allowed origin read the answer (and pass its preflight)."""
    if not origins:
        return
    response.vary.add("Origin")
    origin = request.headers.get("Origin")
    if origin is None or not ("*" in origins or origin in origins):
        return
    response.headers["Access-Control-Allow-Origin"] = "*" if "*" in origins else origin
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = CORS_METHODS
        response.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
        response.headers["Access-Control-Max-Age"] = CORS_MAX_AGE
