"""Ingestion end to end: find files → load → metadata → chunk → sentence roles → embed → store → relations.

:func:`ingest_paths` is the one entry point (the CLI and the upload jobs call it).
It is incremental: a file whose content hash (bytes + catalog row + sidecar) is
unchanged is skipped without embedding; a changed file replaces exactly its old
chunks; with ``prune`` sources whose files are gone from the given folders are
removed. A bad file, or one over its budget (``POLICYCHAT_MAX_CHUNKS_PER_FILE``,
``POLICYCHAT_MAX_FILE_SECONDS``), is reported with a one-line reason and the rest go on.

Every stage takes time linear in the size of its input (``tests/ingest/test_scaling.py``),
and repeated chunks of a file are embedded once (:mod:`ingest.batches`). A run can be
cancelled through its :class:`~ingest.progress.IngestControl`: what it had not committed
is dropped, so no source is ever stored in part. With ``atomic=True`` (upload jobs) the
whole run is committed in one catalog transaction at its end, so a cancel or a crash
leaves the library exactly as it was; otherwise (the CLI) each batch of files is
committed as soon as it is embedded, so a long run keeps what it finished.

Each source's document card (:mod:`ingest.cards`) is built from its chunks and staged
sentence vectors as it is committed, and stored in the same catalog transaction; the
relations between sources (:mod:`ingest.relations`) are rebuilt once at the end of a
run that changed the catalog.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ingest.batches import BatchEmbedder, PendingFile
from ingest.cards import Card, build_card
from ingest.chunk import chunk_source
from ingest.discover import FileError, discover_files
from ingest.embed import load_token_counter
from ingest.library import Library
from ingest.loaders import load_document
from ingest.metadata import catalog_row_for, read_catalog, resolve_source_meta, slugify
from ingest.models import Source
from ingest.progress import FileBudget, FileStatus, IngestControl
from ingest.roles import tag_chunks
from policychat.errors import IngestCancelledError, IngestError, PolicychatError

__all__ = ["FileError", "IngestReport", "discover_files", "ingest_paths"]

log = logging.getLogger(__name__)

EMBED_BATCH_CHUNKS = 512
STORE_GROUP_MAX = 64  # sources stored with one vector write
STORE_STEPS = 16  # a batch of embedded sources is stored in at least this many steps when it can be
PIPELINE_VERSION = "22"  # bump when loaders, clean-up, sentence splitting or chunking change their output


@dataclass
class IngestReport:
    """Outcome of one ingest run, with the figures the CLI prints."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    chunks_embedded: int = 0  # distinct chunks run through the model
    duplicate_chunks: int = 0
    pages: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0
    cancelled: bool = False
    files: list[FileStatus] = field(default_factory=list)

    @property
    def chunks_per_second(self) -> float:
        """Embedded chunks per wall-clock second of the whole run."""
        return self.chunks_embedded / self.seconds if self.seconds else 0.0

    @property
    def ingested(self) -> list[str]:
        """Ids added or updated in this run."""
        return self.added + self.updated


ProgressCallback = Callable[[str, int, int], None]
"""Called as (stage, done, total) with stage "parse" or "embed"."""


def _content_hash(path: Path, catalog_row: dict[str, str], overrides: dict[str, Any] | None, recipe: str) -> str:
    """Hash of everything that decides a source's chunks: bytes, metadata, and the chunking recipe."""
    digest = hashlib.sha256(recipe.encode())
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    for sidecar in (path.with_name(path.name + ".meta.json"), path.with_suffix(".meta.json")):
        if sidecar.is_file():
            digest.update(sidecar.read_bytes())
    digest.update(json.dumps([catalog_row, overrides or {}], sort_keys=True).encode())
    return digest.hexdigest()


def ingest_paths(
    library: Library,
    paths: list[Path],
    *,
    prune: bool = False,
    overrides: dict[Path, dict[str, Any]] | None = None,
    progress: ProgressCallback | None = None,
    control: IngestControl | None = None,
    atomic: bool = False,
) -> IngestReport:
    """Ingest files and folders into ``library``.

    Args:
        library: the open library to write.
        paths: files and/or folders; a folder's ``catalog.csv`` supplies metadata.
        prune: also remove catalogued sources whose file lived in one of the given
            folders and is gone now (not done when the run is cancelled).
        overrides: per-file explicit metadata (e.g. from an upload form).
        progress: optional callback for progress bars.
        control: per-file progress for watchers, and the cancel flag.
        atomic: commit the whole run at its end in one catalog transaction.

    Returns:
        An :class:`IngestReport`; file errors are collected there, not raised, and a
        cancelled run returns with ``cancelled`` set.

    Raises:
        StorageFullError, IndexUnavailableError: the stores cannot be written (nothing
            uncommitted is kept).
    """
    started = time.perf_counter()
    run = _Run(library, control or IngestControl(), progress, atomic)
    files, errors = discover_files(paths)
    run.report.errors = errors
    run.control.start([FileStatus(str(path)) for path in files]
                      + [FileStatus(e.path, state="failed", reason=e.reason) for e in errors])
    run.report.files = run.control.files
    with library.write_lock():
        library.repair_locked()
        try:
            run.parse_and_embed(files, overrides or {})
            run.commit()
        except IngestCancelledError:
            run.cancelled()
        except BaseException:
            run.unfinished("failed", "not stored: the run stopped early (an error, or a second Ctrl-C)")
            raise
        finally:
            run.discard_staged()
        report = run.report
        if prune and not report.cancelled:
            report.removed = _prune(library, paths, run.seen_ids)
        if report.added or report.updated or report.removed:
            library.sentence_vectors.prune()
            library.cards.prune()
        library.sync_keyword_index()
        library.relations()  # computed once per catalog generation, stored beside the catalog
    report.seconds = time.perf_counter() - started
    return report


