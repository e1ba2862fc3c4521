"""One JSON error shape for every API response that is not a success.

``{"error": {"code": "...", "message": "...", "hint": "..."}}`` — the code is
stable and machine-readable, the message says what went wrong, the hint what
to do about it. Every failure path (our own errors, validation, unknown
routes, oversized bodies, bugs) is rendered through :func:`error_response`.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("wenshu.api")


class ErrorBody(BaseModel):
    code: str
    message: str
    hint: str = ""


class ErrorResponse(BaseModel):
    """The shape of every error the API returns."""

    error: ErrorBody


class ApiError(Exception):
    """A user-facing API error: an HTTP status and the three fields of the error shape."""

    def __init__(self, status: int, code: str, message: str, hint: str = "", headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.hint = hint
        self.headers = headers


class Forbidden(ApiError):
    """The caller's role may not see what was asked (a metric, a masked dimension)."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(403, "forbidden", message, hint)


def error_response(status: int, code: str, message: str, hint: str = "", headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "hint": hint}}
    return JSONResponse(body, status_code=status, headers=headers)


_HTTP_CODES = {
    400: ("malformed_body", "send a JSON object, UTF-8 encoded"),
    401: ("unauthorized", "send an API key: 'Authorization: Bearer <key>'"),
    403: ("forbidden", ""),
    404: ("not_found", "see /docs for the routes"),
    405: ("method_not_allowed", "see /docs for the methods each route accepts"),
    413: ("payload_too_large", "send a smaller request"),
    415: ("unsupported_media_type", "send JSON with 'Content-Type: application/json'"),
    429: ("rate_limited", "wait and retry"),
}


def _validation_message(exc: RequestValidationError) -> tuple[int, str, str, str]:
    errors = exc.errors()
    if any(e.get("type") in ("json_invalid", "json_type") for e in errors) or any(
        e.get("type") == "model_attributes_type" and tuple(e.get("loc", ())) == ("body",) for e in errors
    ):
        return 400, "malformed_json", "the request body is not valid JSON", "send a JSON object, UTF-8 encoded"
    if any(e.get("type") == "missing" and tuple(e.get("loc", ())) == ("body",) for e in errors):
        return 400, "empty_body", "the request has no body", "send a JSON object"
    parts = []
    for e in errors[:5]:
        where = ".".join(str(p) for p in e.get("loc", ()) if p != "body")
        parts.append(f"{where}: {e.get('msg', 'invalid')}" if where else str(e.get("msg", "invalid")))
    return 422, "invalid_request", "; ".join(parts) or "invalid request", "see the request schema in /docs"


def install_error_handlers(app: FastAPI) -> None:
    """Render every failure in the one error shape."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.hint, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(*_validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, hint = _HTTP_CODES.get(exc.status_code, ("http_error", ""))
        detail = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return error_response(exc.status_code, code, detail, hint, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "the server failed to answer this request", "retry; if it persists, report it with the time of the request")


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in (
        (400, "Malformed request (not JSON, not UTF-8)"),
        (401, "No API key, or an unknown or revoked one"),
        (403, "The caller's role may not see this"),
        (413, "Request body too large"),
        (422, "The request does not match the schema"),
        (429, "Too many requests for this API key"),
    )
}
