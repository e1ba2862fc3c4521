"""The Gradio app: chat with Wenshu, see and edit how each answer was understood.

``build_app(target)`` returns the Blocks; ``serve(target, host, port)``
launches it (``wenshu serve``). Each answer shows its sentence, a chart chosen
from the result's shape, the table (with a CSV download), "how I understood it"
as editable chips that re-run the plan, and the SQL. Clarifications are
clickable choices that run their ready plan. Everything is served locally:
no fonts or scripts from a CDN.

``target`` is one assistant or a router over several catalogs. With several,
a selector above the question picks one (or leaves it to the router), each
answer names the catalog that answered, chip edits re-run on that catalog, and
the catalog browser shows one catalog's metrics at a time.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from assistant.answer import Answer, answer_members, detect_language
from assistant.catalog.model import Lang
from assistant.plan import ClarifyOption, QueryPlan
from assistant.present.charts import ChartSpec, choose_chart, to_altair
from assistant.present.labels import MemberLabels, load_member_labels
from assistant.present.text import AnswerText, MetricOrigin, answer_text
from ui.feedback import Feedback, FeedbackStore
from ui.i18n import EXAMPLES, LANG_CHOICES, t
from ui.views import (
    METRIC_COLUMNS,
    EditError,
    chips_for,
    edit_plan,
    kpi_html,
    message_html,
    metric_detail,
    metric_rows,
    table_csv,
    table_rows,
)

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home, before gradio is imported

import gradio as gr

STATIC = Path(__file__).parent / "static"
FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Zen Hei", "PingFang SC", "Microsoft YaHei", "system-ui", "sans-serif")
DETECT_LANGUAGE_JS = "() => ((navigator.language || 'zh').toLowerCase().startsWith('en') ? 'en' : 'zh')"
AUTO = "*"  # the catalog selector's "route by the question" (catalog names are [A-Za-z0-9_-])


class CatalogRouting(Protocol):
    """What the app needs of a :class:`~assistant.sources.routing.CatalogRouter` (or a role-bound one)."""

    @property
    def names(self) -> list[str]: ...

    def catalogs(self) -> list[dict[str, Any]]: ...

    def assistant(self, name: str | None) -> Any: ...

    def ask(self, question: str, *, catalog: str | None = None, session_id: str | None = None, as_of: Any = None) -> Any: ...

    def run_option(self, option: ClarifyOption, *, session_id: str | None = None, as_of: Any = None, lang: str = "zh",
                   question: str = "") -> Any: ...  # fmt: skip

    def session_for(self, name: str, session_id: str | None) -> str | None: ...


def as_router(target: Any) -> CatalogRouting:
    """``target`` as a router: a router as it is, one assistant (or role-bound assistant) as a router of one."""
    if hasattr(target, "run_option") and hasattr(target, "catalogs"):
        return target
    from assistant.sources.routing import CatalogRouter

    return CatalogRouter({target.catalog.name: target})


@dataclass
class Turn:
    """One answer in the conversation, with what the panel shows for it."""

    answer: Answer
    text: AnswerText
    chart: ChartSpec | None
    csv_path: str | None
    catalog: str | None = None  # the catalog that answered (None: the router asking which one)


@dataclass
class Session:
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    lang: Lang = "zh"
    turns: list[Turn] = field(default_factory=list)
    messages: list[dict[str, str]] = field(default_factory=list)
    message_turn: dict[int, int] = field(default_factory=dict)  # chat message index → turn index
    current: int = -1

    @property
    def turn(self) -> Turn | None:
        return self.turns[self.current] if 0 <= self.current < len(self.turns) else None


class _Presenter:
    """Turns answers into what the panel shows; holds the labels and a folder for CSV files."""

    def __init__(self, assistant: Any):
        self.assistant = assistant
        self.catalog = assistant.catalog
        self.labels: MemberLabels = load_member_labels(self.catalog, assistant.workspace.database)
        self.csv_dir = Path(tempfile.mkdtemp(prefix="wenshu-csv-"))

    def turn(self, answer: Answer, metric_origin: MetricOrigin | None = None, catalog: str | None = None) -> Turn:
        text = answer_text(answer, self.catalog, self.labels, metric_origin)
        chart = None
        csv_path = None
        if answer.status == "answer" and answer.compiled is not None:
            chart = choose_chart(self.catalog, answer.compiled, answer.rows, answer.lang, self.labels)
            if answer.rows:
                path = self.csv_dir / f"wenshu-{uuid.uuid4().hex[:10]}.csv"
                path.write_text(table_csv(self.catalog, answer.compiled, answer.rows, answer.lang, self.labels), encoding="utf-8-sig")
                csv_path = str(path)
        return Turn(answer, text, chart, csv_path, catalog)


def _chat_message(turn: Turn) -> str:
    text = turn.text
    lines = [text.sentence]
    if turn.answer.status == "clarify":
        lines += [f"{i}. {o.label}" for i, o in enumerate(turn.answer.options, 1)]
        lines.append(f"*{t(turn.answer.lang, 'clarify_hint')}*")
    lines += [f"*{note}*" for note in text.notes]
    return "\n\n".join(lines)


def _answer_markdown(turn: Turn) -> str:
    text = turn.text
    lines = [f"**{text.sentence}**"]
    lines += [f"> {note}" for note in text.notes]
    if text.period:
        lines.append(f"<small>{text.period}</small>")
    return "\n\n".join(lines)


def build_app(target: Any, *, feedback: FeedbackStore | None = None, title: str = "问数 Wenshu"):
    """The Gradio Blocks for ``target``: an :class:`assistant.answer.Assistant` or a role-bound one, or a
    :class:`~assistant.sources.routing.CatalogRouter` or a role-bound one (several catalogs)."""
    import pandas as pd

    router = as_router(target)
    names = router.names
    multi = len(names) > 1
    titles: dict[str, dict[str, str]] = {c["name"]: c["title"] for c in router.catalogs()}
    presenters: dict[str, _Presenter] = {}
    presenters_lock = threading.Lock()
    store = feedback if feedback is not None else FeedbackStore()

    def known(name: str | None) -> str:
        return name if name in titles else names[0]  # type: ignore[return-value]

    def presenter_for(name: str | None) -> _Presenter:
        """The catalog's presenter, built on first use (reading its member labels takes a query)."""
        name = known(name)
        with presenters_lock:
            if name not in presenters:
                presenters[name] = _Presenter(router.assistant(name))
            return presenters[name]

    def catalog_of(name: str | None) -> Any:
        return router.assistant(known(name)).catalog

    def catalog_label(name: str, lang: str) -> str:
        title = titles[name]
        return f"{title.get(lang) or title.get('zh') or name} (@{name})"

    def ask_choices(lang: str) -> list[tuple[str, str]]:
        return [(t(lang, "auto"), AUTO)] + [(catalog_label(n, lang), n) for n in names]

    def browse_choices(lang: str) -> list[tuple[str, str]]:
        return [(catalog_label(n, lang), n) for n in names]

    def metric_frame(name: str | None, query: str, lang: str) -> Any:
        return pd.DataFrame(metric_rows(catalog_of(name), query, lang), columns=METRIC_COLUMNS[lang])  # type: ignore[arg-type]

    presenter_for(names[0])  # the first catalog's labels are read at start, as with one catalog

    with gr.Blocks(title=title, analytics_enabled=False, fill_width=False) as app:
        app.feedback_store = store  # type: ignore[attr-defined]
        state = gr.State(None)
        with gr.Row(elem_id="ws-header"):
            header = gr.Markdown(t("zh", "title"), elem_id="ws-title")
            lang_radio = gr.Radio(LANG_CHOICES, value="zh", label=t("zh", "language"), elem_id="ws-lang", scale=0, min_width=200)
        with gr.Tabs():
            with gr.Tab(t("zh", "tab_ask"), id="ask", elem_id="ws-tab-ask") as tab_ask, gr.Row(equal_height=False):
                with gr.Column(scale=5, min_width=320):
                    chatbot = gr.Chatbot(label=t("zh", "chat"), elem_id="ws-chat", height=460, buttons=["copy"])
                    catalog_pick = gr.Dropdown(ask_choices("zh"), value=AUTO, label=t("zh", "catalog"), elem_id="ws-catalog", visible=multi)
                    with gr.Row(elem_id="ws-ask-row"):
                        question = gr.Textbox(label=t("zh", "question"), placeholder=t("zh", "placeholder"), lines=1,
                                              max_lines=3, scale=5, elem_id="ws-question", autofocus=True)  # fmt: skip
                        send = gr.Button(t("zh", "send"), variant="primary", scale=1, min_width=80, elem_id="ws-send")
                    examples_label = gr.Markdown(f"**{t('zh', 'examples')}**")
                    with gr.Row(elem_id="ws-examples"):
                        example_buttons = [gr.Button(q, size="sm", elem_classes=["ws-example"]) for q in EXAMPLES]
                with gr.Column(scale=7, min_width=320, elem_id="ws-panel"):
                    answer_md = gr.Markdown(t("zh", "no_answer"), elem_id="ws-answer")
                    answered_by = gr.Markdown("", visible=False, elem_id="ws-answered-by")
                    clarify = gr.Radio([], label=t("zh", "clarify"), visible=False, elem_id="ws-clarify")
                    kpi = gr.HTML("", visible=False, elem_id="ws-kpi")
                    plot = gr.Plot(label=t("zh", "chart"), visible=False, elem_id="ws-plot", show_label=False)
                    table = gr.Dataframe(label=t("zh", "table"), visible=False, interactive=False, elem_id="ws-table",
                                         wrap=True, max_height=360)  # fmt: skip
                    download = gr.DownloadButton(t("zh", "download"), visible=False, size="sm", elem_id="ws-download")
                    with gr.Accordion(t("zh", "understood"), open=True, visible=False, elem_id="ws-chips") as chips_box:
                        interpretation = gr.Markdown("", elem_id="ws-interpretation")
                        with gr.Row():
                            chip_metrics = gr.Dropdown([], multiselect=True, label=t("zh", "metrics"), elem_id="ws-chip-metrics", min_width=200)
                            chip_period = gr.Dropdown([], label=t("zh", "period"), allow_custom_value=True, elem_id="ws-chip-period", min_width=160)
                            chip_compare = gr.Dropdown([], label=t("zh", "compare"), elem_id="ws-chip-compare", min_width=140)
                        with gr.Row():
                            chip_group = gr.Dropdown([], multiselect=True, label=t("zh", "group_by"), elem_id="ws-chip-group", min_width=200)
                            chip_grain = gr.Dropdown([], label=t("zh", "grain"), elem_id="ws-chip-grain", min_width=140)
                            chip_limit = gr.Number(0, label=t("zh", "limit"), precision=0, minimum=0, elem_id="ws-chip-limit", min_width=120)
                        chip_filters = gr.Textbox(label=t("zh", "filters"), elem_id="ws-chip-filters")
                    with gr.Accordion(t("zh", "sql"), open=False, visible=False, elem_id="ws-sql") as sql_box:
                        sql = gr.Code(language="sql", interactive=False, elem_id="ws-sql-code")
                    with gr.Row(visible=False, elem_id="ws-feedback") as feedback_row:
                        thumbs_up = gr.Button(t("zh", "up"), size="sm", elem_id="ws-up", icon=str(STATIC / "thumb-up.svg"))
                        thumbs_down = gr.Button(t("zh", "down"), size="sm", elem_id="ws-down", icon=str(STATIC / "thumb-down.svg"))
                        feedback_note = gr.Markdown("", elem_id="ws-feedback-note")
            with gr.Tab(t("zh", "tab_catalog"), id="catalog", elem_id="ws-tab-catalog") as tab_catalog:
                with gr.Row():
                    browse_pick = gr.Dropdown(browse_choices("zh"), value=names[0], label=t("zh", "catalog_browse"),
                                              elem_id="ws-catalog-browse", visible=multi, scale=1, min_width=160)  # fmt: skip
                    search = gr.Textbox(label=t("zh", "search"), elem_id="ws-search", scale=3)
                metric_table = gr.Dataframe(
                    metric_frame(names[0], "", "zh"),
                    interactive=False, label=t("zh", "metric_list"), elem_id="ws-metrics", max_height=420, wrap=True,
                )  # fmt: skip
                detail = gr.Markdown(t("zh", "pick_metric"), elem_id="ws-metric-detail")

        chips = [chip_metrics, chip_period, chip_compare, chip_group, chip_grain, chip_filters, chip_limit]
        panel = [answer_md, answered_by, clarify, kpi, plot, table, download, chips_box, interpretation, *chips, sql_box, sql, feedback_row, feedback_note]

        # --- rendering -----------------------------------------------------------------
        def render_panel(session: Session) -> dict:
            turn = session.turn
            lang = session.lang
            if turn is None:
                return {answer_md: gr.update(value=t(lang, "no_answer")), answered_by: gr.update(visible=False),
                        clarify: gr.update(visible=False), kpi: gr.update(visible=False),
                        plot: gr.update(visible=False, value=None), table: gr.update(visible=False), download: gr.update(visible=False),
                        chips_box: gr.update(visible=False), sql_box: gr.update(visible=False), feedback_row: gr.update(visible=False)}  # fmt: skip
            answer, spec = turn.answer, turn.chart
            presenter = presenter_for(turn.catalog)
            catalog = presenter.catalog
            out: dict = {answer_md: gr.update(value=_answer_markdown(turn)), feedback_note: gr.update(value="")}
            if multi and turn.catalog in titles:
                line = t(lang, "answered_by") + catalog_label(turn.catalog, lang)  # type: ignore[arg-type]
                out[answered_by] = gr.update(visible=True, value=f"<small>{line}</small>")
            else:
                out[answered_by] = gr.update(visible=False, value="")
            is_clarify = answer.status == "clarify"
            out[clarify] = gr.update(visible=is_clarify, value=None, choices=[o.label for o in answer.options] if is_clarify else [], label=t(lang, "clarify"))
            if spec is not None and spec.kind == "kpi":
                out[kpi] = gr.update(visible=True, value=kpi_html(spec))
            elif spec is not None and spec.kind == "message":
                out[kpi] = gr.update(visible=True, value=message_html(spec))
            else:
                out[kpi] = gr.update(visible=False, value="")
            chart = None
            if spec is not None and spec.kind not in ("kpi", "message", "table"):
                try:
                    chart = to_altair(spec)
                except Exception:  # noqa: BLE001 — a chart that fails to build must not take the answer with it; the table remains
                    chart = None
            out[plot] = gr.update(visible=chart is not None, value=chart)
            if answer.status == "answer" and answer.rows and answer.compiled is not None:
                headers, body = table_rows(catalog, answer.compiled, answer.rows, answer.lang, presenter.labels)
                out[table] = gr.update(visible=True, value=pd.DataFrame(body, columns=headers), label=t(lang, "table"))
            else:
                out[table] = gr.update(visible=False)
            out[download] = gr.update(visible=turn.csv_path is not None, value=turn.csv_path, label=t(lang, "download"))
            plan = answer.plan
            if plan is not None and answer.status in ("answer", "error", "refuse"):
                c = chips_for(plan, catalog, lang)  # type: ignore[arg-type]
                out[chips_box] = gr.update(visible=True, label=t(lang, "understood"))
                out[interpretation] = gr.update(value=answer.interpretation)
                out[chip_metrics] = gr.update(choices=c.metric_choices, value=c.metrics, label=t(lang, "metrics"))
                out[chip_period] = gr.update(choices=c.period_choices, value=c.period, label=t(lang, "period"))
                out[chip_compare] = gr.update(choices=c.compare_choices, value=c.compare, label=t(lang, "compare"))
                out[chip_group] = gr.update(choices=c.dimension_choices, value=c.group_by, label=t(lang, "group_by"))
                out[chip_grain] = gr.update(choices=c.grain_choices, value=c.grain, label=t(lang, "grain"))
                out[chip_filters] = gr.update(value=c.filters, label=t(lang, "filters"))
                out[chip_limit] = gr.update(value=c.limit, label=t(lang, "limit"))
            else:
                out[chips_box] = gr.update(visible=False)
            out[sql_box] = gr.update(visible=bool(answer.sql), label=t(lang, "sql"))
            out[sql] = gr.update(value=answer.sql or "")
            out[feedback_row] = gr.update(visible=True)
            return out

        def add_turn(session: Session, user_text: str, answer: Answer, catalog_name: str | None,
                     origin: MetricOrigin | None = None) -> dict:  # fmt: skip
            turn = presenter_for(catalog_name).turn(answer, origin, catalog_name)
            session.turns.append(turn)
            session.current = len(session.turns) - 1
            session.messages.append({"role": "user", "content": user_text})
            session.messages.append({"role": "assistant", "content": _chat_message(turn)})
            session.message_turn[len(session.messages) - 1] = session.current
            return {state: session, chatbot: gr.update(value=list(session.messages)), **render_panel(session)}

        def remember(session: Session, catalog_name: str, answer: Answer) -> None:
            # Follow-ups ("按区域呢?") build on a chosen or edited plan, as on a typed question, in that catalog's
            # side of the conversation.
            if answer.status == "answer" and answer.plan is not None:
                router.assistant(catalog_name).sessions.remember(router.session_for(catalog_name, session.id),
                                                                 answer.question or answer.interpretation, answer.plan,
                                                                 members=answer_members(answer))  # fmt: skip

        # --- events ----------------------------------------------------------------------
        def on_ask(text: str, picked: str | None, session: Session | None):
            session = session or Session()
            text = (text or "").strip()
            if not text:
                return {state: session}
            forced = picked if picked in titles else None
            try:
                routed = router.ask(text, catalog=forced, session_id=session.id)
                answer, name = routed.answer, routed.catalog
            except (KeyError, PermissionError) as exc:  # a plain router raises where a role-bound one refuses
                answer, name = Answer("refuse", text, detect_language(text), message=str(exc).strip("'\"")), None
            return {question: gr.update(value=""), **add_turn(session, text, answer, name)}

        def on_clarify(choice: str | None, session: Session | None):
            session = session or Session()
            turn = session.turn
            if not choice or turn is None or turn.answer.status != "clarify":
                return {state: session}
            option = next((o for o in turn.answer.options if o.label == choice), None)
            if option is None:
                return {state: session}
            if option.catalog is None and turn.catalog is not None:
                option = option.model_copy(update={"catalog": turn.catalog})  # a catalog's own "which metric?"
            routed = router.run_option(option, session_id=session.id, lang=turn.answer.lang, question=turn.answer.question)
            if routed.catalog is not None:
                remember(session, routed.catalog, routed.answer)
            label = re.split("[:\uff1a]", choice, maxsplit=1)[0]
            return add_turn(session, t(turn.answer.lang, "chosen") + label, routed.answer, routed.catalog, "named")

        def on_edit(metrics, period, compare, group_by, grain, filters, limit, session: Session | None):
            session = session or Session()
            turn = session.turn
            if turn is None or turn.answer.plan is None:
                return {state: session}
            lang = turn.answer.lang
            name = known(turn.catalog)  # an edit re-runs on the catalog that gave the answer
            presenter = presenter_for(name)
            try:
                plan: QueryPlan = edit_plan(turn.answer.plan, presenter.catalog, presenter.labels, metrics=metrics, period=period,
                                            compare=compare, group_by=group_by, grain=grain, filters=filters, limit=limit)  # fmt: skip
            except EditError as exc:
                return {state: session, feedback_note: gr.update(value=f"⚠️ {t(session.lang, 'bad_edit')}{exc}")}
            if plan == turn.answer.plan:
                return {state: session}
            answer = router.assistant(name).run_plan(plan, lang=lang, question="")
            remember(session, name, answer)
            return add_turn(session, f"{t(lang, 'edited')} {answer.interpretation or ''}".strip(), answer, name, "named")

        def on_select(session: Session | None, evt: gr.SelectData):
            session = session or Session()
            index = evt.index if isinstance(evt.index, int) else (evt.index[0] if evt.index else -1)
            if index in session.message_turn:
                session.current = session.message_turn[index]
                return {state: session, **render_panel(session)}
            return {state: session}

        def record(session: Session, turn: Turn, rating: str) -> None:
            answer = turn.answer
            store.record(Feedback(rating=rating, question=answer.question, lang=answer.lang, status=answer.status,  # type: ignore[arg-type]
                                  plan=answer.plan.model_dump(mode="json") if answer.plan else None, sql=answer.sql,
                                  session_id=session.id, catalog=turn.catalog or answer.catalog))  # fmt: skip

        def on_feedback(rating: str):
            def handler(session: Session | None):
                session = session or Session()
                if session.turn is None:
                    return {state: session}
                record(session, session.turn, rating)
                return {state: session, feedback_note: gr.update(value=t(session.lang, "thanks_up" if rating == "up" else "thanks_down"))}

            return handler

        def on_like(session: Session | None, evt: gr.LikeData):
            session = session or Session()
            index = evt.index if isinstance(evt.index, int) else (evt.index[0] if evt.index else -1)
            if index in session.message_turn and evt.liked in (True, False):
                record(session, session.turns[session.message_turn[index]], "up" if evt.liked else "down")
            return {state: session}

        def on_language(lang: str, session: Session | None, query: str, browsing: str | None):
            session = session or Session()
            session.lang = "en" if lang == "en" else "zh"
            lg = session.lang
            out = {
                state: session,
                header: gr.update(value=t(lg, "title")),
                lang_radio: gr.update(label=t(lg, "language")),
                tab_ask: gr.update(label=t(lg, "tab_ask")),
                tab_catalog: gr.update(label=t(lg, "tab_catalog")),
                chatbot: gr.update(label=t(lg, "chat")),
                question: gr.update(label=t(lg, "question"), placeholder=t(lg, "placeholder")),
                send: gr.update(value=t(lg, "send")),
                examples_label: gr.update(value=f"**{t(lg, 'examples')}**"),
                thumbs_up: gr.update(value=t(lg, "up")),
                thumbs_down: gr.update(value=t(lg, "down")),
                search: gr.update(label=t(lg, "search")),
                metric_table: gr.update(value=metric_frame(browsing, query, lg), label=t(lg, "metric_list")),
                detail: gr.update(value=t(lg, "pick_metric")),
                catalog_pick: gr.update(choices=ask_choices(lg), label=t(lg, "catalog")),
                browse_pick: gr.update(choices=browse_choices(lg), label=t(lg, "catalog_browse")),
            }
            out.update(render_panel(session))
            return out

        def on_search(query: str, browsing: str | None, session: Session | None):
            lang = (session or Session()).lang
            return gr.update(value=metric_frame(browsing, query, lang))

        def on_browse(browsing: str | None, query: str, session: Session | None):
            lang = (session or Session()).lang
            return {metric_table: on_search(query, browsing, session), detail: gr.update(value=t(lang, "pick_metric"))}

        def on_pick_metric(browsing: str | None, session: Session | None, evt: gr.SelectData):
            lang = (session or Session()).lang
            catalog = catalog_of(browsing)
            row = evt.row_value or []
            metric_id = row[0] if row else None
            if not metric_id or not catalog.has_metric(metric_id):
                return gr.update()
            return gr.update(value=metric_detail(catalog, metric_id, lang))  # type: ignore[arg-type]

        ask_outputs = [state, chatbot, question, *panel]
        question.submit(on_ask, [question, catalog_pick, state], ask_outputs, show_progress="minimal")
        send.click(on_ask, [question, catalog_pick, state], ask_outputs, show_progress="minimal")
        for button, text in zip(example_buttons, EXAMPLES):
            button.click(lambda c, s, _q=text: on_ask(_q, c, s), [catalog_pick, state], ask_outputs, show_progress="minimal")
        clarify.input(on_clarify, [clarify, state], [state, chatbot, *panel])
        edit_inputs = [*chips, state]
        for chip in (chip_metrics, chip_period, chip_compare, chip_group, chip_grain):
            chip.input(on_edit, edit_inputs, [state, chatbot, *panel])
        chip_filters.submit(on_edit, edit_inputs, [state, chatbot, *panel])
        chip_limit.submit(on_edit, edit_inputs, [state, chatbot, *panel])
        chatbot.select(on_select, [state], [state, *panel])
        chatbot.like(on_like, [state], [state])
        thumbs_up.click(on_feedback("up"), [state], [state, feedback_note])
        thumbs_down.click(on_feedback("down"), [state], [state, feedback_note])
        language_outputs = [state, header, lang_radio, tab_ask, tab_catalog, chatbot, question, send, examples_label, thumbs_up,
                            thumbs_down, search, metric_table, detail, catalog_pick, browse_pick, *panel]  # fmt: skip
        lang_radio.change(on_language, [lang_radio, state, search, browse_pick], language_outputs)
        search.change(on_search, [search, browse_pick, state], [metric_table])
        browse_pick.input(on_browse, [browse_pick, search, state], [metric_table, detail])
        metric_table.select(on_pick_metric, [browse_pick, state], [detail])
        app.load(None, None, [lang_radio], js=DETECT_LANGUAGE_JS)
    return app


def launch_options() -> dict[str, Any]:
    """Theme, CSS and page options (Gradio 6 takes them at launch)."""
    theme = gr.themes.Soft(primary_hue="teal", font=list(FONTS), font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"])
    return {
        "theme": theme,
        "css": (STATIC / "app.css").read_text(encoding="utf-8"),
        "footer_links": [],
        "ssr_mode": False,
        "show_error": True,
    }


def launch(app: Any, host: str = "127.0.0.1", port: int = 7860, *, block: bool = True) -> str:
    """Start serving ``app``; returns its local URL (``block=False`` returns at once, for tests)."""
    app.queue(default_concurrency_limit=4)
    _, local_url, _ = app.launch(server_name=host, server_port=port, prevent_thread_lock=not block, quiet=not block,
                                 inbrowser=False, share=False, **launch_options())  # fmt: skip
    return local_url


def serve(target: Any, host: str = "127.0.0.1", port: int = 7860, *, block: bool = True) -> str:
    """Build the app for ``target`` (an assistant or a router) and serve it on ``host:port``."""
    return launch(build_app(target), host, port, block=block)
