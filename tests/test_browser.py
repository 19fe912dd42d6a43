"""The search page in a real browser (Debian's Chromium driven by Playwright) against a real
``hansearch serve`` (gunicorn) on the fixture index: what a reader sees and can do, with
the keyboard, on a phone, and with JavaScript off. With ``--update-screenshots`` it saves
the README's screenshots (and refuses to without CJK fonts); otherwise nothing in the
repository is written."""

from __future__ import annotations

import subprocess
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from conftest import REPO, serving, serving_config

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CHINESE_SEED = (
    "https://www.rfa.org/mandarin/yataibaodao/junshiwaijiao/"
    "tt-us-japan-military-alliance-07282024104813.html"
)
KOREAN_SEED = "news/004_af721fc1b1a612be.txt"
SCREENSHOTS = REPO / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}

if not CHROMIUM.exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)


@pytest.fixture(scope="module")
def server(search_settings, tmp_path_factory):
    """``hansearch serve`` on the fixture index: one worker of four threads; its base URL."""
    folder = tmp_path_factory.mktemp("browser")
    config = serving_config(
        search_settings, folder, "workers = 1\nthreads = 4\nqueue_wait_ms = 60000\n"
    )
    with serving(config, folder, workers=1) as served:
        yield served.base


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Watched:
    """A page whose dialogs (an ``alert`` an article smuggled in), console errors (a script
    or style the Content-Security-Policy refused) and failed assets fail the test."""

    def __init__(self, context) -> None:
        self.context = context
        self.page = context.new_page()
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page.on("dialog", self._dialog)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("response", self._response)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _console(self, message) -> None:
        # A page answered with 400 or 404 is logged too; _response judges those.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(message.text)

    def _response(self, response) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            self.errors.append(f"{response.status} {response.url}")


def _watched(browser, server, **options):
    options.setdefault("viewport", DESKTOP)
    context = browser.new_context(base_url=server, **options)
    watched = Watched(context)
    yield watched.page
    context.close()
    assert watched.dialogs == [], "a dialog opened"
    assert watched.errors == []


@pytest.fixture
def page(browser, server):
    yield from _watched(browser, server)


@pytest.fixture
def phone(browser, server):
    yield from _watched(browser, server, viewport=PHONE, is_mobile=True, has_touch=True)


def search(page, query: str) -> None:
    """Type ``query`` in the box of the home page and press Enter, as a reader does."""
    page.goto("/")
    page.locator("#q").fill(query)
    with page.expect_navigation():
        page.locator("#q").press("Enter")


def result_ids(page) -> list[str]:
    """The id of each result on the page, from its "Text and related" link."""
    links = page.locator(".hit .hit-links a").evaluate_all("links => links.map(a => a.href)")
    return [parse_qs(urlsplit(link).query)["id"][0] for link in links]


def test_a_simplified_query_finds_the_chinese_seed_first_with_the_traditional_word_marked(page):
    search(page, "吓阻")
    first = page.locator(".hit").first
    expect(first.locator(".hit-title a")).to_have_attribute("href", CHINESE_SEED)
    expect(first).to_have_attribute("lang", "zh-Hans")
    marks = first.locator(".snippet mark").all_inner_texts()
    assert marks and set(marks) == {"嚇阻"}
    assert page.locator("#q").input_value() == "吓阻"
    assert parse_qs(urlsplit(page.url).query) == {"q": ["吓阻"]}


def test_a_korean_query_finds_the_korean_seed_first(page):
    search(page, "사령부")
    first = page.locator(".hit").first
    expect(first).to_have_attribute("lang", "ko")
    assert result_ids(page)[0] == KOREAN_SEED
    assert "사령부" in first.locator(".hit-title mark").all_inner_texts()
    expect(first.locator(".source")).to_have_text("이데일리")


