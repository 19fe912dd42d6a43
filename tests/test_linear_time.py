"""Every pass over article text takes time linear in its length, whatever the text.

A 9 MB file of one line once held a whole rebuild at 100% CPU: the inline-footer search
(``boilerplate.cut_inline_footer``, called by furniture learning) tried every split of a run
of letters, in time growing with the cube of its length (1,000 Hangul without spaces took
1.1 s, 2,000 took 8.4 s, 5,702 characters of "中国news" 176 s). Here lines of 1,000,000
characters without a space (Hangul, Han, Latin, digits, "@", ".", "-" and mixes such as
"中国news", "a@b." or "다." repeated), and lines of markup that made other passes quadratic,
go through each reader, each cleaning step, furniture learning and a real rebuild.

Each test runs in a fresh Python process, killed after ``TIMEOUT`` seconds: a regular
expression stuck in C cannot be interrupted inside the process. It is a functional check,
not a speed test: when every pass is linear a test takes a few seconds, when one is not it
never ends. Each also checks the output: the text is kept, the document found.

The rebuild indexes lines of 120,000 (Hangul: Korean analysis costs about 20 µs a
character, 1 MB of Hangul would add 7 s) to 1,000,000 characters; ``bench/cleaning_scaling.py``
times the cleaning and reading passes from 10 KB to 10 MB.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, write_config

TIMEOUT = 90  # seconds for each test's process; linear passes need well under 10
LENGTH = 1_000_000  # characters of each adversarial line
# Lines without a space: each character class a pass over text treats specially.
UNITS = {
    "hangul": "가나다라마바사아자차카타파하",
    "han": "中华人民共和国国际论坛",
    "latin": "abcdefghijklmnopqrstuvwxyz",
    "digits": "0123456789",
    "at": "@",
    "dot": ".",
    "dash": "-",
    "news in chinese": "中国news",
    "a@b.": "a@b.",
    "e-mail": "a@b.c",
    "da.": "다.",
    "reporter": "홍길동기자",
    "mixed": "가中a1@.-",
}
# The most a cleaning step may cut from the end of a line: inline footers, and no more.
MAX_CUT = 400
FORMATS = ("text", "jekyll-html", "markdown", "jsonl", "html")


def line_of(unit: str, length: int = LENGTH) -> str:
    return (unit * (length // len(unit) + 1))[:length]


def _in_fresh_python(case: str, *args: str) -> None:
    """Run ``case(*args)`` of this module in a new Python, failing if it does not end in time."""
    code = (
        f"import sys; sys.path[:0] = [{str(REPO / 'tests')!r}, {str(REPO)!r}]; "
        f"import test_linear_time as t; t.{case}(*sys.argv[1:])"
    )
    command = [sys.executable, "-c", code, *args]
    try:
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired as expired:
        stderr = expired.stderr or b""
        stderr = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
        last = stderr.strip().splitlines()[-1:] or ["(nothing)"]
        pytest.fail(f"{case}{args} did not end within {TIMEOUT} s; it was at: {last[0]}")
    assert done.returncode == 0, done.stderr[-4000:]


def _step(*what: object) -> None:
    """Say what the case is doing, so a timeout names the step that did not end."""
    print(*what, file=sys.stderr, flush=True)


def _kept(out: str, line: str) -> None:
    """``out`` is ``line``, save at most MAX_CUT characters cut from its end."""
    assert len(out) >= len(line) - MAX_CUT, (len(out), len(line))
    assert line.startswith(out[:100_000]) or out.startswith(line[:100_000])


# --- cleaning ------------------------------------------------------------------------------


def _cleaning_steps():
    from indexer.boilerplate import cut_inline_footer, strip_boilerplate
    from indexer.byline import clean_author
    from indexer.clean import html_to_text, markup_to_text, normalise_paragraphs
    from indexer.formats.markdown import markdown_to_text

    return {
        "cut_inline_footer": cut_inline_footer,
        "strip_boilerplate scraped": strip_boilerplate,
        "strip_boilerplate feed": lambda text: strip_boilerplate(text, trim_head=False),
        "normalise_paragraphs": normalise_paragraphs,
        "markup_to_text": markup_to_text,
        "html_to_text": lambda text: html_to_text(f"<article><p>{text}</p></article>"),
        "markdown_to_text": markdown_to_text,
        "clean_author": clean_author,
    }


CLEANING_STEPS = (
    "cut_inline_footer",
    "strip_boilerplate scraped",
    "strip_boilerplate feed",
    "normalise_paragraphs",
    "markup_to_text",
    "html_to_text",
    "markdown_to_text",
    "clean_author",
)


def case_cleaning(name: str) -> None:
    step = _cleaning_steps()[name]
    for kind, unit in UNITS.items():
        line = line_of(unit)
        _step(name, kind)
        out = step(line)
        if name == "markdown_to_text" and kind == "dash":
            assert out == ""  # a line of dashes is a markdown rule
        elif not (name == "clean_author" and "@" in unit):  # e-mail addresses go
            _kept(out, line)


@pytest.mark.parametrize("name", CLEANING_STEPS)
def test_a_cleaning_step_keeps_a_long_line_in_linear_time(name):
    _in_fresh_python("case_cleaning", name)


# Markup that made a pass re-read the rest of the line from each of its marks.
def case_markup(target: str) -> None:
    from indexer.byline import clean_author
    from indexer.clean import html_to_text, markup_to_text
    from indexer.formats.jekyll import body_html
    from indexer.formats.markdown import markdown_to_text
    from indexer.frontmatter import split_front_matter
    from indexer.skip import SkipFile

    n = LENGTH
    if target == "markdown":
        for unit in ("[](", "[", "![](", "*a ", "_a ", "**a ", "#a ", "a b"):
            _step(target, unit)
            assert markdown_to_text(line_of(unit, n) + "x")
        _step(target, "spaces before a closing #")
        assert markdown_to_text("# a" + " " * n + "b") == "a b"
        _step(target, "a generator header line of '](' pairs")
        assert body_html(line_of("[](", n) + "\n<p>x</p>").startswith("[](")
    elif target == "front matter":
        _step(target, "spaces inside a value")
        meta, body = split_front_matter("---\ntitle: a" + " " * n + "b\n---\nbody")
        assert (meta["title"], body) == ("a b", "body")
        _step(target, "a quote over many lines")
        text = '---\ntitle: "' + "\n가나" * (n // 3) + '"\n---\nbody'
        meta, body = split_front_matter(text)
        assert meta["title"].startswith("가나 가나") and body == "body"
        _step(target, "a quote never closed")
        with pytest.raises(SkipFile, match="never closes"):
            split_front_matter('---\ntitle: "' + "\n가나" * (n // 3) + "\n---\nbody")
    elif target == "tags":
        for text, kept in (
            ("<a " + "=" * n, "<a " + "=" * n),
            ("<b x=" + " " * n + "<", "<b x= <"),
            ("<b" + " " * n + "x", "<b x"),
        ):
            _step(target, repr(text[:6]))
            assert markup_to_text(text) == kept
    elif target == "html":
        for unit in ("<a", "<!--x>", "</a", "<?x", "<!x"):
            # Unclosed at the end of the input: it runs to the end, as HTML5 says.
            _step(target, "unclosed", unit)
            assert html_to_text("<p>kept</p>" + line_of(unit, n)) == "kept"
        _step(target, "nested list items")
        assert html_to_text("<li><b>x" * (n // 8)).count("x") == n // 8
        _step(target, "nested elements, then end tags of none of them")
        assert html_to_text("<div>" * (n // 12) + "x" + "</span>" * (n // 12)) == "x"
    elif target == "author":
        for unit in ("2024-01-01", "(", "홍길동", ".", "a,"):
            _step(target, unit)
            clean_author(line_of(unit, n))
    else:
        raise ValueError(target)


@pytest.mark.parametrize("target", ["markdown", "front matter", "tags", "html", "author"])
def test_markup_in_a_long_line_is_read_in_linear_time(target):
    _in_fresh_python("case_markup", target)


# --- reading -------------------------------------------------------------------------------


def _file_holding(line: str, fmt: str, marker: str) -> tuple[str, str]:
    """(file name, content) of a ``fmt`` file whose title is ``marker``, its body ``line``."""
    if fmt == "text":
        return f"{marker}.txt", f"{marker}\n\n{line}\n"
    if fmt == "jekyll-html":
        front = f"---\ntitle: {marker}\nfrom: https://example.com/{marker}\n---\n"
        return f"{marker}.md", f"{front}<!--NaN-->\n<p>{line}</p>\n"
    if fmt == "markdown":
        return f"{marker}.md", f"---\ntitle: {marker}\npublisher: 연합뉴스\n---\n{line}\n"
    if fmt == "jsonl":
        record = {"id": marker, "title": marker, "body": line, "author": line[:100_000]}
        return f"{marker}.jsonl", json.dumps(record, ensure_ascii=False) + "\n"
    if fmt == "html":
        page = f"<html><head><title>{marker}</title></head><body><article><p>{line}</p>"
        return f"{marker}.html", page + "</article></body></html>\n"
    raise ValueError(fmt)


def case_reading(fmt: str, folder: str) -> None:
    from indexer.reader import ReadOptions, read_file
    from indexer.sources import SourceFile
    from search.document import Document

    for kind, unit in UNITS.items():
        line = line_of(unit)
        name, content = _file_holding(line, fmt, "zebra")
        path = Path(folder) / name
        path.write_text(content, "utf-8")
        _step(fmt, kind)
        items = list(read_file(SourceFile(path, name, path.stat().st_size), ReadOptions()))
        docs = [item for item in items if isinstance(item, Document)]
        assert len(docs) == 1, items
        assert docs[0].title == "zebra"
        if fmt == "markdown" and kind == "dash":
            assert docs[0].body == ""  # a line of dashes is a markdown rule
        else:
            _kept(docs[0].body, line)


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_reader_reads_a_long_line_in_linear_time(fmt, tmp_path):
    _in_fresh_python("case_reading", fmt, str(tmp_path))


# --- furniture learning --------------------------------------------------------------------


def case_furniture(folder: str) -> None:
    from indexer.boilerplate import drop_lines, repeated_lines
    from indexer.furniture import learn_furniture
    from indexer.reader import ReadOptions
    from indexer.units import plan_units

    corpus = Path(folder) / "news"
    corpus.mkdir()
    lines = {kind: line_of(unit) for kind, unit in UNITS.items()}
    for number, line in enumerate(lines.values()):
        name, content = _file_holding(line, "markdown", f"article{number}")
        (corpus / name).write_text(content, "utf-8")
    options = ReadOptions()
    _step("learn_furniture")
    assert not learn_furniture(plan_units([corpus], options), options).lines
    for kind, line in lines.items():
        _step("repeated_lines, drop_lines", kind)
        bodies = [f"{line}\n\n구독하기"] * 6
        assert repeated_lines(bodies) == {"구독하기"}  # the long line is no furniture
        assert drop_lines(bodies[0], {"구독하기"}) == line


def test_furniture_learning_reads_long_lines_in_linear_time(tmp_path):
    _in_fresh_python("case_furniture", str(tmp_path))


# --- indexing ------------------------------------------------------------------------------

# (format, kind, length, terms of the line to find: (field, term)); the title of each file
# is its marker, "zebra" and the format's position.
INDEXED = (
    ("text", "hangul", 120_000, [("body_chars", "가나")]),
    ("markdown", "news in chinese", LENGTH, [("body", "news"), ("body_chars", "中国")]),
    ("jsonl", "a@b.", LENGTH, [("body", "b.a")]),
    ("html", "mixed", 300_000, [("body", "a1"), ("body_chars", "中")]),
    ("jekyll-html", "digits", LENGTH, []),
)
MARKERS = ("zebraone", "zebratwo", "zebrathree", "zebrafour", "zebrafive")


def _rebuilt_long_lines(root: Path, engine: str):
    """Settings of an index built by ``engine`` from one file of each of INDEXED."""
    from indexer.build import rebuild
    from search.config import load_settings

    corpus = root / "news"
    corpus.mkdir()
    for (fmt, kind, length, _), marker in zip(INDEXED, MARKERS, strict=True):
        name, content = _file_holding(line_of(UNITS[kind], length), fmt, marker)
        (corpus / name).write_text(content, "utf-8")
    extra = f'engine = "{engine}"\n'
    config = write_config(root / "config.toml", corpus, root / "index", index_extra=extra)
    settings = load_settings(config, environ={})
    _step("rebuild")
    report = rebuild(settings)
    assert (report.indexed, report.skipped) == (len(INDEXED), [])
    return settings


def case_rebuild(folder: str) -> None:
    from whoosh.query import Term

    from search.models import SearchRequest
    from search.searcher import SearchService
    from search.store import IndexStore

    settings = _rebuilt_long_lines(Path(folder), "whoosh")
    _step("search")
    with IndexStore(settings.index.path).open_current().searcher() as searcher:
        for (fmt, kind, length, terms), marker in zip(INDEXED, MARKERS, strict=True):
            hits = searcher.search(Term("title", marker))
            assert len(hits) == 1, (fmt, marker)
            _kept(hits[0]["body"], line_of(UNITS[kind], length))
            for field, term in terms:
                found = [hit["title"] for hit in searcher.search(Term(field, term), limit=None)]
                assert found == [marker], (fmt, field, term, found)
    _step("highlight")
    # Two words, each standing hundreds of thousands of times in one line: ranked (the
    # words' places, search.proximity), highlighted and cut to a snippet.
    response = SearchService(settings).search(SearchRequest(q="中国 news"))
    assert not response.timed_out
    snippet = response.results[0].snippet_html
    assert snippet.startswith("<mark>中国news中国news") and snippet.endswith("</mark> …")


def test_rebuild_indexes_and_finds_files_of_one_long_line(tmp_path):
    _in_fresh_python("case_rebuild", str(tmp_path))


def case_rebuild_xapian(folder: str) -> None:
    """The same files in a Xapian index, searched, highlighted and opened as users do."""
    import xapian

    from search.models import SearchRequest
    from search.searcher import SearchService
    from search.store import IndexStore
    from search.xapian_documents import term

    settings = _rebuilt_long_lines(Path(folder), "xapian")
    service = SearchService(settings)
    db = xapian.Database(str(IndexStore(settings.index.path).current_path()))
    for (fmt, kind, length, terms), marker in zip(INDEXED, MARKERS, strict=True):
        _step("search", marker)
        hits = service.search(SearchRequest(q=f"title:{marker}")).results
        assert [hit.title_html for hit in hits] == [f"<mark>{marker}</mark>"], (fmt, marker)
        _kept(service.document(hits[0].id).body, line_of(UNITS[kind], length))
        for field, text in terms:
            enquire = xapian.Enquire(db)
            enquire.set_query(xapian.Query(term(field, text)))
            found = [
                service.document(m.document.get_value(7).decode()).title
                for m in enquire.get_mset(0, 10)
            ]
            assert found == [marker], (fmt, field, text, found)
    _step("highlight")
    # Every character of the line is a match: one mark (touching marks are merged),
    # as long as the snippet.
    response = service.search(SearchRequest(q="中国 news"))
    assert not response.timed_out
    snippet = response.results[0].snippet_html
    assert snippet.startswith("<mark>中国news中国news") and snippet.endswith("</mark> …")
    assert len(snippet) < 400


def test_a_xapian_rebuild_indexes_highlights_and_opens_files_of_one_long_line(tmp_path):
    _in_fresh_python("case_rebuild_xapian", str(tmp_path))
