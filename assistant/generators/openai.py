"""The ``openai`` backend: any OpenAI-compatible chat endpoint (OpenAI, vLLM, llama.cpp servers, Ollama).

A :class:`~assistant.generators.chat.ChatGenerator` (the prompts of
:mod:`assistant.prompts`, same draft clean-up as ``local``) with a
``langchain_openai.ChatOpenAI`` model pointed at ``POLICYCHAT_LLM_BASE_URL``.
The endpoint's tokenizer is unknown, so the prompt is fitted to
``POLICYCHAT_LLM_CONTEXT_TOKENS`` with a high estimate. Endpoint failures become
:class:`GeneratorError` messages that say which URL failed and which setting to check.
"""

from __future__ import annotations

from pydantic import SecretStr

from assistant.generators import register
from assistant.generators.chat import ChatGenerator
from policychat.errors import GeneratorError
from policychat.settings import Settings

MAX_RETRIES = 1
OPENAI_MAX_PASSAGES = 5
OPENAI_MAX_WORDS = 300


class OpenAIGenerator(ChatGenerator):
    """A :class:`ChatGenerator` whose failures name the endpoint and the settings to check."""

    def __init__(self, settings: Settings) -> None:
        """Build a ``ChatOpenAI`` client for ``settings.llm_base_url``; nothing is contacted yet.

        Raises:
            GeneratorError: ``llm_base_url`` is not set.
        """
        if not settings.llm_base_url:
            raise GeneratorError(
                "The openai generator needs POLICYCHAT_LLM_BASE_URL, e.g. http://127.0.0.1:8080/v1 "
                "for a llama.cpp or vLLM server, or https://api.openai.com/v1 with POLICYCHAT_LLM_API_KEY."
            )
        from langchain_openai import ChatOpenAI

        self.base_url = settings.llm_base_url
        self.model_name = settings.llm_model
        self.timeout = settings.llm_timeout_seconds
        reply_tokens = min(settings.llm_max_tokens, settings.llm_context_tokens // 2)
        model = ChatOpenAI(
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            api_key=SecretStr(settings.llm_api_key or "not-needed"),
            temperature=settings.llm_temperature,
            # ChatOpenAI would send the cap as `max_completion_tokens`, which llama-cpp-python's and
            # older llama.cpp/vLLM servers ignore (unbounded replies); every server reads `max_tokens`.
            extra_body={"max_tokens": reply_tokens},
            timeout=settings.llm_timeout_seconds,
            max_retries=MAX_RETRIES,
            stream_usage=True,  # vLLM, Ollama and OpenAI then report token counts at the end of a stream
        )
        super().__init__(
            "openai", model, max_passages=OPENAI_MAX_PASSAGES, max_words=OPENAI_MAX_WORDS,
            context_tokens=settings.llm_context_tokens,
            reply_tokens=reply_tokens,
            model_label=settings.llm_model,
        )

    def failure(self, exc: Exception) -> GeneratorError:
        """Explain an endpoint error: unreachable, key refused, unknown model, or an HTTP error."""
        import openai

        where = f"the OpenAI-compatible endpoint {self.base_url}"
        if isinstance(exc, openai.APITimeoutError):
            return GeneratorError(
                f"No answer from {where} within {self.timeout:g} s; is the server overloaded? "
                "(POLICYCHAT_LLM_TIMEOUT_SECONDS)"
            )
        if isinstance(exc, openai.APIConnectionError):
            return GeneratorError(
                f"Could not reach {where} ({exc}); start the server or fix POLICYCHAT_LLM_BASE_URL."
            )
        if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            return GeneratorError(f"{where} refused the API key; set POLICYCHAT_LLM_API_KEY.")
        if isinstance(exc, openai.NotFoundError):
            return GeneratorError(
                f"{where} has no model {self.model_name!r} or no chat API at that path; check "
                "POLICYCHAT_LLM_MODEL and that POLICYCHAT_LLM_BASE_URL ends in /v1."
            )
        if isinstance(exc, openai.APIStatusError):
            return GeneratorError(f"{where} answered HTTP {exc.status_code}: {exc.message}")
        return GeneratorError(f"The request to {where} failed: {type(exc).__name__}: {exc}")


@register("openai")
def _factory(settings: Settings) -> OpenAIGenerator:
    return OpenAIGenerator(settings)
