"""The HTML pages: search results and documents, rendered on the server (the JavaScript only
improves them). Every state of a results page lives in its URL, so each one is a link.

``/`` is the search box; ``/search?q=…&lang=…&source=…&from=…&to=…&sort=…&page=…&size=…``
a results page (the parameters of ``/api/search``); ``/doc?id=…`` a document, with the
results page's parameters along when it was reached from one.
"""

from __future__ import annotations

import hashlib
import html
import math
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from urllib.parse import quote, urlencode

from flask import (
    Blueprint,
    Response,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException

from search.models import (
    MAX_PAGE_SIZE,
    MAX_RESULT_DEPTH,
    SORTS,
    Hit,
    Published,
    SearchError,
    SearchRequest,
    SearchResponse,
)
from search.query import parse_day
from search.searcher import SearchService
from search.store import IndexNotFound, IndexUnavailable

from .admission import RETRY_AFTER_SECONDS, Busy
from .api import DEFAULT_SIZE, SERVICE
from .params import languages, single, sources

PAGE_NUMBERS = 2  # page links either side of the current one
RELATED = 5
FACET_SHOWN = 8  # values of a facet shown before "more"
# Where a document's own marks are looked for: its best hits among this many of its
# language and source.
MARK_SEARCH_SIZE = MAX_PAGE_SIZE
LANGUAGE_NAMES = {
    "ko": "한국어",
    "zh-Hans": "简体中文",
    "zh-Hant": "繁體中文",
    "zh": "中文",
    "en": "English",
    "ja": "日本語",
}
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_STATIC = Path(__file__).parent / "static"
_MARK = re.compile(r"<mark>(.*?)</mark>", re.S)
_NUMBER = re.compile(r"[0-9]{1,9}")

pages = Blueprint("pages", __name__)


@dataclass(frozen=True)
class State:
    """What a results page shows, as its URL says it: the query, its narrowing, the order
    and the page. Dates stay as the reader wrote them (``2024-07`` is a month)."""

    q: str = ""
    lang: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
    date_from: str = ""
    date_to: str = ""
    sort: str = "relevance"
    page: int = 1
    size: int = DEFAULT_SIZE

    @property
    def filtered(self) -> bool:
        return bool(self.lang or self.source or self.date_from or self.date_to)

    def params(self, **changes) -> list[tuple[str, str]]:
        """The URL parameters of this state with ``changes``; defaults are left out."""
        state = replace(self, **changes)
        pairs = [("q", state.q)]
        pairs += [("lang", value) for value in state.lang]
        pairs += [("source", value) for value in state.source]
        if state.date_from:
            pairs.append(("from", state.date_from))
        if state.date_to:
            pairs.append(("to", state.date_to))
        if state.sort != "relevance":
            pairs.append(("sort", state.sort))
        if state.page != 1:
            pairs.append(("page", str(state.page)))
        if state.size != DEFAULT_SIZE:
            pairs.append(("size", str(state.size)))
        return pairs

    def url(self, **changes) -> str:
        """The results page of this state with ``changes`` (back to page 1 unless a page
        is given: a narrower set starts again)."""
        changes.setdefault("page", 1)
        return url_for("pages.search") + "?" + urlencode(self.params(**changes))

    def toggle(self, name: str, value: str) -> str:
        """This page with ``value`` of ``lang`` or ``source`` added, or removed if there."""
        values: tuple[str, ...] = getattr(self, name)
        if value in values:
            return self.url(**{name: tuple(v for v in values if v != value)})
        return self.url(**{name: (*values, value)})

    def doc_url(self, doc_id: str) -> str:
        """A document's page, carrying this results page so the way back is one link."""
        pairs = [("id", doc_id)] + (self.params() if self.q else [])
        return url_for("pages.document") + "?" + urlencode(pairs)

    def hidden_fields(self, *names: str) -> list[tuple[str, str]]:
        """The parameters named, for a form that changes the others."""
        return [(name, value) for name, value in self.params(page=1) if name in names]


@dataclass
class Pager:
    current: int
    last: int
    numbers: list[int | None]  # None: a gap


@dataclass
class FacetValue:
    label: str
    count: int
    url: str  # narrows to this value, or, when active, undoes it
    active: bool
    lang: str = ""  # of the label, for a language's own name


@pages.get("/")
def home() -> Response | str:
    if request.args.get("q", "").strip():
        # Kept as the client sent it (UTF-8, checked on the way in), non-ASCII re-escaped.
        query = quote(request.query_string.decode("utf-8"), safe="=&%+;/:,?")
        return redirect(url_for("pages.search") + "?" + query)
    return render_template("home.html", state=State())


@pages.get("/search")
def search() -> Response | str | tuple[str, int]:
    state = State(q=request.args.get("q", ""))
    try:
        state = _state()
        if not state.q.strip():
            return render_template("home.html", state=state)
        response = _service().search(_search_request(state))
    except SearchError as exc:
        message = exc.message[:1].upper() + exc.message[1:]
        return render_template("search.html", state=state, error=message), 400
    return render_template(
        "search.html",
        state=state,
        response=response,
        pager=_pager(state, response),
        facets=_facets(state, response),
        facet_shown=FACET_SHOWN,
        any_words_url=_without_quotes_url(state),
    )


@pages.get("/doc")
def document() -> str | tuple[str, int]:
    state = _state_or_default()
    try:
        doc_id = single(request.args, "id") or ""
    except SearchError as exc:
        return _error_page(400, "Which document?", exc.message[:1].upper() + exc.message[1:])
    if not doc_id:
        return _error_page(400, "No document asked for", "The link has no id of a document.")
    service = _service()
    doc = service.document(doc_id)
    if doc is None:
        return _error_page(
            404, "No such document", f"No document has the id {doc_id}.", state=state
        )
    title_html, surfaces = Markup(escape(doc.title)), []
    hit = _own_hit(service, state, doc.id, doc.lang, doc.source)
    if hit is not None:
        title_html = Markup(hit.title_html)
        surfaces = _marked_surfaces(hit.title_html + hit.snippet_html)
    return render_template(
        "doc.html",
        state=state,
        doc=doc,
        title_html=title_html,
        paragraphs=_paragraphs(doc.body, surfaces),
        marked=bool(surfaces),
        related=service.related(doc.id, RELATED) or [],
    )


@pages.after_request
def _page_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    return response


def page_error(exc: Exception) -> tuple[str, int] | Response:
    """Every refusal and fault outside /api as a page, for a person in a browser."""
    if isinstance(exc, IndexNotFound):
        return _error_page(
            503,
            "No index yet",
            "There is nothing to search yet. Build the index, then reload this page:",
            detail=str(exc),
            command="hansearch rebuild",
        )
    if isinstance(exc, IndexUnavailable):
        return _error_page(
            503,
            "The index cannot be read",
            "The index being served is damaged or missing; searches resume as soon as a"
            " good one is switched in. Rebuild it:",
            detail=str(exc),
            command="hansearch rebuild",
        )
    if isinstance(exc, Busy):
        page, status = _error_page(
            503, "Busy", "Too many searches at once. Try again in a moment.", detail=str(exc)
        )
        response = make_response(page, status)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if isinstance(exc, HTTPException):
        page, status = _error_page(exc.code or 500, exc.name, exc.description or "")
        response = exc.get_response()  # its headers: Allow on a 405
        response.set_data(page)
        response.content_type = "text/html; charset=utf-8"
        return response
    current_app.logger.exception(
        "unhandled error on %s %s", request.method, request.path, exc_info=exc
    )
    return _error_page(500, "Something broke", "The server failed to answer; it was logged.")


@pages.app_template_global()
def static_url(filename: str) -> str:
    """A static file's URL with its content's hash, so a new version is never stale."""
    return url_for("static", filename=filename, v=_static_version(filename))


@pages.app_template_filter()
def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code or "unknown")