class _Run:
    """The state of one ingest run between its files: pending files, the embedder, the report."""

    def __init__(self, library: Library, control: IngestControl, progress: ProgressCallback | None,
                 atomic: bool) -> None:
        self.library = library
        self.control = control
        self.progress = progress
        self.atomic = atomic
        self.id = uuid.uuid4().hex
        self.report = IngestReport()
        settings = library.settings
        self.budget = FileBudget.from_settings(settings)
        self.embedder = BatchEmbedder(library, control, self.budget, self.id, progress)
        # A new parser/chunker version or chunk size re-ingests everything once.
        self.recipe = (f"{PIPELINE_VERSION}:{settings.ingest.chunk_tokens}:{settings.ingest.chunk_overlap_tokens}:"
                       f"{settings.models.embedding_model}")
        self.known_hashes: dict[str, str] = {}  # read once the run holds the write lock and has repaired
        self.seen_ids: dict[str, str] = {}
        self.catalogs: dict[Path, dict[str, dict[str, str]]] = {}
        self.pending: list[PendingFile] = []  # parsed, not embedded yet
        self.embedded: list[PendingFile] = []  # embedded, not committed yet

    def parse_and_embed(self, files: list[Path], overrides: dict[Path, dict[str, Any]]) -> None:
        """Parse and chunk every file, embedding (and, unless atomic, committing) every 512 chunks or so."""
        self.known_hashes = self.library.catalog.hashes()
        statuses = self.control.files
        pending_chunks = 0
        for done, (path, status) in enumerate(zip(files, statuses, strict=False), start=1):
            self.control.check()
            if self.progress:
                self.progress("parse", done, len(files))
            item = self._parse(path, status, overrides.get(path))
            if item is not None:
                self.pending.append(item)
                pending_chunks += len(item.chunks)
            if pending_chunks >= EMBED_BATCH_CHUNKS:
                self._embed_pending()
                pending_chunks = 0
        self._embed_pending()

    def _parse(self, path: Path, status: FileStatus, extra: dict[str, Any] | None) -> PendingFile | None:
        """Load, check and chunk one file; None when it is unchanged or refused (recorded in its status)."""
        started = time.perf_counter()
        self.control.update(status, state="parsing")
        try:
            return self._parse_file(path, status, extra, started)
        except PolicychatError as exc:
            reason = getattr(exc, "reason", str(exc))
        except (OSError, MemoryError, RecursionError) as exc:
            reason = f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # a parser bug on hostile input must not stop the other files
            message = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
            reason = f"could not be parsed (internal error, {message})"
        self.report.errors.append(FileError(str(path), reason))
        self.control.update(status, state="failed", reason=reason, seconds=time.perf_counter() - started)
        return None

    def _parse_file(self, path: Path, status: FileStatus, extra: dict[str, Any] | None,
                    started: float) -> PendingFile | None:
        folder = path.parent
        if folder not in self.catalogs:
            self.catalogs[folder] = read_catalog(folder)
        row = catalog_row_for(path, self.catalogs[folder])
        content_hash = _content_hash(path, row, extra, self.recipe)
        # Cheap skip: the id is known and the hash matches.
        candidate_id = row.get("id") or (extra or {}).get("id") or slugify(path.stem)
        if self.known_hashes.get(candidate_id) == content_hash:
            self._unchanged(candidate_id, path, status, started)
            return None
        doc = load_document(path)
        meta = resolve_source_meta(path, doc, row, extra)
        if meta.id in self.seen_ids:
            raise IngestError(f"source id {meta.id!r} is already used by {self.seen_ids[meta.id]}", str(path))
        self.seen_ids[meta.id] = str(path)
        if self.known_hashes.get(meta.id) == content_hash:
            self._unchanged(meta.id, path, status, started)
            return None
        self.control.update(status, source_id=meta.id, pages=len(doc.pages))
        self.budget.check_seconds(time.perf_counter() - started, str(path), "while parsing")
        source = Source(meta=meta, text=doc.text, content_hash=content_hash, pages=doc.pages, headings=doc.headings)
        # The tokenizer loads only when something needs chunking (an unchanged re-run skips it).
        settings = self.library.settings
        loading = time.perf_counter()
        count = load_token_counter(settings.models.embedding_model)
        started += time.perf_counter() - loading  # loading the tokenizer (once per process) is not this file's time
        chunks = tag_chunks(source, chunk_source(
            source, count, settings.ingest.chunk_tokens, settings.ingest.chunk_overlap_tokens))
        if not chunks:
            raise IngestError("no text left after clean-up", str(path))
        self.budget.check_chunks(len(chunks), str(path))
        seconds = time.perf_counter() - started
        self.budget.check_seconds(seconds, str(path), f"while parsing and cutting {len(chunks):,} chunks")
        self.report.pages += len(doc.pages)
        self.control.update(status, chunks=len(chunks), seconds=seconds)
        return PendingFile(status, source, str(path.resolve()), chunks, meta.id in self.known_hashes)

    def _unchanged(self, source_id: str, path: Path, status: FileStatus, started: float) -> None:
        self.report.unchanged.append(source_id)
        self.seen_ids[source_id] = str(path)
        self.control.update(status, state="unchanged", source_id=source_id, seconds=time.perf_counter() - started)

    def _embed_pending(self) -> None:
        """Embed the parsed files; keep the ones that stayed within budget for the commit."""
        if not self.pending:
            return
        items, self.pending = self.pending, []
        self.embedder.embed(items)
        for item in items:
            if item.refused is not None:
                self.report.errors.append(FileError(item.status.path, item.refused.reason))
            else:
                self.embedded.append(item)
        if not self.atomic:
            self.commit()

    def commit(self) -> None:
        """Store the embedded files in crash-safe order: see :meth:`Library.put_sources`.

        Unless atomic, in several groups of sources (one vector write and one catalog
        transaction each), so that an interrupted run keeps most of its work.
        """
        items, self.embedded = self.embedded, []
        if not items:
            return
        group_size = len(items) if self.atomic else min(STORE_GROUP_MAX, max(1, len(items) // STORE_STEPS))
        for first in range(0, len(items), group_size):
            group = items[first : first + group_size]
            for item in group:
                self.control.update(item.status, state="storing")
            vectors = np.stack([v for item in group for v in item.vectors if v is not None])
            cards = [(self._card(item), item.source.content_hash) for item in group]
            self.library.put_sources([(item.source, item.path, item.chunks) for item in group], vectors,
                                     staged_run=self.id, cards=cards)
            for item in group:
                (self.report.updated if item.is_update else self.report.added).append(item.source.id)
                self.report.duplicate_chunks += item.status.duplicate_chunks
                self.control.update(item.status, state="updated" if item.is_update else "added")
        self.report.chunks_embedded = self.embedder.chunks_embedded
        self.report.embed_seconds = self.embedder.embed_seconds

    def _card(self, item: PendingFile) -> Card:
        """The card of an embedded file (see :func:`build_staged_card`)."""
        self.control.check()
        return build_staged_card(self.library, self.id, item)

    def discard_staged(self) -> None:
        """Drop what this run staged and did not commit (best effort: the next repair drops it anyway)."""
        try:
            self.library.sentence_vectors.discard_staged(self.id)
        except PolicychatError as exc:  # e.g. a full disk, while the original error propagates
            log.warning("could not drop the staged sentence vectors of run %s: %s", self.id, exc)

    def cancelled(self) -> None:
        """Record a cancel: files not committed are marked cancelled (their staged vectors are dropped later)."""
        self.report.cancelled = True
        self.report.chunks_embedded = self.embedder.chunks_embedded
        self.report.embed_seconds = self.embedder.embed_seconds
        self.unfinished("cancelled", "cancelled before it was stored")

    def unfinished(self, state: str, reason: str) -> None:
        """Give every file that has no final state yet this one (the run ended early)."""
        for status in self.control.files:
            if status.state in ("queued", "parsing", "embedding", "storing"):
                self.control.update(status, state=state, reason=reason)


def build_staged_card(library: Library, run_id: str, item: PendingFile) -> Card:
    """The card of a file embedded by run ``run_id``, from its chunks' roles and its staged sentence vectors."""
    vectors = library.sentence_vectors.staged(run_id, [c.chunk_id for c in item.chunks])
    return build_card(item.source.meta, item.chunks, vectors)


def _prune(library: Library, paths: list[Path], seen_ids: dict[str, str]) -> list[str]:
    folders = [p.resolve() for p in paths if p.is_dir()]
    removed: list[str] = []
    for record in library.catalog.records():
        if record.meta.id in seen_ids:
            continue
        file_path = Path(record.path)
        in_folder = any(folder == file_path.parent or folder in file_path.parents for folder in folders)
        if in_folder and not file_path.exists():
            library.remove_source_locked(record.meta.id)
            removed.append(record.meta.id)
    return removed
