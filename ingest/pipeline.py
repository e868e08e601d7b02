"""Ingestion end to end: find files → load → metadata → chunk → embed → store.

:func:`ingest_paths` is the one entry point (the CLI and the upload API call it).
It is incremental: a file whose content hash (bytes + catalog row + sidecar) is
unchanged is skipped without embedding; a changed file replaces exactly its old
chunks; with ``prune`` sources whose files are gone from the given folders are
removed. A bad file is reported with a one-line reason and the rest go on.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import IngestError, PolicychatError
from ingest.chunk import chunk_source
from ingest.embed import load_token_counter
from ingest.library import Library
from ingest.loaders import load_document
from ingest.metadata import CATALOG_NAME, catalog_row_for, read_catalog, resolve_source_meta, slugify
from ingest.models import Chunk, Source

EMBED_BATCH_CHUNKS = 512
PIPELINE_VERSION = "3"  # bump when loaders, clean-up, sentence splitting or chunking change their output


@dataclass
class FileError:
    """One file that could not be ingested, and why (one line)."""

    path: str
    reason: str


@dataclass
class IngestReport:
    """Outcome of one ingest run, with the figures the CLI prints."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    chunks_embedded: int = 0
    pages: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0

    @property
    def chunks_per_second(self) -> float:
        """Embedded chunks per wall-clock second of the whole run."""
        return self.chunks_embedded / self.seconds if self.seconds else 0.0

    @property
    def ingested(self) -> list[str]:
        """Ids added or updated in this run."""
        return self.added + self.updated


@dataclass
class _Pending:
    source: Source
    path: str
    chunks: list[Chunk]
    is_update: bool


ProgressCallback = Callable[[str, int, int], None]
"""Called as (stage, done, total) with stage "parse" or "embed"."""


def _is_folder_metadata(path: Path) -> bool:
    """Catalogs, sidecars, and the README that describes a catalogued folder."""
    if path.name == CATALOG_NAME or path.name.endswith(".meta.json"):
        return True
    return path.name.lower() == "readme.md" and (path.parent / CATALOG_NAME).is_file()


def discover_files(paths: Iterable[Path]) -> tuple[list[Path], list[FileError]]:
    """Expand folders (recursively, skipping hidden files and metadata files) into files."""
    files: list[Path] = []
    errors: list[FileError] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel_parts = child.relative_to(path).parts
                if any(part.startswith(".") for part in rel_parts) or not child.is_file():
                    continue
                if _is_folder_metadata(child):
                    continue
                files.append(child)
        elif path.is_file():
            files.append(path)
        else:
            errors.append(FileError(str(path), "no such file or folder"))
    return files, errors


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
) -> IngestReport:
    """Ingest files and folders into ``library``.

    Args:
        library: the open library to write.
        paths: files and/or folders; a folder's ``catalog.csv`` supplies metadata.
        prune: also remove catalogued sources whose file lived in one of the given
            folders and is gone now.
        overrides: per-file explicit metadata (e.g. from an upload form).
        progress: optional callback for progress bars.

    Returns:
        An :class:`IngestReport`; errors are collected there, not raised.
    """
    started = time.perf_counter()
    report = IngestReport()
    settings = library.settings
    files, report.errors = discover_files(paths)
    catalogs: dict[Path, dict[str, dict[str, str]]] = {}
    # A new parser/chunker version or chunk size re-ingests everything once.
    recipe = f"{PIPELINE_VERSION}:{settings.chunk_tokens}:{settings.chunk_overlap_tokens}:{settings.embedding_model}"

    with library.write_lock():
        library.repair_locked()
        known_hashes = library.catalog.hashes()
        seen_ids: dict[str, str] = {}
        pending: list[_Pending] = []
        for done, path in enumerate(files, start=1):
            if progress:
                progress("parse", done, len(files))
            try:
                folder = path.parent
                if folder not in catalogs:
                    catalogs[folder] = read_catalog(folder)
                row = catalog_row_for(path, catalogs[folder])
                extra = (overrides or {}).get(path)
                content_hash = _content_hash(path, row, extra, recipe)
                # Cheap skip: the id is known and the hash matches.
                candidate_id = row.get("id") or (extra or {}).get("id") or slugify(path.stem)
                if known_hashes.get(candidate_id) == content_hash:
                    report.unchanged.append(candidate_id)
                    seen_ids[candidate_id] = str(path)
                    continue
                doc = load_document(path)
                meta = resolve_source_meta(path, doc, row, extra)
                if meta.id in seen_ids:
                    raise IngestError(f"source id {meta.id!r} is already used by {seen_ids[meta.id]}", str(path))
                seen_ids[meta.id] = str(path)
                if known_hashes.get(meta.id) == content_hash:
                    report.unchanged.append(meta.id)
                    continue
                source = Source(
                    meta=meta, text=doc.text, content_hash=content_hash, pages=doc.pages, headings=doc.headings
                )
                # The tokenizer loads only when something needs chunking (an unchanged re-run skips it).
                count = load_token_counter(settings.embedding_model)
                chunks = chunk_source(source, count, settings.chunk_tokens, settings.chunk_overlap_tokens)
                if not chunks:
                    raise IngestError("no text left after clean-up", str(path))
                report.pages += len(doc.pages)
                pending.append(_Pending(source, str(path.resolve()), chunks, meta.id in known_hashes))
            except PolicychatError as exc:
                report.errors.append(FileError(str(path), getattr(exc, "reason", str(exc))))
                continue
            except (OSError, MemoryError, RecursionError) as exc:
                report.errors.append(FileError(str(path), f"{type(exc).__name__}: {exc}"))
                continue
            if sum(len(p.chunks) for p in pending) >= EMBED_BATCH_CHUNKS:
                _embed_and_store(library, pending, report, progress)
                pending = []
        if pending:
            _embed_and_store(library, pending, report, progress)
        if prune:
            report.removed = _prune(library, paths, seen_ids)
        library.sync_keyword_index()
    report.seconds = time.perf_counter() - started
    return report


def _embed_and_store(
    library: Library, pending: list[_Pending], report: IngestReport, progress: ProgressCallback | None
) -> None:
    texts = [c.embed_text for p in pending for c in p.chunks]
    if progress:
        progress("embed", report.chunks_embedded, report.chunks_embedded + len(texts))
    t0 = time.perf_counter()
    vectors = library.embeddings.embed_documents(texts)
    report.embed_seconds += time.perf_counter() - t0
    report.chunks_embedded += len(texts)
    if progress:
        progress("embed", report.chunks_embedded, report.chunks_embedded)
    offset = 0
    for item in pending:
        n = len(item.chunks)
        library.put_source(item.source, item.path, item.chunks, vectors[offset : offset + n])
        offset += n
        (report.updated if item.is_update else report.added).append(item.source.id)


def _prune(library: Library, paths: list[Path], seen_ids: dict[str, str]) -> list[str]:
    folders = [p.resolve() for p in paths if p.is_dir()]
    removed: list[str] = []
    for record in library.catalog.records():
        if record.meta.id in seen_ids:
            continue
        file_path = Path(record.path)
        in_folder = any(folder == file_path.parent or folder in file_path.parents for folder in folders)
        if in_folder and not file_path.exists():
            ids = library.catalog.remove_source(record.meta.id)
            library.vectors.delete(ids)
            removed.append(record.meta.id)
    return removed
