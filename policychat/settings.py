"""All configuration of policychat, in one pydantic-settings class.

Every field can be set from the environment with the ``POLICYCHAT_`` prefix
(``POLICYCHAT_DATA_DIR``, ``POLICYCHAT_CHROMA_HOST``, ...) or from a ``.env``
file in the working directory. Nothing is read at import time: call
:func:`get_settings` (cached) or build ``Settings(...)`` explicitly and pass it on.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from policychat.errors import ConfigError

DEFAULT_SHARED_CORPUS = Path("../shared/corpus")


def _default_sources() -> Path | None:
    """The shared corpus beside the repository when it exists, else nothing."""
    return DEFAULT_SHARED_CORPUS if DEFAULT_SHARED_CORPUS.is_dir() else None


class Settings(BaseSettings):
    """Settings for ingestion, retrieval, generation and serving."""

    model_config = SettingsConfigDict(
        env_prefix="POLICYCHAT_", env_file=".env", extra="ignore", validate_default=True
    )

    # Storage
    data_dir: Path = Field(Path("data"), description="Index, catalog and extracted texts.")
    sources: Path | None = Field(
        default_factory=_default_sources,
        description="Default folder ingested by `policychat ingest` with no paths.",
    )
    collection: str = Field("policychat", description="Chroma collection name.")
    chroma_host: str | None = Field(None, description="Chroma server host; unset = embedded.")
    chroma_port: int = Field(8000, ge=1, le=65535)

    # Embedding
    embedding_model: str | None = Field(
        None, description="Sentence-transformers model dir; unset = packaged all-MiniLM-L6-v2."
    )
    embedding_batch_size: int = Field(64, ge=1, le=1024)

    # Chunking (in word pieces of the embedding model's tokenizer)
    chunk_tokens: int = Field(200, ge=32, le=250)
    chunk_overlap_tokens: int = Field(30, ge=0, le=120)

    # Per-file ingest budgets: a file over either is refused with its reason; the rest of the run goes on.
    max_chunks_per_file: int = Field(20_000, ge=1, description="Most chunks one file may become.")
    max_file_seconds: float = Field(
        600.0, gt=0, description="Most seconds of parsing, chunking and embedding one file may take."
    )

    # Retrieval
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
    abstain_threshold: float = Field(
        0.15, ge=0.0, le=1.0, description="Evidence strength below which the assistant abstains."
    )
    abstain_missing_name_threshold: float = Field(
        0.5, ge=0.0, le=1.0,
        description="Strength needed when a name or number of the question appears in no passage.",
    )

    # Generation
    generator: str = Field("extractive", description="Default answer backend.")
    local_model_path: str | None = Field(None, description="GGUF file; unset = packaged SmolLM2.")
    llm_base_url: str | None = Field(None, description="OpenAI-compatible endpoint base URL.")
    llm_model: str = Field("gpt-4o-mini")
    llm_api_key: str | None = Field(None)
    llm_max_tokens: int = Field(384, ge=16, le=8192)
    llm_temperature: float = Field(0.1, ge=0.0, le=2.0)
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
    llm_fallback: bool = Field(
        True, description="Answer with the extractive backend when an LLM fails, times out, or loses most of its "
        "sentences in verification (false: report the failure instead).",
    )

    # Serving
    host: str = Field("127.0.0.1")
    port: int = Field(8000, ge=1, le=65535)
    api_key: str | None = Field(None, description="Required for uploads/deletes when set.")
    api_key_reads: bool = Field(
        False, description="Require the API key on every /v1 route, reads included (answers, chat completions, "
        "models, sources), for deployments that expose the API; /healthz and /readyz stay open.",
    )
    allow_public_without_key: bool = Field(False)
    max_question_chars: int = Field(2000, ge=10)
    max_upload_mb: float = Field(50.0, gt=0)

    serve_torch_threads: int = Field(
        1, ge=1, le=64,
        description="Torch threads per request in the server; requests run in parallel, so 1 avoids oversubscription.",
    )
    replica_sync_seconds: float = Field(
        5.0, ge=0,
        description="Chroma server mode: a server re-syncs its local catalog and BM25 index from the Chroma server "
        "at most this often, before a read (0 = never).",
    )

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @model_validator(mode="after")
    def _check_combinations(self) -> Settings:
        if self.chunk_overlap_tokens >= self.chunk_tokens // 2:
            raise ConfigError(
                f"POLICYCHAT_CHUNK_OVERLAP_TOKENS={self.chunk_overlap_tokens} must be less than "
                f"half of POLICYCHAT_CHUNK_TOKENS={self.chunk_tokens}."
            )
        if self.generator == "openai" and not self.llm_base_url:
            raise ConfigError(
                "POLICYCHAT_GENERATOR=openai needs POLICYCHAT_LLM_BASE_URL "
                "(e.g. http://127.0.0.1:8080/v1 for a llama.cpp or vLLM server)."
            )
        if self.api_key_reads and not self.api_key:
            raise ConfigError("POLICYCHAT_API_KEY_READS=true needs POLICYCHAT_API_KEY (the key the reads must send).")
        if self.host not in {"127.0.0.1", "localhost", "::1"} and not (
            self.api_key or self.allow_public_without_key
        ):
            raise ConfigError(
                f"Refusing to serve on {self.host} without POLICYCHAT_API_KEY; set a key or "
                "POLICYCHAT_ALLOW_PUBLIC_WITHOUT_KEY=true."
            )
        return self

    @property
    def uses_chroma_server(self) -> bool:
        """True when a Chroma server is configured instead of the embedded store."""
        return bool(self.chroma_host)


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings, read once from the environment."""
    return Settings()


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
