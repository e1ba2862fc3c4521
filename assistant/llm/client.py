"""Talking to an OpenAI-compatible endpoint: one tool call per request, within a budget.

``ChatClient.call`` sends messages with one tool the model must call
(langchain ``with_structured_output(method="function_calling")``, which
vLLM, Ollama, DeepSeek and the OpenAI API all accept), and returns the tool's
arguments as a dict — or the reason there are none (invalid JSON, plain text)
for the caller to send back as a repair. Transport failures become
:class:`LLMUnavailable` with a ``kind`` the caller turns into a notice.

Every question has one :class:`Budget` (20 s by default) shared by all its
calls; each request's timeout is what remains of it, so a slow endpoint,
retries and repair rounds together never exceed it. Tokens and time are
added to a :class:`UsageMeter` as they happen, failed calls included.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, SecretStr

from assistant.llm.config import LLMConfig

UnavailableKind = Literal[
    "not_configured", "connection", "timeout", "rate_limited", "server_error", "http_error", "bad_response",
]
_JSON_BLOCK = re.compile(r"```(?:json)?\s*(\{.*?\})\s*```", re.DOTALL)
_MAX_RETRY_AFTER_S = 2.0


class LLMUnavailable(Exception):
    """The endpoint could not give an answer (down, slow, rate-limited, failing)."""

    def __init__(self, kind: UnavailableKind, message: str, detail: str = ""):
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message  # a sentence for English notices and logs
        self.detail = detail  # the short fact (HTTP 500, 20 s, the host) for notices in any language


@dataclass(frozen=True)
class Usage:
    """Tokens and wall time spent on the LLM for one answer."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: float = 0.0
    calls: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "latency_ms": round(self.latency_ms, 1),
            "calls": self.calls,
        }


class UsageMeter:
    """Accumulates usage across the calls of one question (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._prompt = 0
        self._completion = 0
        self._latency_ms = 0.0
        self._calls = 0

    def add(self, prompt_tokens: int, completion_tokens: int, latency_ms: float) -> None:
        with self._lock:
            self._prompt += int(prompt_tokens or 0)
            self._completion += int(completion_tokens or 0)
            self._latency_ms += latency_ms
            self._calls += 1

    def snapshot(self) -> Usage:
        with self._lock:
            return Usage(self._prompt, self._completion, self._latency_ms, self._calls)


class Budget:
    """The time left for one question's LLM work."""

    def __init__(self, seconds: float, connect_s: float = 3.0):
        self.seconds = seconds
        self.connect_s = connect_s
        self.deadline = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def timeout(self):
        import httpx

        left = self.remaining()
        return httpx.Timeout(left, connect=min(self.connect_s, left))


@dataclass(frozen=True)
class ToolReply:
    """What the model sent: the tool arguments, or why there are none."""

    args: dict[str, Any] | None
    error: str | None
    sent: str  # the arguments or text as sent, shown back to the model in a repair


