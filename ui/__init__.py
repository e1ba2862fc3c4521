"""The Gradio app for Wenshu (imports ``assistant``; nothing imports ``ui``)."""

from ui.app import build_app, serve

__all__ = ["build_app", "serve"]
