"""The Gradio chat UI, mounted at ``/`` of the API app; its callbacks share the API's answer service."""

from assistant.ui.layout import build_ui
from assistant.ui.theme import CSS, HEAD, make_theme

__all__ = ["CSS", "HEAD", "build_ui", "make_theme"]
