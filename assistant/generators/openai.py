"""The ``openai`` backend: any OpenAI-compatible chat endpoint (OpenAI, vLLM, llama.cpp servers, Ollama).

A :class:`~assistant.generators.chat.ChatGenerator` (the prompts of
:mod:`assistant.generators.prompts`, same draft clean-up as ``local``) with a
``langchain_openai.ChatOpenAI`` model pointed at ``POLICYCHAT_LLM_BASE_URL``.
The endpoint's tokenizer is unknown, so the prompt is fitted to
``POLICYCHAT_LLM_CONTEXT_TOKENS`` with a high estimate. The client and the error
mapping are shared with the eval judge (:mod:`assistant.generators.chat`): endpoint failures
become :class:`~policychat.errors.EndpointError` messages that say which URL failed and
which setting to check.
"""

from __future__ import annotations

from assistant.generators import register
from assistant.generators.chat import ChatGenerator, endpoint_error, openai_chat_model, reply_token_cap
from policychat.errors import GeneratorError
from policychat.settings import Settings

MAX_RETRIES = 1
OPENAI_MAX_PASSAGES = 5
OPENAI_MAX_WORDS = 300


class OpenAIGenerator(ChatGenerator):
    """A :class:`ChatGenerator` whose failures name the endpoint and the settings to check."""

    def __init__(self, settings: Settings) -> None:
        """Build a ``ChatOpenAI`` client for ``settings.models.llm_base_url``; nothing is contacted yet.

        Raises:
            GeneratorError: ``llm_base_url`` is not set.
        """
        if not settings.models.llm_base_url:
            raise GeneratorError(
                "The openai generator needs POLICYCHAT_LLM_BASE_URL, e.g. http://127.0.0.1:8080/v1 "
                "for a llama.cpp or vLLM server, or https://api.openai.com/v1 with POLICYCHAT_LLM_API_KEY."
            )
        self.base_url = settings.models.llm_base_url
        self.model_name = settings.models.llm_model
        self.timeout = settings.models.llm_timeout_seconds
        reply_tokens = reply_token_cap(settings, settings.models.llm_context_tokens)
        # vLLM, Ollama and OpenAI report token counts at the end of a stream when asked (stream_usage).
        model = openai_chat_model(settings, max_tokens=reply_tokens, max_retries=MAX_RETRIES, stream_usage=True)
        super().__init__(
            "openai", model, max_passages=OPENAI_MAX_PASSAGES, max_words=OPENAI_MAX_WORDS,
            context_tokens=settings.models.llm_context_tokens,
            reply_tokens=reply_tokens,
            model_label=settings.models.llm_model,
        )

    def failure(self, exc: Exception) -> GeneratorError:
        """Explain an endpoint error: unreachable, key refused, unknown model, or an HTTP error."""
        return endpoint_error(exc, self.base_url, model=self.model_name, timeout=self.timeout)


@register("openai")
def _factory(settings: Settings) -> OpenAIGenerator:
    return OpenAIGenerator(settings)
