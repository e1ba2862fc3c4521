"""The Gradio app in a real headless Chromium (Debian's, driven by Playwright), plus its pure view helpers.

The browser tests start the app on 127.0.0.1 (a free port, a background
thread) over the session's demo database, then ask questions the way a user
does: type and send, click a clarification, edit a chip, switch language,
use a 390 px phone screen, browse the catalog. A second app serves two
catalogs at once (the demo and a small shop over a folder of CSVs) and is
asked through its catalog selector. Every page records its
requests and fails if any leaves localhost. Screenshots and the measured
submit → rendered-answer times go to ``test-artifacts/``.
"""

from __future__ import annotations

import json
import re
import socket
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlparse

import pytest

from assistant.plan import OrderBy, QueryPlan
from tests.conftest import AS_OF

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
RENDERED = "#ws-plot .vega-embed canvas, #ws-plot .vega-embed svg.marks, #ws-kpi .ws-kpis, #ws-kpi .ws-chart-message"

# Gradio's own table plumbing trips pandas 3 deprecation warnings; they are not ours to fix.
pytestmark = [
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

browser_only = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium fonts-noto-cjk)")


# --- the pure view helpers (no browser) ----------------------------------------------------
@pytest.fixture(scope="module")
def labels(demo_catalog):
    from assistant.present.labels import member_labels

    return member_labels(demo_catalog, {"region": [("华东", "East China"), ("华南", "South China")]})


def test_editing_a_chip_keeps_the_plan_consistent(demo_catalog, labels):
    from ui.views import edit_plan

    plan = QueryPlan(metrics=["gmv"], group_by=["store"], period="last_month", compare="previous",
                     order_by=[OrderBy(metric="gmv", field="change", direction="asc")], limit=1)  # fmt: skip
    no_compare = edit_plan(plan, demo_catalog, labels, compare="none")
    assert no_compare.compare is None and no_compare.order_by == ()  # ranking by change needs a comparison
    other_metric = edit_plan(plan, demo_catalog, labels, metrics=["net_sales"])
    assert other_metric.order_by[0].metric == "net_sales" and other_metric.compare == "previous"
    assert edit_plan(plan, demo_catalog, labels, period="default").period is None
    assert str(edit_plan(plan, demo_catalog, labels, period="2026-Q3").period) == "2026-Q3"
    assert edit_plan(plan, demo_catalog, labels, limit=0).limit is None
    assert edit_plan(plan, demo_catalog, labels, group_by=["region"], grain="month").grain == "month"


def test_filters_read_labels_and_english_names(demo_catalog, labels):
    from ui.views import EditError, filters_text, parse_filters

    filters = parse_filters("区域=East China,华南; channel!=online", demo_catalog, labels)
    assert [(f.dimension, f.op, f.values) for f in filters] == [("region", "in", ("华东", "华南")), ("channel", "!=", ("线上",))]
    plan = QueryPlan(metrics=["gmv"], filters=filters)
    assert filters_text(plan, demo_catalog, "zh") == "区域=华东,华南; 渠道!=线上"
    assert parse_filters(filters_text(plan, demo_catalog, "en"), demo_catalog, labels) == filters
    with pytest.raises(EditError):
        parse_filters("weather=sunny", demo_catalog, labels)
    with pytest.raises(EditError):
        parse_filters("just words", demo_catalog, labels)


def test_table_and_csv(demo_catalog, labels):
    from assistant.compiler import compile_plan
    from ui.views import table_csv, table_rows

    compiled = compile_plan(demo_catalog, QueryPlan(metrics=["gmv"], group_by=["region"], period="last_month", compare="previous"), AS_OF)
    rows = [("华东", 89342.1, 93311.0, -3968.9, -0.04253)]
    headers, body = table_rows(demo_catalog, compiled, rows, "en", labels)
    assert headers == ["Region", "GMV", "GMV (previous)", "GMV change", "GMV % change"]
    assert body == [["East China", "¥89.3K", "¥93.3K", "−¥3,968.9", "−4.3%"]]
    assert table_rows(demo_catalog, compiled, rows, "zh", labels)[0] == ["区域", "成交总额", "成交总额(上期)", "成交总额变化", "成交总额变化率"]
    csv_text = table_csv(demo_catalog, compiled, rows, "zh", labels)
    assert csv_text.splitlines()[1] == "华东,89342.1,93311.0,-3968.9,-0.04253"  # unrounded, for spreadsheets