def test_a_language_facet_narrows_to_that_language_with_its_count_and_undoes(page):
    search(page, "美日 OR 사령부 OR Blinken")
    expect(page.locator("h1")).to_contain_text("35 results")
    korean = page.locator(".facet a", has=page.locator('.label[lang="ko"]'))
    count = int(korean.locator(".count").inner_text())
    assert count == 32
    with page.expect_navigation():
        korean.click()
    expect(page.locator("h1")).to_contain_text(f"{count} results")
    assert parse_qs(urlsplit(page.url).query)["lang"] == ["ko"]
    langs = page.locator(".hits > .hit").evaluate_all("hits => hits.map(h => h.lang)")
    assert langs == ["ko"] * 10
    facet = page.locator(".facet").first.locator("a")
    expect(facet).to_have_count(1)
    expect(facet).to_have_attribute("aria-current", "true")
    with page.expect_navigation():
        facet.click()
    expect(page.locator("h1")).to_contain_text("35 results")
    assert "lang" not in parse_qs(urlsplit(page.url).query)


def test_page_two_shows_other_results_and_its_url_says_so(page):
    search(page, "사령부")
    first = result_ids(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Next ›").click()
    assert parse_qs(urlsplit(page.url).query) == {"q": ["사령부"], "page": ["2"]}
    second = result_ids(page)
    assert len(first) == len(second) == 10
    assert not set(first) & set(second)
    expect(page.locator('.pager a[aria-current="page"]')).to_have_text("Page 2")


def test_a_title_with_a_script_tag_renders_as_text(page):
    search(page, "alert")
    title = page.locator(".hit-title").first
    expect(title).to_have_text("<script>alert(1)</script> 태그 보도")
    assert page.locator("main script, main b").count() == 0
    page.locator(".hit .hit-links a").first.click()
    expect(page.locator("h1")).to_have_text("<script>alert(1)</script> 태그 보도")
    expect(page.locator("h1 mark")).to_have_text("alert")


def test_the_phone_layout_never_scrolls_sideways(phone, server):
    for url in (
        "/",
        "/search?q=" + quote("사령부"),
        "/search?q=" + quote("美日 安全磋商"),
        "/doc?id=" + quote(CHINESE_SEED, safe="") + "&q=" + quote("吓阻"),
        "/doc?id=" + quote(KOREAN_SEED, safe=""),
        "/search?q=-",
    ):
        phone.goto(url)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (url, width)


def test_slash_focuses_the_search_box_unless_typing_elsewhere(page):
    page.goto("/search?q=" + quote("사령부"))
    assert page.evaluate("document.activeElement.id") != "q"
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"
    assert page.locator("#q").input_value() == "사령부"
    page.locator("#from").focus()
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "from"
    assert page.locator("#from").input_value() == "/"


def test_results_are_reached_by_tab_with_a_visible_focus(page):
    page.goto("/search?q=" + quote("사령부"))
    presses = 0
    while not page.evaluate("!!document.activeElement.closest('.hit-title')"):
        assert presses < 8, "no result title within 8 presses of Tab"
        page.keyboard.press("Tab")
        presses += 1
    outline = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; })()"
    )
    assert outline[0] != "none" and outline[1] >= 2
    skip = page.locator(".skip")
    page.goto("/search?q=" + quote("사령부"))
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()


def test_titles_are_suggested_as_you_type(page):
    page.goto("/")
    page.locator("#q").fill("吓阻")
    suggestion = page.locator("#suggestions a").first
    expect(suggestion).to_have_text("美日2+2安全磋商 加强驻日美军军事指挥权")
    page.locator("#q").press("ArrowDown")
    expect(suggestion).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#suggestions")).to_be_hidden()


def test_search_works_with_javascript_off(browser, server):
    context = browser.new_context(base_url=server, viewport=DESKTOP, java_script_enabled=False)
    try:
        page = context.new_page()
        search(page, "吓阻")
        expect(page.locator(".hit-title a").first).to_have_attribute("href", CHINESE_SEED)
        expect(page.locator(".hit .snippet mark").first).to_have_text("嚇阻")
        with page.expect_navigation():
            page.locator("#from").fill("2024-08")
            page.locator("#from").press("Enter")
        expect(page.locator("h1")).to_contain_text("0 results")
        assert parse_qs(urlsplit(page.url).query) == {"q": ["吓阻"], "from": ["2024-08"]}
    finally:
        context.close()


