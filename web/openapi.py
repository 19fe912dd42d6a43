"""The OpenAPI 3.0 description of the JSON API, served at /api/openapi.json; the tests
validate every response they see against it."""

from __future__ import annotations

from importlib.metadata import version

from search.models import MAX_PAGE_SIZE, MAX_RESULT_DEPTH, SORTS

ERROR_CODES = {
    "missing_query": "400: q is missing or blank",
    "missing_id": "400: id is missing (/api/documents?id=, /api/related?id=)",
    "bad_parameter": "400: a parameter is malformed or out of range (named in error.parameter)",
    "page_too_deep": f"400: page x size goes past result {MAX_RESULT_DEPTH}",
    "query_too_long, empty_query, bad_filter, bad_date": "400: the query cannot "
    "be searched (too long, no words, a bad lang:/published: filter, an unknown lang)",
    "bad_request": "400: the path or query string is not UTF-8 (raw bytes sent unencoded)",
    "bad_body": "400: a POST /api/search body that is not a JSON object",
    "not_found": "404: no document with that id, or no such URL",
    "method_not_allowed": "405: a method the URL does not take (Allow says which)",
    "request_entity_too_large": "413: a body over 64 KB",
    "index_not_found": "503: no index has been built yet",
    "index_unavailable": "503: the serving index cannot be read (the message says why)",
    "busy": "503: the server is working on all it can; retry after Retry-After seconds",
    "internal_error": "500: a fault of the server, logged; never caused by what a client sends",
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: str) -> dict:
    meaning = {
        "400": "a bad parameter or query",
        "404": "unknown document",
        "413": "a body larger than 64 KB",
        "503": "no index yet (index_not_found), the index cannot be read (index_unavailable)"
        " or the server is busy (busy, with Retry-After)",
    }
    responses = {status: _json(meaning[status], _ref("Error")) for status in statuses}
    responses["default"] = _json("any other error", _ref("Error"))
    return responses


def _text(description: str) -> dict:
    return {"type": "string", "description": description}


_NULLABLE_TIME = {
    "type": "string",
    "nullable": True,
    "anyOf": [{"format": "date"}, {"format": "date-time"}],
    "description": "As the article states it: a plain date (2026-06-10) when it gives no time,"
    " else ISO 8601 with the article's own UTC offset (2025-12-29T00:00:00+09:00; a time"
    " stated without a zone is placed in the zone of the article's language);"
    " null when the article has no date",
}

_SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "additionalProperties": False,
                "properties": {
                    "code": _text(
                        "stable, for programs: "
                        + "; ".join(f"{code} ({meaning})" for code, meaning in ERROR_CODES.items())
                    ),
                    "message": _text("for people: what is wrong and how to fix it"),
                    "parameter": _text("the query parameter at fault, when there is one"),
                },
            }
        },
    },
    "Hit": {
        "type": "object",
        "required": [
            "id",
            "url",
            "title",
            "title_html",
            "snippet_html",
            "lang",
            "source",
            "author",
            "published",
            "score",
            "missing",
            "similar",
        ],
        "additionalProperties": False,
        "properties": {
            "id": _text("the document's id: its canonical URL, else its record id or path"),
            "url": _text("the article's URL; empty when unknown"),
            "title": _text("plain text"),
            "title_html": _text("HTML-escaped title with the matches in <mark>"),
            "snippet_html": _text(
                "HTML-escaped passages around the matches, cut at sentence ends, matches in <mark>"
            ),
            "lang": _text("ko, zh-Hans, zh-Hant, en, ja, ..."),
            "source": _text("the publisher; empty when unknown"),
            "author": _text("empty when unknown"),
            "published": _NULLABLE_TIME,
            "score": {"type": "number", "description": "BM25F relevance (0 when sorted by date)"},
            "missing": {
                "type": "array",
                "items": {"type": "string"},
                "description": "the query's words this article lacks, as written in the query;"
                " empty when it has every word",
            },
            "similar": {
                "type": "array",
                "items": _ref("Similar"),
                "description": "near-duplicates of this article among the matches (the same"
                " story republished, re-crawled or lightly edited), folded under it: they are"
                " not listed as results of their own; empty when there are none",
            },
        },
    },
    "Similar": {
        "type": "object",
        "required": ["id", "url", "title", "source", "published"],
        "additionalProperties": False,
        "properties": {
            "id": _text("the document's id (its text: /api/documents?id=...)"),
            "url": _text("the article's URL; empty when unknown"),
            "title": _text("plain text"),
            "source": _text("the publisher; empty when unknown"),
            "published": _NULLABLE_TIME,
        },
    },
    "FacetValue": {
        "type": "object",
        "required": ["value", "count"],
        "additionalProperties": False,
        "properties": {
            "value": _text("a language, a source or a year-month (YYYY-MM)"),
            "count": {"type": "integer", "minimum": 1},
        },
    },
    "SearchResponse": {
        "type": "object",
        "required": [
            "query",
            "total",
            "total_all_words",
            "page",
            "size",
            "results",
            "facets",
            "suggestion",
            "took_ms",
            "timed_out",
            "phrases_as_words",
        ],
        "additionalProperties": False,
        "properties": {
            "query": _text("the query as searched"),
            "total": {
                "type": "integer",
                "minimum": 0,
                "description": "matching articles: those with any of the query's words"
                " (question and function words aside), ranked by score times the share of"
                " the words' rarity they hold",
            },
            "total_all_words": {
                "type": "integer",
                "minimum": 0,
                "description": "of the total, the articles with every word (in a search of up"
                " to three words they rank first; the others lack some, named in each"
                " result's missing)",
            },
            "page": {"type": "integer", "minimum": 1},
            "size": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            "results": {"type": "array", "items": _ref("Hit")},
            "facets": {
                "type": "object",
                "description": "counts over the whole result set, by facet name (language, "
                "source, year-month), most frequent first",
                "additionalProperties": {"type": "array", "items": _ref("FacetValue")},
            },
            "suggestion": {
                "type": "string",
                "nullable": True,
                "description": "a respelled query the index has more matches for, or null",
            },
            "took_ms": {"type": "number", "minimum": 0},
            "timed_out": {
                "type": "boolean",
                "description": "true when the search's time budget ran out: the answer holds"
                " what was found by then (counts and ranking from the words looked at)",
            },
            "phrases_as_words": {
                "type": "array",
                "items": {"type": "string"},
                "description": "quoted phrases of the query that no article holds as written,"
                " searched as their words instead (as written, with their quotes)",
            },
        },
    },
    "SearchParameters": {
        "type": "object",
        "required": ["q"],
        "additionalProperties": False,
        "description": "the parameters of GET /api/search, with the same meaning and limits",
        "properties": {
            "q": {"type": "string"},
            "lang": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
            "source": {
                "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]
            },
            "from": {"type": "string"},
            "to": {"type": "string"},
            "sort": {"type": "string", "enum": list(SORTS)},
            "page": {"type": "integer", "minimum": 1},
            "size": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
        },
    },
    "Document": {
        "type": "object",
        "required": [
            "id",
            "url",
            "title",
            "body",
            "lang",
            "source",
            "author",
            "published",
            "tags",
        ],
        "additionalProperties": False,
        "properties": {
            "id": _text("canonical URL, else record id, else path (path:line for JSON Lines)"),
            "url": _text("empty when unknown"),
            "title": _text("plain text"),
            "body": _text("the cleaned article text, plain"),
            "lang": _text("ko, zh-Hans, zh-Hant, en, ja, ..."),
            "source": _text("the publisher; empty when unknown"),
            "author": _text("empty when unknown"),
            "published": _NULLABLE_TIME,
            "tags": {"type": "array", "items": {"type": "string"}},
        },
    },
    "Related": {
        "type": "object",
        "required": ["id", "results"],
        "additionalProperties": False,
        "properties": {
            "id": _text("the document the results are related to"),
            "results": {"type": "array", "items": _ref("Hit")},
        },
    },
    "Health": {
        "type": "object",
        "required": ["status", "generation", "documents"],
        "additionalProperties": False,
        "properties": {
            "status": {"type": "string", "enum": ["ok"]},
            "generation": _text("the index generation being served"),
            "documents": {"type": "integer", "minimum": 0},
        },
    },
}


def _query(name: str, description: str, schema: dict, **extra) -> dict:
    return {"name": name, "in": "query", "description": description, "schema": schema, **extra}