def test_catalog_browser_finds_and_explains_metrics(demo_catalog):
    from ui.views import metric_detail, metric_rows, sliceable_dimensions

    assert [r[0] for r in metric_rows(demo_catalog, "毛利", "zh")] == ["gross_profit", "gross_margin"]
    assert "gmv" in [r[0] for r in metric_rows(demo_catalog, "营业额", "en")]  # by synonym
    dims = sliceable_dimensions(demo_catalog, demo_catalog.metric("gmv"))
    assert {"store", "region", "channel", "category"} <= set(dims) and "plant" not in dims
    detail = metric_detail(demo_catalog, "gmv", "zh")
    assert "口径" in detail and "销售运营部" in detail and "营业额" in detail and "门店" in detail


def test_feedback_store_keeps_entries_and_feeds_a_sink():
    from ui.feedback import Feedback, FeedbackStore

    seen = []
    store = FeedbackStore(sink=seen.append)
    store.record(Feedback("up", "上个月的销售额", "zh", "answer", {"metrics": ["gmv"]}, "SELECT 1", "s1"))
    assert [e.rating for e in store.entries()] == ["up"] and len(seen) == 1
    assert store.entries()[0].to_json()["question"] == "上个月的销售额"
    store.clear()
    assert store.entries() == []


def test_the_engine_never_imports_the_ui():
    # The CLI is a front end like the UI (``wenshu serve`` starts it), so it alone may import ui, lazily.
    root = Path(__file__).resolve().parents[1] / "assistant"
    offenders = [
        str(p) for p in root.rglob("*.py")
        if p.name != "cli.py" and re.search(r"^\s*(import ui\b|from ui[. ])", p.read_text(encoding="utf-8"), re.MULTILINE)
    ]  # fmt: skip
    assert offenders == []


# --- the app in a browser ------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(demo_catalog, sandbox):
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium")
    from assistant.answer import Assistant
    from assistant.workspace import Workspace
    from ui.app import build_app, launch
    from ui.feedback import FeedbackStore

    store = FeedbackStore()
    app = build_app(Assistant(Workspace(demo_catalog, sandbox, AS_OF)), feedback=store)
    url = launch(app, "127.0.0.1", _free_port(), block=False)
    ARTIFACTS.mkdir(exist_ok=True)
    yield SimpleNamespace(url=url, feedback=store)
    app.close()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package (pip install playwright; no browser download)")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _offsite(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme not in ("data", "blob", "about") and parsed.hostname not in LOCAL_HOSTS