_ACCESSIBILITY = """() => {
  const rgba = (text) => {
    const parts = text.match(/[\\d.]+/g).map(Number);
    return [parts[0], parts[1], parts[2], parts.length > 3 ? parts[3] : 1];
  };
  const over = (top, bottom) =>
    [0, 1, 2].map((i) => top[i] * top[3] + bottom[i] * (1 - top[3])).concat([1]);
  const luminance = (c) => {
    const [r, g, b] = c.slice(0, 3).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const contrast = (a, b) => {
    const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const background = (element) => {
    const layers = [];
    for (let e = element; e; e = e.parentElement) {
      const color = rgba(getComputedStyle(e).backgroundColor);
      if (color[3] > 0) layers.push(color);
      if (color[3] >= 1) break;
    }
    return layers.reduceRight((below, layer) => over(layer, below), [255, 255, 255, 1]);
  };
  const low = [];
  const checked = new Set();
  const check = (element, color, what) => {
    const bg = background(element);
    const ratio = contrast(over(rgba(color), bg), bg);
    checked.add(what);
    const text = element.textContent.trim().slice(0, 20);
    if (ratio < 4.5) low.push(`${what} "${text}" ${ratio.toFixed(2)}`);
  };
  for (const element of document.querySelectorAll("body *")) {
    const text = [...element.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!text || !element.getClientRects().length || element.closest(".visually-hidden")) continue;
    check(element, getComputedStyle(element).color, element.tagName.toLowerCase());
  }
  for (const input of document.querySelectorAll("input[placeholder]")) {
    check(input, getComputedStyle(input, "::placeholder").color, "placeholder");
  }
  const fields = [...document.querySelectorAll("input, select, textarea")]
    .filter((f) => f.type !== "hidden");
  return {
    unlabelled: fields.filter((f) => !f.labels.length && !f.getAttribute("aria-label"))
      .map((f) => f.name),
    withoutAlt: [...document.images].filter((i) => !i.hasAttribute("alt")).map((i) => i.src),
    h1: document.querySelectorAll("h1").length,
    lang: document.documentElement.lang,
    withoutLang: [...document.querySelectorAll(".hit, .doc")].filter((e) => !e.lang).length,
    low,
    checked: [...checked].sort(),
  };
}"""


@pytest.mark.parametrize(
    ("url", "kinds"),
    [
        ("/", {"a", "h1", "code"}),
        ("/search?q=" + quote("美日 OR 사령부 OR Blinken"), {"a", "mark", "p", "time", "span"}),
        ("/search?q=" + quote("吓阻") + "&from=2024-07&to=2024-07", {"a", "mark", "span"}),
        ("/search?q=blinkn&lang=ko", {"a", "li", "p"}),
        ("/doc?id=" + quote(CHINESE_SEED, safe="") + "&q=" + quote("吓阻"), {"mark", "dt", "a"}),
        ("/search?q=-", {"h1", "p", "a"}),
    ],
)
def test_accessibility(page, url, kinds):
    """Labels, alt texts, one h1, languages, and contrast of every text against what is
    behind it (WCAG AA: 4.5:1), computed from the styles the browser applied."""
    page.goto(url)
    found = page.evaluate(_ACCESSIBILITY)
    assert found["unlabelled"] == []
    assert found["withoutAlt"] == []
    assert found["h1"] == 1
    assert found["lang"] == "en"
    assert found["withoutLang"] == 0
    assert found["low"] == []
    assert kinds | {"placeholder"} <= set(found["checked"])


