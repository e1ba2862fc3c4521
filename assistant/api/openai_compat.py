"""An OpenAI-compatible chat endpoint: ``POST /v1/chat/completions`` with model ``wenshu``.

Any chat client, bot framework or OpenAI SDK can talk to Wenshu: the API key
is the Wenshu key (``OpenAI(base_url=".../v1", api_key="wsk_…")``). The last
user message is the question; earlier messages of the same conversation share
one Wenshu session (keyed by the key's user and the conversation's first user
message, or by an explicit ``session_id`` / ``user`` field), so follow-ups like
"按区域呢?" work. The reply is Markdown — the answer sentence, a table, the
interpretation — and the structured answer (the ``/api/v1/ask`` payload)
rides along in the extra field ``wenshu`` of the completion (non-streaming) or
of the last chunk (streaming); with the OpenAI Python client read it as
``completion.model_extra["wenshu"]``.
"""

# ruff: noqa: B008 — FastAPI declares dependencies and parameters as argument defaults

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import Depends, FastAPI
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from assistant.api.auth import Principal
from assistant.api.errors import ERROR_RESPONSES, ApiError

MODEL = "wenshu"
MAX_TABLE_ROWS = 20


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "user", "assistant", "tool", "developer", "function"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, str):
            return self.content
        if isinstance(self.content, list):  # content parts: keep the text ones
            return "".join(str(p.get("text", "")) for p in self.content if isinstance(p, dict) and p.get("type") == "text")
        return ""


class ChatRequest(BaseModel):
    """The OpenAI chat completion request; sampling fields are accepted and ignored (answers are deterministic)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={"examples": [{"model": "wenshu", "messages": [{"role": "user", "content": "上个月各区域的GMV"}]},
                                        {"model": "wenshu", "stream": True, "messages": [{"role": "user", "content": "GMV last month"}]}]},
    )

    model: str = Field(max_length=100)
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: bool = False
    user: str | None = Field(default=None, max_length=128)
    session_id: str | None = Field(default=None, max_length=128, description="Wenshu extension: the conversation id.")


def _markdown(payload: dict[str, Any], catalog: Any, labels: Any = None) -> str:
    """The reply for chat clients; ``labels`` names members in the answer's language (East China, not 华东)."""
    from assistant.formatting import format_change_pct, format_number

    lang = payload.get("lang", "zh")
    text = payload.get("text") or {}
    parts = [f"**{text.get('sentence') or payload.get('message') or ''}**"]
    parts += [f"*{note}*" for note in text.get("notes", [])]
    if payload.get("status") == "clarify":
        parts += [f"{i}. {o['label']}" for i, o in enumerate(payload.get("options", []), 1)]
    columns, rows = payload.get("columns") or [], payload.get("rows") or []
    if payload.get("status") == "answer" and columns and rows and not (len(rows) == 1 and len(columns) == 1):
        headers, formats = [], []
        for name in columns:
            base = name
            for suffix in ("_previous", "_change_pct", "_change", "_share"):
                if name.endswith(suffix) and catalog.has_metric(name[: -len(suffix)]):
                    base = name[: -len(suffix)]
                    break
            if catalog.has_metric(base):
                label = catalog.metric(base).label.get(lang)
                suffix = name[len(base):]
                headers.append(label + ({"_previous": " (上期)" if lang == "zh" else " (previous)",
                                         "_change": " 变化" if lang == "zh" else " change",
                                         "_change_pct": " 变化率" if lang == "zh" else " change %",
                                         "_share": " 占比" if lang == "zh" else " share"}.get(suffix, "")))  # fmt: skip
                formats.append("pct" if suffix == "_change_pct" else "percent" if suffix == "_share" else catalog.metric(base).format)
            else:
                headers.append(catalog.dimension(name).label.get(lang) if catalog.has_dimension(name) else name)
                formats.append(("member", name) if labels is not None and catalog.has_dimension(name) else None)
        lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        for row in rows[:MAX_TABLE_ROWS]:
            cells = []
            for value, fmt in zip(row, formats):
                if value is None:
                    cells.append("—")
                elif fmt == "pct":
                    cells.append(format_change_pct(value))
                elif isinstance(fmt, tuple):
                    cells.append(str(labels.show(fmt[1], value, lang)).replace("|", "\\|"))
                elif fmt is not None and isinstance(value, (int, float)):
                    cells.append(format_number(value, fmt, lang))
                else:
                    cells.append(str(value).replace("|", "\\|"))
            lines.append("| " + " | ".join(cells) + " |")
        if len(rows) > MAX_TABLE_ROWS:
            lines.append(f"*… {len(rows) - MAX_TABLE_ROWS} " + ("行未显示*" if lang == "zh" else "more rows*"))
        parts.append("\n".join(lines))
    if payload.get("interpretation"):
        parts.append(("> 理解为:" if lang == "zh" else "> Understood as: ") + payload["interpretation"])
    if text.get("period"):
        parts.append(f"<small>{text['period']}</small>")
    return "\n\n".join(p for p in parts if p)