class ChatClient:
    """One chat model for one configuration; ``call`` is safe to use from several threads."""

    def __init__(self, config: LLMConfig):
        if not config.configured:
            raise LLMUnavailable("not_configured", config.missing or "the LLM is not configured")
        from langchain_openai import ChatOpenAI

        self.config = config
        # Retries are ours (within the question's budget), never the SDK's.
        self.chat = ChatOpenAI(
            model=str(config.model),
            base_url=config.base_url,
            api_key=SecretStr(config.api_key or "not-needed"),  # local servers accept any key
            temperature=config.temperature,
            max_retries=0,
            timeout=Budget(config.timeout_s, config.connect_timeout_s).timeout(),
        )

    def call(self, messages: list, schema: type[BaseModel], budget: Budget, meter: UsageMeter) -> ToolReply:
        """Ask for one call of the tool ``schema``; retry transport failures while the budget lasts."""
        import openai

        attempt = 0
        while True:
            if budget.remaining() < 0.05:
                raise LLMUnavailable("timeout", f"no answer within the {budget.seconds:g} s budget", f"{budget.seconds:g} s")
            runnable = self.chat.with_structured_output(
                schema, method="function_calling", include_raw=True, timeout=budget.timeout(),
            )
            started = time.perf_counter()
            try:
                output = runnable.invoke(messages)
            except openai.APITimeoutError as exc:
                meter.add(0, 0, (time.perf_counter() - started) * 1000)
                raise LLMUnavailable("timeout", f"no answer within the {budget.seconds:g} s budget", f"{budget.seconds:g} s") from exc
            except openai.APIConnectionError as exc:
                meter.add(0, 0, (time.perf_counter() - started) * 1000)
                if self._may_retry(attempt, budget, 0.2 * 2**attempt):
                    attempt += 1
                    continue
                where = self.config.base_url or "the OpenAI API"
                raise LLMUnavailable("connection", f"cannot reach {where}", where) from exc
            except openai.RateLimitError as exc:
                meter.add(0, 0, (time.perf_counter() - started) * 1000)
                wait = _retry_after(exc) or 0.5 * 2**attempt
                if wait <= _MAX_RETRY_AFTER_S and self._may_retry(attempt, budget, wait):
                    attempt += 1
                    continue
                raise LLMUnavailable("rate_limited", "the endpoint is rate-limiting requests (HTTP 429)", "HTTP 429") from exc
            except openai.InternalServerError as exc:
                meter.add(0, 0, (time.perf_counter() - started) * 1000)
                if self._may_retry(attempt, budget, 0.3 * 2**attempt):
                    attempt += 1
                    continue
                raise LLMUnavailable("server_error", f"the endpoint failed (HTTP {exc.status_code})", f"HTTP {exc.status_code}") from exc
            except openai.APIStatusError as exc:
                meter.add(0, 0, (time.perf_counter() - started) * 1000)
                raise LLMUnavailable(
                    "http_error", f"the endpoint refused the request (HTTP {exc.status_code}): {_short(exc.message)}",
                    f"HTTP {exc.status_code}",
                ) from exc
            except Exception as exc:  # a body that is not a chat completion, a client-side parse failure
                meter.add(0, 0, (time.perf_counter() - started) * 1000)
                raise LLMUnavailable("bad_response", f"the endpoint's answer could not be read: {_short(str(exc), 120)}") from exc
            raw = output.get("raw") if isinstance(output, dict) else None
            usage = getattr(raw, "usage_metadata", None) or {}
            meter.add(usage.get("input_tokens", 0), usage.get("output_tokens", 0), (time.perf_counter() - started) * 1000)
            if raw is None:
                raise LLMUnavailable("bad_response", "the endpoint returned no message")
            return _tool_reply(raw, schema.__name__)

    def _may_retry(self, attempt: int, budget: Budget, wait_s: float) -> bool:
        """Wait and return True when another attempt fits the retry count and the budget."""
        if attempt >= self.config.max_retries or budget.remaining() <= wait_s + 0.5:
            return False
        time.sleep(wait_s)
        return True


def _retry_after(exc: Exception) -> float | None:
    response = getattr(exc, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _tool_reply(raw: Any, tool: str) -> ToolReply:
    """The arguments of the model's call of ``tool``, or what went wrong, as a repair instruction."""
    calls = list(getattr(raw, "tool_calls", None) or ())
    call = next((c for c in calls if c.get("name") == tool), calls[0] if calls else None)
    if call is not None:
        args = call.get("args")
        if isinstance(args, dict):
            return ToolReply(args, None, json.dumps(args, ensure_ascii=False))
    invalid = list(getattr(raw, "invalid_tool_calls", None) or ())
    if invalid:
        sent = str(invalid[0].get("args") or "")
        detail = str(invalid[0].get("error") or "").split("Received JSONDecodeError")[-1].split("\n")[0].strip()
        return ToolReply(None, f"the arguments of {tool} were not valid JSON ({detail or 'could not be parsed'}): {_short(sent, 300)}", sent)
    content = raw.content if isinstance(raw.content, str) else json.dumps(raw.content, ensure_ascii=False)
    found = _json_in_text(content)
    if found is not None:
        return ToolReply(found, None, content)  # some servers ignore tool_choice and answer JSON in text
    return ToolReply(None, f"you answered in plain text instead of calling the tool {tool}: {_short(content, 300)}", content)


def _json_in_text(text: str) -> dict[str, Any] | None:
    candidates = [m.group(1) for m in _JSON_BLOCK.finditer(text or "")]
    stripped = (text or "").strip()
    if stripped.startswith("{") and stripped.endswith("}"):
        candidates.append(stripped)
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None