@pages.app_template_filter()
def day(published: Published | None) -> str:
    """The date and time as the article states them (see ``Published.text``)."""
    return published.text() if published else ""


@pages.app_template_filter()
def age(published: Published | None, now: datetime | None = None) -> str:
    """How long ago, in the largest unit that is at least one: "3 days ago", "2 years ago"."""
    if published is None:
        return ""
    days = ((now or datetime.now(UTC)) - published.at).days
    if days < 0:
        return "in the future"
    for unit, length in (("year", 365), ("month", 30), ("week", 7), ("day", 1)):
        if days >= length:
            count = days // length
            return f"{count} {unit}{'s' if count > 1 else ''} ago"
    return "today"


@cache
def _static_version(filename: str) -> str:
    try:
        return hashlib.sha256((_STATIC / filename).read_bytes()).hexdigest()[:10]
    except OSError:
        return "0"


def _service() -> SearchService:
    return current_app.extensions[SERVICE]


def _state() -> State:
    """The state the URL asks for; a SearchError says what in it cannot be read."""
    args = request.args
    sort = single(args, "sort") or "relevance"
    if sort not in SORTS:
        raise SearchError("bad_parameter", f"sort must be one of {', '.join(SORTS)}", "sort")
    return State(
        q=single(args, "q") or "",
        lang=languages(args),
        source=sources(args),
        date_from=(single(args, "from") or "").strip(),
        date_to=(single(args, "to") or "").strip(),
        sort=sort,
        page=_whole(single(args, "page"), "page", 1),
        size=_whole(single(args, "size"), "size", DEFAULT_SIZE),
    )


def _state_or_default() -> State:
    try:
        return _state()
    except SearchError:
        return State(q=request.args.get("q", ""))


