"""The HTTP edge of policychat: JSON, SSE and OpenAI-compatible routes under ``/v1``.

Routes only validate and translate; every answer comes from the one
:class:`~assistant.service.AnswerService` held by :class:`~assistant.serving.runtime.Runtime`,
which the Gradio UI shares.
"""

from assistant.api.routes import api_router, health_router

__all__ = ["api_router", "health_router"]
