"""All configuration of policychat: one pydantic-settings class made of six groups.

The groups are ``store``, ``models``, ``ingest``, ``retrieval``, ``answer`` and ``server``
(``settings.store.data_dir``, ``settings.retrieval.top_k``, ...). Every field is still set
from one flat environment variable with the ``POLICYCHAT_`` prefix (``POLICYCHAT_DATA_DIR``,
``POLICYCHAT_TOP_K``, ...) or from a ``.env`` file in the working directory; field names are
unique across the groups, so the variable names did not change when the groups came.
Nothing is read at import time: call :func:`get_settings` (cached) or build
``Settings(data_dir=..., top_k=...)`` with flat names and pass it on; :meth:`Settings.replace`
gives a changed copy.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from policychat.errors import ConfigError

ENV_PREFIX = "POLICYCHAT_"
DEFAULT_SHARED_CORPUS = Path("../shared/corpus")


def _default_sources() -> Path | None:
    """The shared corpus beside the repository when it exists, else nothing."""
    return DEFAULT_SHARED_CORPUS if DEFAULT_SHARED_CORPUS.is_dir() else None


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class StoreSettings(_Group):
    """Where the library lives: the data folder, the default sources, and the Chroma store."""

    data_dir: Path = Field(Path("data"), description="Index, catalog and extracted texts.")
    sources: Path | None = Field(
        default_factory=_default_sources,
        description="Default folder ingested by `policychat ingest` with no paths.",
    )
    collection: str = Field("policychat", description="Chroma collection name.")
    chroma_host: str | None = Field(None, description="Chroma server host; unset = embedded.")
    chroma_port: int = Field(8000, ge=1, le=65535)
    chroma_timeout_seconds: float = Field(
        15.0, gt=0, le=600,
        description="Chroma server mode: how long a request may wait for the server's answer before it fails "
        "with an error naming the server (connecting waits at most 3 s).",
    )
    replica_sync_seconds: float = Field(
        5.0, ge=0,
        description="Chroma server mode: a server re-syncs its local catalog and BM25 index from the Chroma server "
        "at most this often, before a read (0 = never).",
    )

    @property
    def uses_chroma_server(self) -> bool:
        """True when a Chroma server is configured instead of the embedded store."""
        return bool(self.chroma_host)


class ModelSettings(_Group):
    """The models: the embedding model, the local GGUF model, and an OpenAI-compatible endpoint."""

    embedding_model: str | None = Field(
        None, description="Sentence-transformers model dir; unset = packaged all-MiniLM-L6-v2."
    )
    embedding_batch_size: int = Field(64, ge=1, le=1024)
    local_model_path: str | None = Field(None, description="GGUF file; unset = packaged SmolLM2.")
    llm_base_url: str | None = Field(None, description="OpenAI-compatible endpoint base URL.")
    llm_model: str = Field("gpt-4o-mini")
    llm_api_key: str | None = Field(None)
    llm_context_tokens: int = Field(
        4096, ge=512, le=1_048_576,
        description="Context window of the openai endpoint's model: prompt (passages) + reply must fit "
        "(Ollama's default num_ctx is 2048-4096, vLLM's is --max-model-len).",
    )
    llm_timeout_seconds: float = Field(
        60.0, gt=0, le=3600,
        description="How long the openai endpoint may stay silent (connecting, before the first token, between "
        "tokens) before the answer falls back to the extractive backend.",
    )


class IngestSettings(_Group):
    """How sources become chunks: chunk sizes (in the embedding model's word pieces) and per-file budgets."""

    chunk_tokens: int = Field(200, ge=32, le=250)
    chunk_overlap_tokens: int = Field(30, ge=0, le=120)
    # A file over either budget is refused with its reason; the rest of the run goes on.
    max_chunks_per_file: int = Field(20_000, ge=1, description="Most chunks one file may become.")
    max_file_seconds: float = Field(
        600.0, gt=0, description="Most seconds of parsing, chunking and embedding one file may take."
    )

    @model_validator(mode="after")
    def _overlap_below_half(self) -> IngestSettings:
        if self.chunk_overlap_tokens >= self.chunk_tokens // 2:
            raise ConfigError(
                f"POLICYCHAT_CHUNK_OVERLAP_TOKENS={self.chunk_overlap_tokens} must be less than "
                f"half of POLICYCHAT_CHUNK_TOKENS={self.chunk_tokens}."
            )
        return self


class RetrievalSettings(_Group):
    """Hybrid retrieval: pool sizes, the per-source cap, Chinese BM25 words, exact dense search."""

    top_k: int = Field(8, ge=1, le=50)
    candidates: int = Field(40, ge=5, le=400, description="Per-retriever pool before fusion.")
    per_source_cap: int = Field(4, ge=1, le=50, description="Max passages of one source in top_k.")
    chinese_tokens: Literal["ngrams", "words", "both"] = Field(
        "words", description="How BM25 indexes Chinese: segmented words (rjieba with the library's own vocabulary), "
        "character unigrams + bigrams, or both.",
    )
    exact_search_max_chunks: int = Field(
        50_000, ge=0, description="Up to this many chunks, dense search is exact (numpy over every vector) and "
        "therefore identical for identical ingests; above it, Chroma's approximate HNSW index answers.",
    )


class AnswerSettings(_Group):
    """Answering: the backend, the selector and when it answers, the LLM's reply budget, and the longest question."""

    generator: str = Field("extractive", description="Default answer backend.")
    selector_model: Path | None = Field(
        None, description="The answer selector's model file (default: the packaged assistant/core/"
        "selector_model.json; `policychat eval train-selector --out FILE` writes one for your own library).",
    )
    answer_threshold: float | None = Field(
        None, ge=0.0, le=1.0, description="Answer a part whose selector score reaches this (default: the model's "
        "own threshold, chosen on the dev split). Lower answers more and refuses less; higher refuses more.",
    )
    llm_max_tokens: int = Field(384, ge=16, le=8192)
    llm_temperature: float = Field(0.1, ge=0.0, le=2.0)
    llm_fallback: bool = Field(
        True, description="Answer with the extractive backend when an LLM fails, times out, or loses most of its "
        "sentences in verification (false: report the failure instead).",
    )
    max_question_chars: int = Field(2000, ge=10)


class ServerSettings(_Group):
    """Serving the UI and API: address, keys, upload size, threads, log level."""

    host: str = Field("127.0.0.1")
    port: int = Field(8000, ge=1, le=65535)
    api_key: str | None = Field(None, description="Required for uploads/deletes when set.")
    api_key_reads: bool = Field(
        False, description="Require the API key on every /v1 route, reads included (answers, chat completions, "
        "models, sources), and on the MCP endpoint /mcp, for deployments that expose the API; /healthz and /readyz "
        "stay open.",
    )
    allow_public_without_key: bool = Field(False)
    max_upload_mb: float = Field(50.0, gt=0)
    serve_torch_threads: int = Field(
        1, ge=1, le=64,
        description="Torch threads per request in the server; requests run in parallel, so 1 avoids oversubscription.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @model_validator(mode="after")
    def _keys_for_exposed_routes(self) -> ServerSettings:
        if self.api_key_reads and not self.api_key:
            raise ConfigError("POLICYCHAT_API_KEY_READS=true needs POLICYCHAT_API_KEY (the key the reads must send).")
        if self.host not in {"127.0.0.1", "localhost", "::1"} and not (self.api_key or self.allow_public_without_key):
            raise ConfigError(
                f"Refusing to serve on {self.host} without POLICYCHAT_API_KEY; set a key or "
                "POLICYCHAT_ALLOW_PUBLIC_WITHOUT_KEY=true."
            )
        return self


GROUPS: dict[str, type[_Group]] = {
    "store": StoreSettings,
    "models": ModelSettings,
    "ingest": IngestSettings,
    "retrieval": RetrievalSettings,
    "answer": AnswerSettings,
    "server": ServerSettings,
}
# Each flat field name (the part of its variable after the prefix) -> the group that holds it.
FIELD_GROUPS: dict[str, str] = {name: group for group, model in GROUPS.items() for name in model.model_fields}
if len(FIELD_GROUPS) != sum(len(model.model_fields) for model in GROUPS.values()):
    raise RuntimeError("a settings field name appears in two groups: its POLICYCHAT_ variable would be ambiguous")


class _FlatVariables(PydanticBaseSettingsSource):
    """Reads each group field from its own flat variable (``POLICYCHAT_TOP_K``), from ``inner``'s mapping.

    ``inner`` is pydantic-settings' environment or ``.env`` source, which has already loaded
    the (lower-cased) variables; this source only picks the ones named after a group field.
    """

    def __init__(self, settings_cls: type[BaseSettings], inner: PydanticBaseSettingsSource) -> None:
        super().__init__(settings_cls)
        self._variables: Mapping[str, str | None] = getattr(inner, "env_vars", {})

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        prefix = ENV_PREFIX.lower()
        # Grouped here, so that a group given whole as a keyword argument replaces these values.
        return _grouped({
            name: value
            for name in FIELD_GROUPS
            if (value := self._variables.get(prefix + name)) is not None
        })


def _grouped(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with its flat field names moved into their groups (a flat value wins over the group's own)."""
    grouped = {key: value for key, value in data.items() if key not in FIELD_GROUPS}
    for name, value in data.items():
        if (group := FIELD_GROUPS.get(name)) is None:
            continue
        current = grouped.get(group) or {}
        if isinstance(current, BaseModel):
            current = current.model_dump()
        grouped[group] = {**current, name: value}
    return grouped


class Settings(BaseSettings):
    """Settings for ingestion, retrieval, generation and serving, in six groups."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", extra="ignore", validate_default=True
    )

    store: StoreSettings = Field(default_factory=StoreSettings)
    models: ModelSettings = Field(default_factory=ModelSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Keyword arguments first, then ``POLICYCHAT_*`` variables, then ``.env``: all with flat names."""
        return (
            init_settings,
            _FlatVariables(settings_cls, env_settings),
            _FlatVariables(settings_cls, dotenv_settings),
        )

    @model_validator(mode="before")
    @classmethod
    def _group_flat_names(cls, data: Any) -> Any:
        return _grouped(data) if isinstance(data, dict) else data

    @model_validator(mode="after")
    def _check_combinations(self) -> Settings:
        return _check_across_groups(self)

    def replace(self, **changes: Any) -> Settings:
        """A validated copy with ``changes`` applied, by flat field name (``top_k=3``, ``chroma_host=None``).

        The environment is not read again. Raises :class:`ConfigError` for a name that is no
        setting, or for a value the field or a combination rule refuses.
        """
        unknown = sorted(set(changes) - set(FIELD_GROUPS))
        if unknown:
            raise ConfigError(f"no such setting: {', '.join(unknown)}")
        values = _grouped({**self.model_dump(), **changes})
        try:
            # Group by group: validating Settings itself would run BaseSettings.__init__ and read the variables.
            groups = {name: model.model_validate(values[name]) for name, model in GROUPS.items()}
        except ValidationError as exc:
            raise _config_error(exc) from None
        return _check_across_groups(self.model_copy(update=groups))


def _check_across_groups(settings: Settings) -> Settings:
    """``settings`` when the rules that span groups hold; else :class:`ConfigError` naming the variables."""
    if settings.answer.generator == "openai" and not settings.models.llm_base_url:
        raise ConfigError(
            "POLICYCHAT_GENERATOR=openai needs POLICYCHAT_LLM_BASE_URL "
            "(e.g. http://127.0.0.1:8080/v1 for a llama.cpp or vLLM server)."
        )
    return settings


def _config_error(exc: ValidationError) -> ConfigError:
    """One :class:`ConfigError` naming the ``POLICYCHAT_*`` variable of each field ``exc`` refused."""
    problems = []
    for error in exc.errors():
        name = str(error["loc"][-1]) if error["loc"] else "settings"
        variable = ENV_PREFIX + name.upper() if name in FIELD_GROUPS else name
        problems.append(f"{variable}: {error['msg']} (got {error.get('input')!r})")
    return ConfigError("invalid settings: " + "; ".join(problems))


def load_settings(**overrides: Any) -> Settings:
    """Settings from ``overrides`` (flat names), the environment and ``.env``.

    Raises :class:`ConfigError` naming each ``POLICYCHAT_*`` variable whose value is refused,
    instead of pydantic's multi-line report.
    """
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise _config_error(exc) from None


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings, read once from the environment (see :func:`load_settings`)."""
    return load_settings()


def quiet_network_clients() -> None:
    """Switch off telemetry and hub look-ups that would stall on a closed network.

    Called at every entry point (CLI, server) before the libraries are imported.
    """
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
