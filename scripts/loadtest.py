"""Bounded loopback load test: N concurrent clients ask questions for T seconds.

    python scripts/loadtest.py --db /tmp/s1.duckdb            # starts its own server
    wenshu bench load --db /tmp/s1.duckdb --clients 8 --seconds 20
    python scripts/loadtest.py --url http://127.0.0.1:8000 --store PATH/wenshu.sqlite

Without ``--url`` the script serves a minimal FastAPI app on 127.0.0.1 (an
ephemeral port) exposing ``POST /ask`` and ``POST /feedback`` over an
:class:`~assistant.answer.Assistant` and a :class:`~assistant.store.Store`
(every answer is audited, every feedback stored), run by uvicorn in a child
process (this same script, ``--serve-only``), so the clients and the server do
not share one interpreter lock — or, with ``--in-process``, in a thread of this
process (quicker to start; the clients' CPU then competes with the server's). Once the real ``wenshu serve`` API
exposes the same two routes, point ``--url`` at it (with ``--store`` naming the
SQLite file that server writes, so lost writes can be checked).

Each client is a thread with its own httpx client, asking a mix of the demo
suite's questions and, every ``--feedback-every`` requests, posting a feedback
whose note is a unique marker. Afterwards every marker the server acknowledged
must be in the store: a missing one is a lost write.

Bounded: at most 64 clients and 300 seconds, loopback hosts only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from pydantic import BaseModel

MAX_CLIENTS = 64
MAX_SECONDS = 300.0
LOOPBACK_NAMES = ("localhost", "localhost.localdomain")


def is_loopback(host: str | None) -> bool:
    import ipaddress

    if not host:
        return False
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> str:
    """The URL without a trailing slash; refuses anything that is not http(s) on a loopback host."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not is_loopback(parsed.hostname):
        raise SystemExit(f"refusing to load-test {url!r}: only http(s) URLs on a loopback host (127.0.0.1, ::1, localhost)")
    return url.rstrip("/")


def demo_questions(suite: str = "demo.yaml") -> list[str]:
    """Single-question cases the suite expects answered: a realistic mix, both languages."""
    from assistant.evaluation import load_suite

    loaded = load_suite(suite)
    questions = [c.turns[0].question for c in loaded.cases if not c.is_conversation and c.turns[0].expect == "answer"]
    return questions or [t.question for c in loaded.cases for t in c.turns]


# --- the in-process server --------------------------------------------------------------
class AskRequest(BaseModel):
    question: str
    session_id: str | None = None
    user: str | None = None


class FeedbackRequest(BaseModel):
    question: str
    rating: str | None = None
    session_id: str | None = None
    user: str | None = None
    correction: Any = None
    note: str | None = None


def create_app(assistant, store):
    """A minimal app: POST /ask {question, session_id?, user?}, POST /feedback {question, rating?, note?, …}."""
    from fastapi import FastAPI, HTTPException

    from assistant.store import StoreError

    app = FastAPI(title="wenshu load-test server")

    @app.post("/ask")
    def ask(request: AskRequest) -> dict[str, Any]:
        answer = assistant.ask(request.question, session_id=request.session_id)
        store.audit.record_answer(answer, user=request.user, role="loadtest", session_id=request.session_id)
        out = answer.to_json()
        out["rows"] = out["rows"][:50]  # the load is about answering, not about shipping big tables
        return out

    @app.post("/feedback")
    def feedback(request: FeedbackRequest) -> dict[str, Any]:
        try:
            feedback_id = store.feedback.record(
                request.question, request.rating, user=request.user, session_id=request.session_id,
                correction=request.correction, note=request.note,
            )
        except StoreError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from exc
        return {"id": feedback_id}

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/cpu")
    def cpu() -> dict[str, float]:
        """This server process's CPU seconds so far: CPU per question is the machine-independent figure."""
        return {"process_cpu_s": time.process_time()}

    return app


