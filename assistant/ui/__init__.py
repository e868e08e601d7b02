"""The Gradio chat UI, mounted at ``/`` of the API app; its callbacks share the API's answer service."""

from assistant.ui import card_render, scripts, theme
from assistant.ui.layout import build_ui
from assistant.ui.theme import make_theme

CSS = theme.CSS + scripts.CSS + card_render.CSS
HEAD = theme.HEAD + scripts.SCRIPT

__all__ = ["CSS", "HEAD", "build_ui", "make_theme"]