def _whole(value: str | None, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    if not _NUMBER.fullmatch(value) or int(value) < 1:
        raise SearchError("bad_parameter", f"{name} must be a whole number of at least 1", name)
    return int(value)


def _search_request(state: State) -> SearchRequest:
    date_from = parse_day(state.date_from, first=True, name="from") if state.date_from else None
    date_to = parse_day(state.date_to, first=False, name="to") if state.date_to else None
    if date_from and date_to and date_from > date_to:
        raise SearchError("bad_parameter", f"from ({date_from}) is after to ({date_to})", "from")
    return SearchRequest(
        q=state.q,
        lang=state.lang,
        source=state.source,
        date_from=date_from,
        date_to=date_to,
        sort=state.sort,
        page=state.page,
        size=state.size,
    )


def _pager(state: State, response: SearchResponse) -> Pager:
    last = max(1, min(math.ceil(response.total / state.size), MAX_RESULT_DEPTH // state.size))
    shown = {1, last} | set(
        range(max(1, state.page - PAGE_NUMBERS), min(last, state.page + PAGE_NUMBERS) + 1)
    )
    numbers: list[int | None] = []
    for number in sorted(shown):
        if numbers and number - (numbers[-1] or 0) > 1:
            numbers.append(None)
        numbers.append(number)
    return Pager(current=state.page, last=last, numbers=numbers)


def _facets(state: State, response: SearchResponse) -> dict[str, list[FacetValue]]:
    """Each facet's values as links that narrow, or undo when active."""
    month = state.date_from if state.date_from == state.date_to else ""
    return {
        "Language": [
            FacetValue(
                LANGUAGE_NAMES.get(value, value),
                count,
                state.toggle("lang", value),
                value in state.lang,
                lang=value,
            )
            for value, count in response.facets.get("lang", [])
        ],
        "Source": [
            FacetValue(value, count, state.toggle("source", value), value in state.source)
            for value, count in response.facets.get("source", [])
        ],
        "Month": [
            FacetValue(
                value,
                count,
                state.url(date_from="", date_to="")
                if value == month
                else state.url(date_from=value, date_to=value),
                value == month,
            )
            for value, count in response.facets.get("month", [])
        ],
    }


def _without_quotes_url(state: State) -> str | None:
    """The same words as any-word search, when the query quoted a phrase."""
    if '"' not in state.q:
        return None
    words = " ".join(state.q.replace('"', " ").split())
    return state.url(q=words) if words else None


def _own_hit(
    service: SearchService, state: State, doc_id: str, lang: str, source: str
) -> Hit | None:
    """The document as the query's results show it (title and snippet marked), found among
    the results of its own language and source; None without a query or when it is not
    among them."""
    if not state.q.strip():
        return None
    try:
        response = service.search(
            SearchRequest(
                q=state.q,
                lang=(lang,) if lang in LANGUAGE_NAMES else (),
                source=(source,) if source else (),
                size=MARK_SEARCH_SIZE,
            )
        )
    except SearchError:
        return None
    return next((hit for hit in response.results if hit.id == doc_id), None)


def _marked_surfaces(marked_html: str) -> list[str]:
    """The texts the engine marked, as the document writes them (嚇阻 for a query 吓阻)."""
    return sorted({html.unescape(m) for m in _MARK.findall(marked_html) if m}, key=len)[::-1]


def _paragraphs(body: str, surfaces: list[str]) -> list[Markup]:
    """The body's paragraphs, escaped, with every occurrence of ``surfaces`` marked."""
    pattern = None
    if surfaces:
        pattern = re.compile("|".join(_surface_pattern(s) for s in surfaces))
    paragraphs = []
    for text in re.split(r"\n\s*\n|\n", body):
        if not text.strip():
            continue
        if pattern is None:
            paragraphs.append(Markup(escape(text.strip())))
            continue
        out, position = [], 0
        for m in pattern.finditer(text):
            out.append(escape(text[position : m.start()]))
            out.append(Markup("<mark>") + escape(m.group()) + Markup("</mark>"))
            position = m.end()
        out.append(escape(text[position:]))
        paragraphs.append(Markup("").join(out))
    return paragraphs


def _surface_pattern(surface: str) -> str:
    """A Latin word matches as a whole word (PAC not inside PACIFIC); CJK anywhere."""
    escaped = re.escape(surface)
    if surface.isascii():
        return rf"(?<![0-9A-Za-z]){escaped}(?![0-9A-Za-z])"
    return escaped


def _error_page(
    status: int,
    title: str,
    message: str,
    detail: str = "",
    command: str = "",
    state: State | None = None,
) -> tuple[str, int]:
    return (
        render_template(
            "error.html",
            state=state or State(),
            status=status,
            title=title,
            message=message,
            detail=detail,
            command=command,
        ),
        status,
    )