def _page_opener(browser, url: str, opened: list):
    def opener(width: int = 1280, height: int = 900, locale: str = "zh-CN"):
        context = browser.new_context(viewport={"width": width, "height": height}, locale=locale, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.offsite = []
        page.on("request", lambda request: page.offsite.append(request.url) if _offsite(request.url) else None)
        page.goto(url)
        page.wait_for_selector("#ws-question textarea")
        opened.append(context)
        return page

    return opener


@pytest.fixture
def open_page(browser, served):
    opened: list = []
    yield _page_opener(browser, served.url, opened)
    for context in opened:
        context.close()


def _bots(page) -> int:
    return page.locator("#ws-chat [data-testid=bot]").count()


def _wait_for_new_answer(page, before: int) -> None:
    page.wait_for_function("n => document.querySelectorAll('#ws-chat [data-testid=bot]').length > n", arg=before)


def ask(page, question: str, *, rendered: str | None = RENDERED) -> float:
    """Type and send a question; seconds until the answer (and its chart, if any) is on screen."""
    before = _bots(page)
    page.fill("#ws-question textarea", question)
    started = time.perf_counter()
    page.click("#ws-send")
    _wait_for_new_answer(page, before)
    if rendered:
        page.wait_for_selector(rendered, state="visible")
    return time.perf_counter() - started


def _answer_text(page) -> str:
    return page.inner_text("#ws-answer")


def _shot(page, name: str) -> None:
    page.wait_for_timeout(300)  # let Vega finish its transition
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def _assert_offline(page) -> None:
    assert page.offsite == [], f"requests left localhost: {page.offsite}"


@browser_only
def test_a_question_shows_text_chart_table_chips_and_sql(open_page, served):
    page = open_page()
    ask(page, "上个月各区域的销售额", rendered="#ws-plot .vega-embed canvas")
    assert "成交总额最高的是华东" in _answer_text(page) or "销售额最高的是华东" in _answer_text(page)
    assert page.locator("#ws-table div[role=row]").count() == 7  # body rows (the header is a <tr>)
    assert page.locator("#ws-chips").is_visible() and "按区域" in page.inner_text("#ws-interpretation")
    page.click("#ws-sql button, #ws-sql .label-wrap")
    page.wait_for_selector("#ws-sql-code .cm-content")
    assert "SELECT" in page.inner_text("#ws-sql-code").upper()
    with page.expect_download() as download:
        page.click("#ws-download")
    csv_text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert csv_text.splitlines()[0].startswith("区域,成交总额") and "华东" in csv_text
    page.click("#ws-up")
    page.wait_for_selector("#ws-feedback-note:has-text('有帮助')")
    assert served.feedback.entries()[-1].rating == "up" and served.feedback.entries()[-1].question == "上个月各区域的销售额"
    _shot(page, "ui-answer-desktop.png")
    _assert_offline(page)


@browser_only
def test_time_from_submit_to_rendered_answer(open_page, capsys):
    questions = ["上个月哪个门店销售额下降最多?", "最近6个月的销售额趋势", "Which store had the biggest drop in GMV last month?"]
    timings = {}
    for question in questions:
        page = open_page()
        timings[question] = round(ask(page, question), 3)
        _assert_offline(page)
    (ARTIFACTS / "ui-timings.json").write_text(json.dumps(timings, ensure_ascii=False, indent=2), encoding="utf-8")
    with capsys.disabled():
        print("\nsubmit → rendered answer (s):", json.dumps(timings, ensure_ascii=False))
    assert all(seconds < 10 for seconds in timings.values())


@browser_only
def test_a_clarification_is_answered_by_clicking_a_choice(open_page):
    page = open_page()
    ask(page, "上个月的会员数", rendered="#ws-clarify input")
    choices = page.locator("#ws-clarify label")
    assert choices.count() == 2 and "新增会员数" in choices.nth(0).inner_text()
    _shot(page, "ui-clarify.png")
    before = _bots(page)
    choices.nth(0).click()
    _wait_for_new_answer(page, before)
    page.wait_for_selector("#ws-kpi .ws-kpis", state="visible")
    assert "新增会员数" in _answer_text(page) and "2026年10月" in _answer_text(page)
    assert "选择:新增会员数" in page.inner_text("#ws-chat")
    _assert_offline(page)


@browser_only
def test_editing_a_chip_reruns_the_answer(open_page):
    page = open_page()
    ask(page, "上个月各区域的销售额", rendered="#ws-plot .vega-embed canvas")
    before = _bots(page)
    page.click("#ws-chip-compare input")
    page.get_by_role("option", name="环比(上一期)").click()
    _wait_for_new_answer(page, before)
    page.wait_for_function("() => document.querySelector('#ws-answer').innerText.includes('环比')")
    assert "个区域中" in _answer_text(page)
    assert page.locator("#ws-table tr[role=row]").first.inner_text().count("成交总额") == 4  # value, previous, change, change %
    _shot(page, "ui-chips-edit.png")
    _assert_offline(page)


@browser_only
def test_switching_language_and_english_answers(open_page):
    page = open_page()
    assert page.inner_text("#ws-send") == "提问"
    page.click("#ws-lang label:has-text('English')")
    page.wait_for_function("() => document.querySelector('#ws-send').innerText.trim() === 'Ask'")
    assert "Metric catalog" in page.inner_text("body")
    ask(page, "GMV by region last month", rendered="#ws-plot .vega-embed canvas")
    assert "East China" in _answer_text(page)
    assert "East China" in page.inner_text("#ws-table")
    _shot(page, "ui-english.png")
    _assert_offline(page)
    english_browser = open_page(locale="en-US")
    english_browser.wait_for_function("() => document.querySelector('#ws-send').innerText.trim() === 'Ask'")
    _assert_offline(english_browser)


@browser_only
def test_phone_width_390(open_page):
    page = open_page(width=390, height=844)
    ask(page, "上个月各渠道销售额占比", rendered="#ws-plot .vega-embed canvas")
    overflow = page.evaluate("() => document.documentElement.scrollWidth")
    assert overflow <= 390, f"page is {overflow}px wide on a 390px screen"
    box = page.locator("#ws-plot .vega-embed canvas").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.locator("#ws-table").is_visible()
    _shot(page, "ui-phone-390.png")
    _assert_offline(page)


@browser_only
def test_catalog_browser(open_page):
    page = open_page()
    page.click("button[role=tab]:has-text('指标目录')")
    page.fill("#ws-search textarea, #ws-search input", "毛利")
    page.wait_for_function("() => document.querySelectorAll('#ws-metrics div[role=row]').length === 2")
    page.locator("#ws-metrics div[role=row]", has_text="gross_margin").locator("[role=gridcell], td").first.click()
    page.wait_for_selector("#ws-metric-detail:has-text('口径')")
    assert "毛利率" in page.inner_text("#ws-metric-detail")
    _shot(page, "ui-catalog.png")
    _assert_offline(page)


# --- several catalogs at once ------------------------------------------------------------------
@pytest.fixture(scope="module")
def served_two(tmp_path_factory, demo_catalog, sandbox):
    """The demo and a small "shop" catalog (a folder of CSVs, data in early 2024) behind one router."""
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium")
    from assistant.answer import Assistant
    from assistant.sources.routing import CatalogRouter
    from assistant.workspace import Workspace, open_workspace
    from tests.test_sources import AS_OF as SHOP_AS_OF
    from tests.test_sources import _catalog, _write_folder
    from ui.app import build_app, launch
    from ui.feedback import FeedbackStore

    root = tmp_path_factory.mktemp("ui-two-catalogs")
    _write_folder(root / "data")
    shop_dir = _catalog(root / "cat", "    type: folder\n    path: ../data")
    text = (shop_dir / "catalog.yaml").read_text(encoding="utf-8")
    # A name only the shop knows (小店流水 / shop takings), and a synonym both catalogs know (销售额), so both understand it.
    (shop_dir / "catalog.yaml").write_text(text.replace(
        "label: {zh: 销售额, en: Sales}", "label: {zh: 小店流水, en: Shop takings}\n    synonyms: {zh: [销售额]}"), encoding="utf-8")
    shop = open_workspace(catalog=shop_dir)
    shop.default_as_of = SHOP_AS_OF  # "last month" is February 2024 there, as the UI asks with each workspace's date
    router = CatalogRouter({"demo": Assistant(Workspace(demo_catalog, sandbox, AS_OF)), "shop": Assistant(shop)})
    store = FeedbackStore()
    app = build_app(router, feedback=store)
    url = launch(app, "127.0.0.1", _free_port(), block=False)
    ARTIFACTS.mkdir(exist_ok=True)
    yield SimpleNamespace(url=url, feedback=store)
    app.close()
    shop.close()


@pytest.fixture
def open_two(browser, served_two):
    opened: list = []
    yield _page_opener(browser, served_two.url, opened)
    for context in opened:
        context.close()


def _answered_by(page) -> str:
    page.wait_for_selector("#ws-answered-by", state="visible")
    return page.inner_text("#ws-answered-by")


def _pick(page, dropdown: str, option: str) -> None:
    page.click(f"{dropdown} input")
    page.get_by_role("option", name=option).click()


@browser_only
def test_two_catalogs_route_each_question_and_name_the_catalog(open_two, served_two):
    page = open_two()
    assert page.locator("#ws-catalog").is_visible()
    assert page.input_value("#ws-catalog input") == "自动选择(按问题)"
    ask(page, "上个月GMV是多少？", rendered="#ws-kpi .ws-kpis")
    assert "优选零售 (@demo)" in _answered_by(page)
    ask(page, "shop takings by store in February 2024", rendered="#ws-plot .vega-embed canvas, #ws-plot .vega-embed svg.marks")
    page.wait_for_function("() => document.querySelector('#ws-answered-by').innerText.includes('@shop')")
    assert "小店 (@shop)" in _answered_by(page)
    assert "South Store" in page.inner_text("#ws-table") and "North Store" in page.inner_text("#ws-table")
    # A chip edit re-runs on the catalog that answered (the demo has no 'sales' metric).
    before = _bots(page)
    _pick(page, "#ws-chip-compare", "环比(上一期)")
    _wait_for_new_answer(page, before)
    page.wait_for_function("() => document.querySelector('#ws-table').innerText.includes('change')")  # an English question
    assert "@shop" in _answered_by(page) and "South Store" in page.inner_text("#ws-table")
    page.click("#ws-up")
    page.wait_for_selector("#ws-feedback-note:has-text('有帮助')")
    assert served_two.feedback.entries()[-1].catalog == "shop"
    page.click("#ws-lang label:has-text('English')")
    page.wait_for_function("() => document.querySelector('#ws-answered-by').innerText.includes('Catalog: Shop (@shop)')")
    assert page.input_value("#ws-catalog input") == "Auto (by the question)"
    _shot(page, "ui-two-catalogs.png")
    _assert_offline(page)


@browser_only
def test_two_catalogs_the_selector_forces_one_and_a_tie_asks_which(open_two):
    page = open_two()
    # Both catalogs read 销售额: left to the router, it asks which catalog was meant.
    ask(page, "上个月各区域的销售额", rendered="#ws-clarify input")
    choices = page.locator("#ws-clarify label")
    assert choices.count() == 2 and "@shop" in choices.nth(1).inner_text()
    assert not page.locator("#ws-answered-by").is_visible()
    before = _bots(page)
    choices.nth(1).click()
    _wait_for_new_answer(page, before)
    page.wait_for_selector("#ws-table", state="visible")
    assert "@shop" in _answered_by(page) and "South" in page.inner_text("#ws-table")
    # Chosen in the selector, the same question goes to that catalog without asking.
    _pick(page, "#ws-catalog", "优选零售 (@demo)")
    ask(page, "上个月各区域的销售额", rendered="#ws-plot .vega-embed canvas, #ws-plot .vega-embed svg.marks")
    assert "@demo" in _answered_by(page) and "华东" in page.inner_text("#ws-table")
    _pick(page, "#ws-catalog", "小店 (@shop)")
    ask(page, "上个月各区域的销售额", rendered="#ws-plot .vega-embed canvas, #ws-plot .vega-embed svg.marks")
    page.wait_for_function("() => document.querySelector('#ws-answered-by').innerText.includes('@shop')")
    assert "North" in page.inner_text("#ws-table") and not page.locator("#ws-clarify").is_visible()
    _assert_offline(page)


@browser_only
def test_two_catalogs_browser_switches_catalog(open_two):
    page = open_two()
    page.click("button[role=tab]:has-text('指标目录')")
    assert page.locator("#ws-catalog-browse").is_visible()
    assert page.locator("#ws-metrics div[role=row]", has_text="gross_margin").count() == 1
    _pick(page, "#ws-catalog-browse", "小店 (@shop)")
    page.wait_for_function("() => document.querySelectorAll('#ws-metrics div[role=row]').length === 1")
    page.locator("#ws-metrics div[role=row]", has_text="sales").locator("[role=gridcell], td").first.click()
    page.wait_for_selector("#ws-metric-detail:has-text('小店流水')")
    page.fill("#ws-search textarea, #ws-search input", "毛利")  # the demo's word: nothing in the shop
    page.wait_for_function("() => document.querySelectorAll('#ws-metrics div[role=row]').length === 0")
    _pick(page, "#ws-catalog-browse", "优选零售 (@demo)")
    page.wait_for_function("() => document.querySelectorAll('#ws-metrics div[role=row]').length === 2")
    _shot(page, "ui-two-catalogs-browser.png")
    _assert_offline(page)