_DAY = {"type": "string", "pattern": r"^\d{4}(-\d{1,2}(-\d{1,2})?)?$"}
_SIZE = _query(
    "size",
    f"results per page, 1 to {MAX_PAGE_SIZE}",
    {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": 10},
)
_ID_IN_PATH = {
    "name": "id",
    "in": "path",
    "required": True,
    "description": "a document id; it may contain slashes and colons (a URL, news/a.txt, "
    "file.jsonl:3): send it percent-encoded as a whole or with its slashes as they are",
    "schema": {"type": "string"},
}
_ID_IN_QUERY = _query("id", "a document id, percent-encoded", {"type": "string"}, required=True)


def openapi_document() -> dict:
    """The OpenAPI 3.0 document of the API."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "hansearch",
            "version": version("hansearch"),
            "description": "Full-text search of Chinese, Korean and English news. Every "
            'answer is JSON; an error is {"error": {"code", "message"}}.',
        },
        "paths": {
            "/api/search": {
                "get": {
                    "operationId": "search",
                    "summary": "Ranked articles for a query, with highlights and facets",
                    "parameters": [
                        _query(
                            "q",
                            'the query: words (all must match, else any), "exact phrase", '
                            "-excluded, a OR b, lang:ko, source:NAME, title:word, "
                            "published:2024-07..2024-08",
                            {"type": "string"},
                            required=True,
                        ),
                        _query(
                            "lang",
                            "languages to keep (ko, zh, zh-Hans, zh-Hant, en, ja); repeat "
                            "it or separate with commas",
                            {"type": "array", "items": {"type": "string"}},
                            style="form",
                            explode=True,
                        ),
                        _query(
                            "source",
                            "sources (publishers) to keep; repeat it for several",
                            {"type": "array", "items": {"type": "string"}},
                            style="form",
                            explode=True,
                        ),
                        _query(
                            "from",
                            "first day, YYYY-MM-DD; YYYY-MM or YYYY mean its first day",
                            _DAY,
                        ),
                        _query(
                            "to",
                            "last day, YYYY-MM-DD; YYYY-MM or YYYY mean its last day",
                            _DAY,
                        ),
                        _query(
                            "sort",
                            "relevance, or date (newest first)",
                            {"type": "string", "enum": list(SORTS), "default": "relevance"},
                        ),
                        _query(
                            "page",
                            f"page number from 1; page x size at most {MAX_RESULT_DEPTH}",
                            {"type": "integer", "minimum": 1, "default": 1},
                        ),
                        _SIZE,
                    ],
                    "responses": {
                        "200": _json("one page of results", _ref("SearchResponse")),
                        **_errors("400", "503"),
                    },
                },
                "post": {
                    "operationId": "searchByBody",
                    "summary": "The same search with its parameters in a JSON body, for "
                    "queries too long for a URL",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("SearchParameters")}},
                    },
                    "responses": {
                        "200": _json("one page of results", _ref("SearchResponse")),
                        **_errors("400", "413", "503"),
                    },
                },
            },
            "/api/documents/{id}": {
                "get": {
                    "operationId": "document",
                    "summary": "One stored article",
                    "description": "If no document has this id but it ends in /related "
                    "and what comes before is a document, the answer is that document's "
                    "related articles (the next path).",
                    "parameters": [_ID_IN_PATH],
                    "responses": {
                        "200": _json("the article", _ref("Document")),
                        **_errors("404", "503"),
                    },
                }
            },
            "/api/documents/{id}/related": {
                "get": {
                    "operationId": "related",
                    "summary": "Articles like this one (more like this)",
                    "description": "A document whose own id ends in /related is returned "
                    "by /api/documents/{id} instead; /api/related?id= is never ambiguous.",
                    "parameters": [_ID_IN_PATH, _SIZE],
                    "responses": {
                        "200": _json("related articles, best first", _ref("Related")),
                        **_errors("400", "404", "503"),
                    },
                }
            },
            "/api/documents": {
                "get": {
                    "operationId": "documentById",
                    "summary": "One stored article, its id given as a query parameter",
                    "parameters": [_ID_IN_QUERY],
                    "responses": {
                        "200": _json("the article", _ref("Document")),
                        **_errors("400", "404", "503"),
                    },
                }
            },
            "/api/related": {
                "get": {
                    "operationId": "relatedById",
                    "summary": "Articles like this one, its id given as a query parameter",
                    "parameters": [_ID_IN_QUERY, _SIZE],
                    "responses": {
                        "200": _json("related articles, best first", _ref("Related")),
                        **_errors("400", "404", "503"),
                    },
                }
            },
            "/api/health": {
                "get": {
                    "operationId": "health",
                    "summary": "The generation being served and its document count",
                    "responses": {
                        "200": _json("serving", _ref("Health")),
                        **_errors("503"),
                    },
                }
            },
            "/api/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "responses": {
                        "200": _json("the OpenAPI 3.0 document", {"type": "object"}),
                        "default": _json("any error", _ref("Error")),
                    },
                }
            },
        },
        "components": {"schemas": _SCHEMAS},
    }