def _session_for(body: ChatRequest, principal: Principal, question_index: int) -> str:
    if body.session_id:
        return body.session_id
    first = next((m.text() for m in body.messages if m.role == "user"), "")
    seed = f"{body.user or ''}\x1f{first}"
    return "chat-" + hashlib.sha256(seed.encode("utf-8")).hexdigest()[:20]


def install_openai_routes(app: FastAPI, ctx: Any) -> None:
    from assistant.api.app import answer_payload

    authenticate = app.state.authenticate
    policies_of = app.state.policies_of

    @app.get("/v1/models", tags=["openai"], summary="The models: wenshu, and wenshu/<catalog> per catalog", responses=ERROR_RESPONSES)
    def models(policies: dict = Depends(policies_of)) -> dict[str, Any]:
        """``wenshu`` routes each question to the catalog that understands it; ``wenshu/<name>`` asks one catalog."""
        names = [MODEL, *(f"{MODEL}/{name}" for name in policies)] if ctx.several else [MODEL]
        return {"object": "list", "data": [{"id": n, "object": "model", "created": 0, "owned_by": "wenshu"} for n in names]}

    @app.post(
        "/v1/chat/completions", tags=["openai"], summary="OpenAI-compatible chat completion (model wenshu)",
        responses={200: {"content": {"application/json": {"example": {
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1795000000, "model": "wenshu",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": "**上个月GMV为3,456.7万元。**\n\n> 理解为:成交总额(GMV),2026年10月"}}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            "wenshu": {"status": "answer", "plan": {"metrics": ["gmv"], "period": "last_month"}, "columns": ["gmv"], "rows": [[34567000.0]]},
        }}, "text/event-stream": {}}}, **ERROR_RESPONSES},
    )  # fmt: skip
    def chat_completions(body: ChatRequest, principal: Principal = Depends(authenticate), policies=Depends(policies_of)):
        family, _, pinned = body.model.partition("/")
        if family != MODEL or (pinned and pinned not in ctx.router.assistants):
            known = ", ".join([MODEL, *(f"{MODEL}/{n}" for n in policies)] if ctx.several else [MODEL])
            raise ApiError(404, "model_not_found", f"no model '{body.model}'", f"use one of: {known} (see /v1/models)")
        users = [i for i, m in enumerate(body.messages) if m.role == "user"]
        if not users:
            raise ApiError(422, "invalid_request", "no user message", "send at least one message with role 'user'")
        from assistant.api.app import MAX_QUESTION_CHARS, _clean_question

        question = body.messages[users[-1]].text()
        if len(question) > MAX_QUESTION_CHARS:
            raise ApiError(413, "question_too_long", f"the question is over {MAX_QUESTION_CHARS} characters", "ask a shorter question")
        try:
            question = _clean_question(question)
        except ValueError as exc:
            raise ApiError(422, "invalid_request", str(exc), "send a question as the last user message") from None
        session = _session_for(body, principal, users[-1])
        payload = answer_payload(ctx, question, principal, policies, session_id=session, catalog=pinned or None)
        answered = ctx.router.assistant(payload.get("catalog") or None)
        content = _markdown(payload, answered.catalog, getattr(answered, "labels", None))
        completion_id = "chatcmpl-" + uuid.uuid4().hex[:24]
        created = int(time.time())
        if not body.stream:
            return {
                "id": completion_id, "object": "chat.completion", "created": created, "model": body.model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                "wenshu": payload,
            }  # fmt: skip

        def events() -> Iterator[str]:
            base = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": body.model}

            def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
                data = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
                return f"data: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"

            yield chunk({"role": "assistant", "content": ""})
            for piece in content.splitlines(keepends=True):
                yield chunk({"content": piece})
            yield chunk({}, "stop", wenshu=payload)
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
