"""The HTTP API: FastAPI routes, API keys, roles, and an OpenAI-compatible chat endpoint."""

from assistant.api.app import FeedbackEntry, FeedbackSink, InMemoryFeedbackSink, StoreFeedbackSink, create_app
from assistant.api.auth import KeyStore, Principal, RateLimiter
from assistant.api.errors import ApiError, Forbidden
from assistant.api.roles import Policy, RoleBoundAssistant, RoleBoundRouter, mask_answer, policy_for

__all__ = [
    "ApiError", "FeedbackEntry", "FeedbackSink", "Forbidden", "InMemoryFeedbackSink", "KeyStore", "Policy", "Principal",
    "RateLimiter", "RoleBoundAssistant", "RoleBoundRouter", "StoreFeedbackSink", "create_app", "mask_answer", "policy_for",
]
