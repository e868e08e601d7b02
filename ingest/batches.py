"""Embedding the chunks of parsed files: each distinct chunk once, within budgets, cancellable, with progress.

Chunks of one file whose title/section header and sentences are the same up to
whitespace (a padded file, tables of "[Reserved]", boilerplate repeated page
after page) have the same vector, so only the first is run through the model and
the others reuse its chunk and sentence vectors (``duplicate_chunks`` in the
report). The distinct chunks of all pending files are embedded longest first, in
batches of ``POLICYCHAT_EMBEDDING_BATCH_SIZE``; between batches the run's cancel
flag is checked, progress is counted per file, and a file whose processing time
passes ``POLICYCHAT_MAX_FILE_SECONDS`` is refused (its remaining chunks are skipped).
Sentence vectors are staged on disk under the run's id until the catalog commit.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ingest.embed import Span
from ingest.library import Library
from ingest.models import Chunk, Source
from ingest.progress import FileBudget, FileStatus, IngestControl
from ingest.sentence_vectors import SpanVectors, chunk_sentence_spans, pool_chunk_sentences
from policychat.errors import FileBudgetError, StorageFullError


@dataclass(eq=False)
class PendingFile:
    """A parsed and chunked file waiting to be embedded and stored."""

    status: FileStatus
    source: Source
    path: str
    chunks: list[Chunk]
    is_update: bool
    vectors: list[np.ndarray | None] = field(default_factory=list)
    refused: FileBudgetError | None = None

    @property
    def embedded(self) -> bool:
        """True once every chunk has its vector."""
        return bool(self.vectors) and all(v is not None for v in self.vectors)


def duplicate_key(chunk: Chunk, spans: list[Span]) -> tuple[str, tuple[str, ...]]:
    """What decides a chunk's vectors: its embedded header and its sentences, whitespace-normalised.

    The tokenizer ignores how words are spaced, so two chunks with the same key get
    the same chunk vector and the same sentence vectors (sentence by sentence).
    """
    header = chunk.embed_text[: len(chunk.embed_text) - len(chunk.text)]
    return " ".join(header.split()), tuple(" ".join(chunk.text[a:b].split()) for a, b in spans)


@dataclass
class _Copy:
    """One chunk that takes the vectors of a distinct chunk: where it lives and its own sentence spans."""

    item: PendingFile
    index: int
    spans: list[Span]


class BatchEmbedder:
    """Embeds pending files for one ingest run (see the module docstring)."""

    def __init__(self, library: Library, control: IngestControl, budget: FileBudget, run: str,
                 progress: Callable[[str, int, int], None] | None = None) -> None:
        """Bind to the library (model, sentence-vector staging), the run's control, budget, id and progress bar."""
        self.library = library
        self.control = control
        self.budget = budget
        self.run = run
        self.progress = progress
        self.embed_seconds = 0.0
        self.chunks_embedded = 0  # distinct chunks run through the model so far
        self.planned = 0  # distinct chunks planned so far

    def embed(self, items: list[PendingFile]) -> None:
        """Fill ``item.vectors`` of every file (or set ``item.refused``) and stage their sentence vectors.

        Raises:
            IngestCancelledError: the run was cancelled (checked before every batch).
        """
        distinct, copies = self._plan(items)
        self.planned += len(distinct)
        order = sorted(range(len(distinct)), key=lambda k: -len(distinct[k].item.chunks[distinct[k].index].embed_text))
        size = self.library.settings.models.embedding_batch_size
        for first in range(0, len(order), size):
            self.control.check()
            if self.progress:
                self.progress("embed", self.chunks_embedded, self.planned)
            planned = order[first : first + size]
            batch = [k for k in planned if distinct[k].item.refused is None]
            self.planned -= len(planned) - len(batch)  # chunks of refused files are skipped
            if batch:
                self._embed_batch(batch, distinct, copies)
        if self.progress:
            self.progress("embed", self.chunks_embedded, self.planned)

    def _plan(self, items: list[PendingFile]) -> tuple[list[_Copy], list[list[_Copy]]]:
        """The distinct chunks to embed, and for each the chunks (itself first) that take its vectors."""
        distinct: list[_Copy] = []
        copies: list[list[_Copy]] = []
        for item in items:
            item.vectors = [None] * len(item.chunks)
            seen: dict[tuple[str, tuple[str, ...]], int] = {}
            for index, chunk in enumerate(item.chunks):
                spans = chunk_sentence_spans(chunk)
                key = duplicate_key(chunk, spans)
                copy = _Copy(item, index, spans)
                if key in seen:
                    copies[seen[key]].append(copy)
                    continue
                seen[key] = len(distinct)
                distinct.append(copy)
                copies.append([copy])
            self.control.update(item.status, state="embedding", duplicate_chunks=len(item.chunks) - len(seen),
                                chunks_to_embed=len(seen))
        return distinct, copies

    def _embed_batch(self, batch: list[int], distinct: list[_Copy], copies: list[list[_Copy]]) -> None:
        embeddings = self.library.embeddings  # loading the model (once per process) is not the files' time
        started = time.perf_counter()
        reps = [distinct[k] for k in batch]
        vectors, pooled = pool_chunk_sentences(
            embeddings, [r.item.chunks[r.index] for r in reps], [r.spans for r in reps])
        rows: list[tuple[str, SpanVectors]] = []
        for k, vector, sentence_vectors in zip(batch, vectors, pooled, strict=True):
            matrix = np.asarray(vector, dtype=np.float32)
            rep = distinct[k]
            for copy in copies[k]:
                copy.item.vectors[copy.index] = matrix
                rows.append((copy.item.chunks[copy.index].chunk_id, _moved(sentence_vectors, rep.spans, copy.spans)))
        try:
            self.library.sentence_vectors.stage(self.run, rows)
        except StorageFullError as exc:  # name the files that could not be stored, not only the catalog
            files = ", ".join(dict.fromkeys(distinct[k].item.path for k in batch))
            raise StorageFullError(f"cannot store {files}: {exc}") from exc
        seconds = time.perf_counter() - started
        self.embed_seconds += seconds
        self.chunks_embedded += len(batch)
        per_item = Counter(distinct[k].item for k in batch)
        for item, n in per_item.items():
            self.control.add(item.status, chunks_embedded=n, seconds=seconds * n / len(batch))
            status = item.status
            try:
                self.budget.check_seconds(
                    status.seconds, item.path,
                    f"while embedding, {status.chunks_embedded:,} of {status.chunks_to_embed:,} chunks done")
            except FileBudgetError as exc:
                self.refuse(item, exc)

    def refuse(self, item: PendingFile, exc: FileBudgetError) -> None:
        """Give up on a file: skip its remaining chunks and drop what was staged for it."""
        item.refused = exc
        self.library.sentence_vectors.discard_staged(self.run, [c.chunk_id for c in item.chunks])
        self.control.update(item.status, state="failed", reason=exc.reason)


def _moved(vectors: SpanVectors, spans: list[Span], to: list[Span]) -> SpanVectors:
    """Sentence vectors keyed by the spans of an equal chunk (``to``) instead of the distinct one's (``spans``)."""
    if spans == to:
        return vectors
    return {new: vectors[old] for old, new in zip(spans, to, strict=True) if old in vectors}