@pytest.mark.parametrize(
    ("name", "query"),
    [("zh", "美日 安全磋商"), ("ko", "주일미군 사령부")],
)
def test_screenshots(browser, server, name, query, request, tmp_path):
    """The results page in each language at desktop and phone width, for the README."""
    folder = tmp_path
    if request.config.getoption("--update-screenshots"):
        missing = [lang for lang in ("zh", "ko") if not _fonts_for(lang)]
        if missing:
            pytest.fail(
                f"no font for {', '.join(missing)}: the screenshots would show empty boxes;"
                " install fonts-noto-cjk first"
            )
        folder = SCREENSHOTS
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context = browser.new_context(base_url=server, viewport=viewport)
        try:
            page = context.new_page()
            page.goto("/search?q=" + quote(query))
            expect(page.locator(".hit").first).to_be_visible()
            page.screenshot(path=folder / f"{name}-{size}.png")
        finally:
            context.close()
        assert (folder / f"{name}-{size}.png").stat().st_size > 10_000


def _fonts_for(lang: str) -> list[str]:
    """Fonts fontconfig has for ``lang`` (``fc-list :lang=ko``)."""
    try:
        found = subprocess.run(
            ["fc-list", f":lang={lang}", "family"], capture_output=True, text=True, timeout=30
        )
    except OSError:
        return []
    return found.stdout.split("\n") if found.stdout.strip() else []


HOSTILE_URLS = [
    "javascript:alert(1)",
    " JavaScript:alert(2)",
    "java\tscript:alert(3)",
    "data:text/html,<script>alert(4)</script>",
    "vbscript:msgbox(5)",
    "\x00javascript:alert(6)",
]


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory, dictionaries):
    """A server on an index holding articles whose stored URLs are hostile (written into
    Whoosh directly: the readers drop such URLs, an index from elsewhere may not)."""
    from whoosh import index as whoosh_index

    from search.document import Document
    from search.schema import build_schema, document_fields
    from search.store import IndexStore

    folder = tmp_path_factory.mktemp("hostile-urls")
    store = IndexStore(folder / "index")
    generation = store.new_generation()
    ix = whoosh_index.create_in(str(generation), build_schema(dictionaries))
    writer = ix.writer()
    for number, url in enumerate([*HOSTILE_URLS, "https://example.org/safe"]):
        writer.add_document(
            **document_fields(
                Document(
                    id=f"hostile-{number}",
                    title=f"사령부 기사 {number}",
                    body=f"사령부 개편 계획이 발표되었다. 기사 번호 {number}.",
                    lang="ko",
                    url=url,
                )
            )
        )
    writer.commit()
    store.switch_to(generation)
    config = folder / "config.toml"
    config.write_text(
        f'[index]\npath = "{store.path}"\n[server]\nworkers = 1\nthreads = 4\n', "utf-8"
    )
    with serving(config, folder, workers=1) as served:
        yield served.base


def test_only_web_links_are_links_even_with_the_csp_off(browser, hostile_server):
    context = browser.new_context(base_url=hostile_server, viewport=DESKTOP, bypass_csp=True)
    dialogs: list[str] = []
    try:
        page = context.new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto("/search?q=" + quote("사령부"))
        expect(page.locator(".hit")).to_have_count(7)
        hrefs = page.locator("a[href]").evaluate_all("links => links.map(a => a.href)")
        schemes = {urlsplit(href).scheme for href in hrefs}
        assert schemes == {"http", "https"}, hrefs
        assert page.locator('.hit-title a[href="https://example.org/safe"]').count() == 1
        for title in page.locator(".hit-title a").all()[:3]:
            with page.expect_navigation():
                title.click()
            assert urlsplit(page.url).path == "/doc"  # its page here, not the hostile URL
            related = page.locator("a[href]").evaluate_all("links => links.map(a => a.href)")
            assert {urlsplit(href).scheme for href in related} <= {"http", "https"}
            page.go_back()
        api = page.request.get(hostile_server + "/api/search?size=20&q=" + quote("사령부"))
        urls = {hit["id"]: hit["url"] for hit in api.json()["results"]}
        assert urls == {
            **{f"hostile-{n}": "" for n in range(len(HOSTILE_URLS))},
            f"hostile-{len(HOSTILE_URLS)}": "https://example.org/safe",
        }
    finally:
        context.close()
    assert dialogs == []