class ThreadServer:
    """uvicorn serving ``app`` on 127.0.0.1 in a daemon thread."""

    def __init__(self, app, port: int = 0):
        import socket

        import uvicorn

        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", port))
        self.port = self._socket.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_keep_alive=30)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 30.0) -> ThreadServer:
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the load-test server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()


def open_assistant(db: str | None, catalog: str | None, store_path: Path):
    from assistant.answer import Assistant
    from assistant.store import Store
    from assistant.workspace import open_workspace

    store = Store(store_path)
    workspace = open_workspace(db, catalog, quiet=True)
    return Assistant(workspace, engine="rules", store=store), store


def serve_forever(args: argparse.Namespace) -> int:
    """--serve-only: the server child process (the default mode); prints its URL, serves until terminated."""
    assistant, store = open_assistant(args.db, args.catalog, Path(args.store))
    server = ThreadServer(create_app(assistant, store), port=args.port).start()
    print(json.dumps({"url": server.url}), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
    return 0


# --- the clients -------------------------------------------------------------------------
@dataclass
class ClientStats:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    feedback_sent: list[str] = field(default_factory=list)  # markers the server acknowledged
    feedback_failed: int = 0


def run_client(url: str, questions: list[str], index: int, stop_at: float, run_id: str, feedback_every: int, stats: ClientStats,
               api_key: str | None = None, with_chart: bool = True) -> None:
    """One client: ask, and every ``feedback_every`` answers post a feedback carrying a unique marker.

    With ``api_key`` it talks to the real ``wenshu serve`` API (/api/v1/ask, /api/v1/feedback).
    """
    import httpx

    ask_path, feedback_path = ("/api/v1/ask", "/api/v1/feedback") if api_key else ("/ask", "/feedback")
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    with httpx.Client(base_url=url, timeout=30.0, headers=headers) as client:
        n = 0
        while time.monotonic() < stop_at:
            question = questions[(index * 7 + n) % len(questions)]
            session = f"load-{run_id}-{index}-{n // 5}"  # short conversations: follow-ups read the session store
            started = time.perf_counter()
            try:
                body = ({"question": question, "session_id": session, "chart": with_chart} if api_key
                        else {"question": question, "session_id": session, "user": f"load{index}"})
                response = client.post(ask_path, json=body)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    stats.errors.append(f"/ask {response.status_code}: {response.text[:200]}")
                else:
                    status = response.json().get("status", "?")
                    stats.statuses[status] = stats.statuses.get(status, 0) + 1
                    stats.latencies_ms.append(elapsed)
                    if status == "error":
                        stats.errors.append(f"/ask answered status=error for {question!r}")
            except httpx.HTTPError as exc:
                stats.errors.append(f"/ask {type(exc).__name__}: {exc}")
            n += 1
            if feedback_every and n % feedback_every == 0:
                marker = f"load:{run_id}:{index}:{n}"
                try:
                    rating = "up" if n % 2 else "down"
                    body = ({"question": question, "rating": rating, "session_id": session, "answer_id": marker} if api_key
                            else {"question": question, "rating": rating, "session_id": session, "user": f"load{index}", "note": marker})
                    response = client.post(feedback_path, json=body)
                    if response.status_code in (200, 201):
                        stats.feedback_sent.append(marker)
                    else:
                        stats.feedback_failed += 1
                        stats.errors.append(f"/feedback {response.status_code}: {response.text[:200]}")
                except httpx.HTTPError as exc:
                    stats.feedback_failed += 1
                    stats.errors.append(f"/feedback {type(exc).__name__}: {exc}")


def _server_cpu(url: str) -> float | None:
    import httpx

    try:
        with httpx.Client(base_url=url, timeout=30.0) as client:
            return float(client.get("/cpu").json()["process_cpu_s"])
    except Exception:  # noqa: BLE001 - a server without /cpu (the real API): the figure is simply absent
        return None


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def run_load(
    *,
    url: str | None = None,
    db: str | None = None,
    catalog: str | None = None,
    store_path: str | Path | None = None,
    clients: int = 8,
    seconds: float = 20.0,
    feedback_every: int = 5,
    spawn: bool = True,
    suite: str = "demo.yaml",
    warmup: int = 3,
    api_key: str | None = None,
    with_chart: bool = True,
) -> dict[str, Any]:
    """Run the load and return the figures (see the module docstring)."""
    from assistant.store import Store

    if not 1 <= clients <= MAX_CLIENTS:
        raise SystemExit(f"--clients must be 1..{MAX_CLIENTS}")
    if not 0 < seconds <= MAX_SECONDS:
        raise SystemExit(f"--seconds must be in (0, {MAX_SECONDS:g}]")
    questions = demo_questions(suite)
    scratch = None
    if store_path is None:
        if url is not None:
            from assistant.store import default_store_path

            store_path = default_store_path()
        else:
            scratch = tempfile.mkdtemp(prefix="wenshu-load-")
            store_path = Path(scratch) / "wenshu.sqlite"
    store_path = Path(store_path)
    server = child = None
    started_server = time.perf_counter()
    if api_key is not None and url is None:
        raise SystemExit("--api-key targets a running `wenshu serve`: give its --url too")
    if url is not None:
        url = check_url(url)
    elif spawn:
        command = [sys.executable, str(Path(__file__).resolve()), "--serve-only", "--store", str(store_path)]
        command += ["--db", db] if db else []
        command += ["--catalog", catalog] if catalog else []
        child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=os.environ.copy())
        assert child.stdout is not None
        line = child.stdout.readline()
        if not line:
            raise RuntimeError("the spawned load-test server exited before it started")
        url = json.loads(line)["url"]
    else:
        assistant, served_store = open_assistant(db, catalog, store_path)
        server = ThreadServer(create_app(assistant, served_store)).start()
        url = server.url
    startup_s = time.perf_counter() - started_server
    try:
        import httpx

        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        with httpx.Client(base_url=url, timeout=60.0, headers=headers) as warm:  # first answers load lazy state
            for question in questions[:warmup]:
                warm.post("/api/v1/ask" if api_key else "/ask", json={"question": question})
        cpu_before = _server_cpu(url) if server is not None or child is not None else None
        run_id = uuid.uuid4().hex[:10]
        stats = [ClientStats() for _ in range(clients)]
        load_started = time.monotonic()
        stop_at = load_started + seconds
        threads = [
            threading.Thread(target=run_client, args=(url, questions, i, stop_at, run_id, feedback_every, stats[i], api_key, with_chart), daemon=True)
            for i in range(clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + 120)
        elapsed = time.monotonic() - load_started
        cpu_after = _server_cpu(url) if cpu_before is not None else None
    finally:
        if server is not None:
            server.stop()
        if child is not None:
            child.terminate()
            child.wait(timeout=10)

    latencies = [v for s in stats for v in s.latencies_ms]
    statuses: dict[str, int] = {}
    for s in stats:
        for key, value in s.statuses.items():
            statuses[key] = statuses.get(key, 0) + value
    errors = [e for s in stats for e in s.errors]
    sent = [m for s in stats for m in s.feedback_sent]
    with Store(store_path) as check:
        # The real API keeps the marker (sent as answer_id) in the note as "answer <marker>".
        prefix = f"answer load:{run_id}:" if api_key else f"load:{run_id}:"
        stored = {r.note.removeprefix("answer ") for r in check.feedback.list(note_prefix=prefix)}
        audit_rows = check.audit.count()
    lost = [m for m in sent if m not in stored]
    try:
        load_average = os.getloadavg()
    except OSError:
        load_average = (float("nan"),) * 3
    report: dict[str, Any] = {
        "url": url,
        "server": "external" if server is None and child is None else ("spawned process" if child else "in-process thread"),
        "clients": clients,
        "seconds": round(elapsed, 2),
        "server_startup_s": round(startup_s, 2),
        "questions_in_mix": len(questions),
        "requests": len(latencies),
        "answered_per_s": round(statuses.get("answer", 0) / elapsed, 1) if elapsed else 0.0,
        "requests_per_s": round(len(latencies) / elapsed, 1) if elapsed else 0.0,
        "statuses": statuses,
        "p50_ms": round(percentile(latencies, 50), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies), 1) if latencies else float("nan"),
        "mean_ms": round(statistics.fmean(latencies), 1) if latencies else float("nan"),
        "errors": len(errors),
        "error_samples": errors[:5],
        "feedback_acknowledged": len(sent),
        "feedback_failed": sum(s.feedback_failed for s in stats),
        "lost_writes": len(lost),
        "audit_rows": audit_rows,
        # CPU the serving process spent per request (in-thread: clients included); 2 idle cores ≈ 2000 / this q/s
        "cpu_ms_per_request": round((cpu_after - cpu_before) * 1000 / max(1, len(latencies)), 1)
        if cpu_before is not None and cpu_after is not None else None,
        "store": str(store_path),
        "load_average": [round(x, 2) for x in load_average],
        "cpus": os.cpu_count(),
    }
    if scratch is not None:
        import shutil

        shutil.rmtree(scratch, ignore_errors=True)
        report["store"] += " (temporary, removed)"
    return report


