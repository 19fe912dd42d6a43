"""The application factory: nothing is built or opened at import, so each caller (a test, a
gunicorn worker) makes its own app on its own settings."""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from flask import Flask, Response, g, request
from werkzeug.exceptions import BadRequest

from search.config import Settings
from search.searcher import SearchService

from .admission import Gate
from .api import MAX_BODY_BYTES, SERVICE, api, api_error
from .pages import page_error, pages

CORS_METHODS = "GET, POST, OPTIONS"
CORS_HEADERS = "Accept, Content-Type"
CORS_MAX_AGE = "600"
STATIC_MAX_AGE = 365 * 24 * 3600
GATE = "hansearch.gate"
HEAVY_GATE = "hansearch.heavy_gate"
# A query longer than this is a pasted paragraph, not a few keywords.
HEAVY_QUERY_CHARS = 100
# What runs a search or reads a document: the endpoints the admission gate guards (the
# health check, the OpenAPI document and static files always answer).
SEARCHING = frozenset(
    {
        "api.search",
        "api.search_by_body",
        "api.document_or_related",
        "api.document_by_query",
        "api.related_by_query",
        "pages.search",
        "pages.document",
    }
)


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
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    origins = frozenset(settings.server.cors_origins)
    server = settings.server
    wait = server.queue_wait_ms / 1000
    gate = Gate(server.searches_at_once, server.queue, wait)
    # Long queries and large pages have a lane of their own, one at a time: a crowd
    # sending the most expensive query the limits allow cannot take every place.
    heavy_gate = Gate(1, max(1, server.queue // 4), wait)
    app.extensions[GATE] = gate
    app.extensions[HEAVY_GATE] = heavy_gate

    @app.before_request
    def guard() -> None:
        _refuse_undecodable_bytes()
        if request.endpoint in SEARCHING:
            admitting = heavy_gate if _heavy() else gate
            admitting.enter()
            g.admitted = admitting

    @app.teardown_request
    def release(_: BaseException | None) -> None:
        admitted = g.pop("admitted", None)
        if admitted is not None:
            admitted.leave()

    @app.errorhandler(Exception)
    def error(exc: Exception):
        """JSON under /api, for programs; a page anywhere else, for browsers."""
        api_path = request.path == "/api" or request.path.startswith("/api/")
        return api_error(exc) if api_path else page_error(exc)

    @app.after_request
    def add_headers(response: Response) -> Response:
        response.headers["X-Content-Type-Options"] = "nosniff"
        _add_cors_headers(response, origins)
        return response

    return app


def _heavy() -> bool:
    """A request that may cost many times an ordinary search: a long query (a pasted
    paragraph), a large page, or a search sent as a body (for queries too long for a URL)."""
    if request.method == "POST":
        return True
    args = request.args
    size = args.get("size", "")
    return len(args.get("q", "")) > HEAVY_QUERY_CHARS or (size.isdigit() and int(size) > 20)


def _refuse_undecodable_bytes() -> None:
    """A path or query string that is not UTF-8 (raw bytes a client sent unencoded, or a
    path percent-encoding such bytes) is a client's error: 400, before anything reads it.
    The request target as sent (gunicorn's RAW_URI) is checked where there is one: the
    server's own decoding of the path may have replaced such bytes already."""
    environ = request.environ
    target = environ.get("RAW_URI") or environ.get("PATH_INFO", "")
    path = target.split("?", 1)[0].encode("latin-1", "replace")
    query = environ.get("QUERY_STRING", "").encode("latin-1", "replace")
    for name, raw in (("path", unquote_to_bytes(path)), ("query string", query)):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest(f"the {name} is not valid UTF-8; percent-encode it") from None


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
