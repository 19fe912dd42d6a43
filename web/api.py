"""The JSON API blueprint: search, documents, related articles, health and its OpenAPI
description. Every answer is JSON, errors included: ``{"error": {"code", "message"}}``."""

from __future__ import annotations

import json
import re
from datetime import date
from urllib.parse import unquote

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from search.models import (
    MAX_PAGE_SIZE,
    SearchError,
    SearchRequest,
    document_to_dict,
    hit_to_dict,
    response_to_dict,
)
from search.query import parse_day
from search.searcher import SearchService
from search.store import IndexNotFound, IndexUnavailable

from .admission import RETRY_AFTER_SECONDS, Busy
from .openapi import openapi_document
from .params import languages, single, sources

SERVICE = "hansearch.search_service"
DEFAULT_PAGE = 1
DEFAULT_SIZE = 10
RELATED_SUFFIX = "/related"
_NUMBER = re.compile(r"[0-9]{1,9}")
_SHOWN_CHARS = 40
BODY_PARAMETERS = frozenset({"q", "lang", "source", "from", "to", "sort", "page", "size"})
# A search's JSON body: far above the longest query (1,000 characters) with its filters.
MAX_BODY_BYTES = 64 * 1024

api = Blueprint("api", __name__)


class ApiError(Exception):
    """A request the API refuses: its status, a stable code, and a message for people."""

    def __init__(self, status: int, code: str, message: str, parameter: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.parameter = parameter


def _service() -> SearchService:
    return current_app.extensions[SERVICE]


@api.get("/search")
def search() -> Response:
    return _search(request.args)


@api.post("/search")
def search_by_body() -> Response:
    """The same search, its parameters in a JSON object: a 1,000-character Chinese query
    is 9 KB once percent-encoded, more than some proxies let through in a URL."""
    return _search(_body_parameters())


def _body_parameters() -> MultiDict:
    """The JSON body as the query parameters it stands for (lists: repeated parameters)."""
    try:
        body = json.loads(request.get_data(cache=False) or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "bad_body", "the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise ApiError(400, "bad_body", "the body must be a JSON object")
    params: MultiDict = MultiDict()
    for name, value in body.items():
        if name not in BODY_PARAMETERS:
            raise ApiError(400, "bad_parameter", f"unknown parameter {_shown(name)}", name)
        values = value if isinstance(value, list) and name in ("lang", "source") else [value]
        for item in values:
            if isinstance(item, bool) or not isinstance(item, str | int):
                raise ApiError(
                    400, "bad_parameter", f"{name} must be a string or a whole number", name
                )
            params.add(name, str(item))
    return params


def _search(args: MultiDict) -> Response:
    q = single(args, "q")
    if q is None or not q.strip():
        raise ApiError(400, "missing_query", "q is required: the words to search for", "q")
    date_from = _day(args, "from", first=True)
    date_to = _day(args, "to", first=False)
    if date_from and date_to and date_from > date_to:
        raise ApiError(400, "bad_parameter", f"from ({date_from}) is after to ({date_to})", "from")
    sort = single(args, "sort") or "relevance"
    page = _integer(args, "page", DEFAULT_PAGE)
    size = _integer(args, "size", DEFAULT_SIZE)
    search_request = SearchRequest(
        q=q,
        lang=languages(args),
        source=sources(args),
        date_from=date_from,
        date_to=date_to,
        sort=sort,
        page=page,
        size=size,
    )
    return jsonify(response_to_dict(_service().search(search_request)))


@api.get("/documents/<path:doc_id>", merge_slashes=False)
def document_or_related(doc_id: str) -> Response:
    """A document by its id; else, when the id ends in /related and what comes before is a
    document, that document's related articles. A document wins: the related articles of a
    document whose own id ends in /related are at /api/related?id=."""
    service = _service()
    for candidate in _id_forms(doc_id):
        doc = service.document(candidate)
        if doc is not None:
            return jsonify(document_to_dict(doc))
    if doc_id.endswith(RELATED_SUFFIX):
        size = _integer(request.args, "size", DEFAULT_SIZE, high=MAX_PAGE_SIZE)
        for candidate in _id_forms(doc_id[: -len(RELATED_SUFFIX)]):
            hits = service.related(candidate, size)
            if hits is not None:
                return jsonify({"id": candidate, "results": [hit_to_dict(h) for h in hits]})
    raise _unknown_document(doc_id)


@api.get("/documents")
def document_by_query() -> Response:
    doc_id = _required_id()
    doc = _service().document(doc_id)
    if doc is None:
        raise _unknown_document(doc_id)
    return jsonify(document_to_dict(doc))


@api.get("/related")
def related_by_query() -> Response:
    doc_id = _required_id()
    size = _integer(request.args, "size", DEFAULT_SIZE, high=MAX_PAGE_SIZE)
    hits = _service().related(doc_id, size)
    if hits is None:
        raise _unknown_document(doc_id)
    return jsonify({"id": doc_id, "results": [hit_to_dict(h) for h in hits]})


@api.get("/health")
def health() -> Response:
    return jsonify(_service().health())


@api.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document())


def _integer(args: MultiDict, name: str, default: int, high: int | None = None) -> int:
    value = single(args, name)
    if value is None or value == "":
        return default
    number = int(value) if _NUMBER.fullmatch(value) else None
    if number is None or number < 1 or (high is not None and number > high):
        allowed = f"from 1 to {high}" if high is not None else "of at least 1"
        raise ApiError(
            400,
            "bad_parameter",
            f"{name} must be a whole number {allowed}, got {_shown(value)}",
            name,
        )
    return number


def _day(args: MultiDict, name: str, first: bool) -> date | None:
    """``YYYY-MM-DD``, or ``YYYY-MM`` / ``YYYY`` for the first (``from``) or last (``to``)
    day of that month or year."""
    value = single(args, name)
    if value is None or value == "":
        return None
    try:
        return parse_day(value, first=first, name=name)
    except SearchError as exc:
        raise ApiError(400, "bad_parameter", exc.message, name) from None


def _required_id() -> str:
    doc_id = single(request.args, "id")
    if not doc_id:
        raise ApiError(400, "missing_id", "id is required: the id of a document", "id")
    return doc_id


def _id_forms(doc_id: str) -> list[str]:
    """The id as the path gave it, then percent-decoded once more: a client that encoded an
    id twice (or whose proxy decoded nothing) still finds its document."""
    if "%" not in doc_id:
        return [doc_id]
    try:
        decoded = unquote(doc_id, errors="strict")
    except UnicodeDecodeError:
        return [doc_id]
    return [doc_id] if decoded == doc_id else [doc_id, decoded]


def _unknown_document(doc_id: str) -> ApiError:
    return ApiError(404, "not_found", f"no document with id {_shown(doc_id, 200)}")


def _shown(value: str, limit: int = _SHOWN_CHARS) -> str:
    """A client's value quoted in a message, cut to a readable length."""
    return repr(value if len(value) <= limit else value[:limit] + "…")


def error_response(status: int, code: str, message: str, parameter: str | None = None):
    error = {"code": code, "message": message}
    if parameter is not None:
        error["parameter"] = parameter
    response = jsonify({"error": error})
    response.status_code = status
    return response


def api_error(exc: Exception) -> Response:
    """Every refusal and fault under /api as JSON: ``{"error": {"code", "message"}}``."""
    if isinstance(exc, ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.parameter)
    if isinstance(exc, SearchError):
        return error_response(400, exc.code, exc.message, exc.parameter)
    if isinstance(exc, IndexNotFound):
        return error_response(503, "index_not_found", str(exc))
    if isinstance(exc, IndexUnavailable):
        return error_response(503, "index_unavailable", str(exc))
    if isinstance(exc, Busy):
        response = error_response(503, "busy", f"the server is busy ({exc}); try again in a moment")
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if isinstance(exc, HTTPException):
        # Werkzeug's own refusals (unknown URL, wrong method, ...), keeping their headers
        # (``Allow`` on a 405).
        response = exc.get_response()
        code = (exc.name or "error").lower().replace(" ", "_")
        body = error_response(exc.code or 500, code, exc.description or exc.name or "error")
        response.set_data(body.get_data())
        response.content_type = body.content_type
        return response
    current_app.logger.exception(
        "unhandled error on %s %s", request.method, request.path, exc_info=exc
    )
    return error_response(500, "internal_error", "the server failed to answer; it was logged")