def format_report(report: dict[str, Any]) -> str:
    lines = [
        f"load test: {report['clients']} clients × {report['seconds']} s against {report['url']} ({report['server']})",
        (f"  answered questions/s  {report['answered_per_s']}   (all requests/s {report['requests_per_s']}; "
         f"{report['requests']} requests; statuses {report['statuses']})"),
        f"  latency               p50 {report['p50_ms']} ms · p99 {report['p99_ms']} ms · max {report['max_ms']} ms",
        f"  errors                {report['errors']}" + (f"  e.g. {report['error_samples'][0]}" if report["error_samples"] else ""),
        (f"  feedback              {report['feedback_acknowledged']} acknowledged, {report['feedback_failed']} failed, "
         f"{report['lost_writes']} lost"),
        f"  audit rows in store   {report['audit_rows']}  ({report['store']})",
        f"  server CPU / request  {report['cpu_ms_per_request']} ms"
        + (" (clients included: same process)" if report["server"] == "in-process thread" else ""),
        f"  load average          {report['load_average']} on {report['cpus']} CPU(s)",
    ]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="target a running server on a loopback address (default: start one)")
    parser.add_argument("--db", help="database (default: the demo)")
    parser.add_argument("--catalog", help="catalog folder (default: the demo)")
    parser.add_argument("--store", help="the SQLite store the server writes (default: a temporary one; with --url, the default store)")
    parser.add_argument("--clients", "-n", type=int, default=8, help=f"concurrent clients (default 8, at most {MAX_CLIENTS})")
    parser.add_argument("--seconds", "-t", type=float, default=20.0, help=f"duration (default 20, at most {MAX_SECONDS:g})")
    parser.add_argument("--feedback-every", type=int, default=5, help="each client posts a feedback every k requests (default 5; 0: never)")
    parser.add_argument("--in-process", dest="spawn", action="store_false",
                        help="serve from a thread of this process instead of a child process")
    parser.add_argument("--suite", default="demo.yaml", help="where the questions come from (default: the demo suite)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--no-chart", action="store_true", help="with --api-key: ask without the chart spec, as a text-only chat bot does")
    parser.add_argument("--api-key", help="with --url: drive the real `wenshu serve` API (/api/v1/ask, /api/v1/feedback) with this key")


def main_from_args(args: argparse.Namespace) -> int:
    if getattr(args, "serve_only", False):
        return serve_forever(args)
    report = run_load(
        url=args.url, db=args.db, catalog=args.catalog, store_path=args.store, clients=args.clients,
        seconds=args.seconds, feedback_every=args.feedback_every, spawn=args.spawn, suite=args.suite,
        api_key=getattr(args, "api_key", None), with_chart=not getattr(args, "no_chart", False),
    )
    print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else format_report(report))
    return 0 if report["errors"] == 0 and report["lost_writes"] == 0 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="loadtest", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    parser.add_argument("--serve-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    return main_from_args(parser.parse_args(argv))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing
    sys.exit(main())
