"""A scripted OpenAI-compatible server for tests, on 127.0.0.1 with a free port.

    with FakeOpenAI() as fake:
        fake.script(tool_call("PlanReply", {...}), http_error(500), text("hello"))
        ChatOpenAI(base_url=fake.url, api_key="test", model="fake", max_retries=0)
        ...
        fake.requests[0]["body"]["messages"]

Each ``/v1/chat/completions`` request takes the next scripted reply from the
queue: a tool call (arguments as a dict, or a raw string for invalid JSON),
plain text, an HTTP error (500, 429 with Retry-After…), a body that is not a
completion at all, or any of those after a delay. With an empty queue the server answers HTTP 500 "no scripted reply",
so a test that makes more calls than it scripted fails loudly.
``/v1/embeddings`` answers deterministic hashed vectors. Every request body is
recorded. Nothing here talks to any network other than 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Self

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response


@dataclass(frozen=True)
class Reply:
    """One scripted answer to a chat-completions request."""

    kind: str  # "tool" | "text" | "error" | "raw"
    content: str = ""
    tool_name: str = ""
    arguments: str = ""  # raw JSON text (possibly invalid on purpose)
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    prompt_tokens: int = 120
    completion_tokens: int = 30


def tool_call(name: str, arguments: dict | str, *, prompt_tokens: int = 120, completion_tokens: int = 30) -> Reply:
    """The model calls tool ``name``; a str ``arguments`` is sent verbatim (for invalid JSON)."""
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
    return Reply("tool", tool_name=name, arguments=raw, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)


def text(content: str) -> Reply:
    """The model answers in plain text and calls no tool."""
    return Reply("text", content=content)


def http_error(status: int, message: str = "scripted error", headers: dict[str, str] | None = None) -> Reply:
    return Reply("error", content=message, status=status, headers=dict(headers or {}))


def raw_body(body: str, status: int = 200, content_type: str = "text/html") -> Reply:
    """A response that is not a chat completion at all (a proxy's HTML page, truncated JSON)."""
    return Reply("raw", content=body, status=status, headers={"content-type": content_type})


def delayed(reply: Reply, seconds: float) -> Reply:
    """``reply`` after ``seconds`` (a slow endpoint; the client may time out first)."""
    return Reply(**{**reply.__dict__, "delay_s": seconds})


async def _slept_until_disconnect(request: Request, seconds: float) -> bool:
    """Sleep ``seconds``; True (and stop early) when the client hung up (it timed out)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await request.is_disconnected():
            return True
        await asyncio.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
    return False


def _embedding(text_in: str, dims: int = 32) -> list[float]:
    digest = hashlib.sha256(text_in.encode("utf-8")).digest()
    values = [(b - 127.5) / 127.5 for b in (digest * ((dims // len(digest)) + 1))[:dims]]
    norm = sum(v * v for v in values) ** 0.5 or 1.0
    return [v / norm for v in values]


class FakeOpenAI:
    """The server and its script. Thread-safe: uvicorn runs in a background thread."""

    def __init__(self) -> None:
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.app = self._build_app()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # ---------------------------------------------------------------- script
    def script(self, *replies: Reply) -> FakeOpenAI:
        with self._lock:
            self._queue.extend(replies)
        return self

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
            self.requests.clear()

    @property
    def remaining(self) -> int:
        with self._lock:
            return len(self._queue)

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        return [r["body"] for r in self.requests if r["path"].endswith("/chat/completions")]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # ---------------------------------------------------------------- app
    def _build_app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def chat(request: Request):
            body = await request.json()
            with self._lock:
                self.requests.append({"path": "/v1/chat/completions", "body": body, "at": time.monotonic()})
                reply = self._queue.popleft() if self._queue else None
            if reply is None:
                return JSONResponse({"error": {"message": "no scripted reply", "type": "server_error"}}, status_code=500)
            if reply.delay_s and await _slept_until_disconnect(request, reply.delay_s):
                return JSONResponse({"error": {"message": "client went away"}}, status_code=499)
            if reply.kind == "raw":
                return Response(reply.content, status_code=reply.status, media_type=reply.headers.get("content-type"))
            if reply.kind == "error":
                kind = "rate_limit_error" if reply.status == 429 else "server_error"
                return JSONResponse(
                    {"error": {"message": reply.content, "type": kind, "code": str(reply.status)}},
                    status_code=reply.status,
                    headers=reply.headers,
                )
            message: dict[str, Any] = {"role": "assistant", "content": None}
            finish = "stop"
            if reply.kind == "tool":
                message["tool_calls"] = [
                    {"id": f"call_{len(self.requests)}", "type": "function",
                     "function": {"name": reply.tool_name, "arguments": reply.arguments}}
                ]
                finish = "tool_calls"
            else:
                message["content"] = reply.content
            return {
                "id": f"chatcmpl-{len(self.requests)}",
                "object": "chat.completion",
                "created": 1_700_000_000,
                "model": body.get("model", "fake"),
                "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
                "usage": {
                    "prompt_tokens": reply.prompt_tokens,
                    "completion_tokens": reply.completion_tokens,
                    "total_tokens": reply.prompt_tokens + reply.completion_tokens,
                },
            }

        @app.post("/v1/embeddings")
        async def embeddings(request: Request):
            body = await request.json()
            with self._lock:
                self.requests.append({"path": "/v1/embeddings", "body": body, "at": time.monotonic()})
            inputs = body.get("input")
            items = inputs if isinstance(inputs, list) else [inputs]
            data = [{"object": "embedding", "index": i, "embedding": _embedding(str(item))} for i, item in enumerate(items)]
            tokens = sum(len(str(item)) for item in items)
            return {"object": "list", "data": data, "model": body.get("model", "fake"),
                    "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}

        return app

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> FakeOpenAI:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", timeout_graceful_shutdown=1, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake OpenAI server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port
