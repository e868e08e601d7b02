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
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import IngestError, PolicychatError
from ingest.cards import build_card
from ingest.chunk import chunk_source
from ingest.embed import load_token_counter
from ingest.library import Library
from ingest.loaders import load_document
from ingest.metadata import CATALOG_NAME, catalog_row_for, read_catalog, resolve_source_meta, slugify
from ingest.models import Chunk, Source
from ingest.roles import tag_chunks
from ingest.sentence_vectors import pool_chunk_sentences

EMBED_BATCH_CHUNKS = 512
STORE_GROUP_MAX = 64  # sources stored with one vector write
STORE_STEPS = 16  # a batch of embedded sources is stored in at least this many steps when it can be
PIPELINE_VERSION = "20"  # bump when loaders, clean-up, sentence splitting or chunking change their output


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
    """Expand folders (recursively, skipping hidden files and metadata files) into files.

    Folders are walked without recursion, so any depth works. Inside a folder, a
    symbolic link is followed only when its target lies in the same folder; links
    that point outside it, broken links and special files (pipes, devices) are
    reported, never opened. A path given directly is used as it is.

    Returns:
        The files in path order, and one error per path that cannot be used.
    """
    files: list[Path] = []
    errors: list[FileError] = []
    for path in paths:
        if "\x00" in str(path):
            errors.append(FileError(str(path), "invalid path: the name contains a NUL byte"))
        elif not _utf8_name(path):
            errors.append(FileError(str(path), NOT_UTF8_NAME))
        elif path.is_dir():
            found, problems = _walk_folder(path)
            files.extend(found)
            errors.extend(problems)
        elif path.is_file():
            files.append(path)
        elif path.is_symlink():
            errors.append(FileError(str(path), "broken symbolic link (its target is missing or it loops)"))
        elif path.exists():
            errors.append(FileError(str(path), "not a regular file (a pipe, socket or device)"))
        else:
            errors.append(FileError(str(path), "no such file or folder"))
    return files, errors


NOT_UTF8_NAME = "file name is not valid UTF-8 (rename the file)"


def _utf8_name(path: Path) -> bool:
    """False for a path holding bytes that are not UTF-8 (Python carries them as lone surrogates)."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _walk_folder(folder: Path) -> tuple[list[Path], list[FileError]]:
    """The ingestible files under ``folder`` (sorted) and the entries that were refused."""
    root = folder.resolve()
    files: list[Path] = []
    errors: list[FileError] = []
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as scan:
                entries = list(scan)
        except OSError as exc:
            errors.append(FileError(str(current), f"cannot read folder ({exc.strerror or exc})"))
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue  # hidden files and folders
            child = current / entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(child)
                    continue
                if entry.is_symlink():
                    try:
                        target = child.resolve(strict=True)
                    except (OSError, RuntimeError):
                        errors.append(FileError(str(child), "broken symbolic link (its target is missing or it loops)"))
                        continue
                    if not target.is_relative_to(root):
                        errors.append(FileError(
                            str(child),
                            f"symbolic link points outside the folder being ingested (to {target}); "
                            "ingest the target itself if it belongs in the library",
                        ))
                        continue
                    if target.is_dir():
                        continue  # its files are reached through the folder itself
                is_file = entry.is_file()
            except OSError as exc:
                errors.append(FileError(str(child), f"cannot read ({exc.strerror or exc})"))
                continue
            if not is_file:
                errors.append(FileError(str(child), "not a regular file (a pipe, socket or device)"))
            elif not _utf8_name(child):
                errors.append(FileError(str(child), NOT_UTF8_NAME))
            elif not _is_folder_metadata(child):
                files.append(child)
    return sorted(files), errors


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
        pending_chunks = 0
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
                chunks = tag_chunks(
                    source, chunk_source(source, count, settings.chunk_tokens, settings.chunk_overlap_tokens)
                )
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
            except Exception as exc:  # a parser bug on hostile input must not stop the other files
                message = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
                report.errors.append(FileError(str(path), f"could not be parsed (internal error, {message})"))
                continue
            pending_chunks += len(pending[-1].chunks)
            if pending_chunks >= EMBED_BATCH_CHUNKS:
                _embed_and_store(library, pending, report, progress)
                pending, pending_chunks = [], 0
        if pending:
            _embed_and_store(library, pending, report, progress)
        if prune:
            report.removed = _prune(library, paths, seen_ids)
        if report.added or report.updated or report.removed:
            library.sentence_vectors.prune()
            library.cards.prune()
        library.sync_keyword_index()
        library.relations()  # computed once per catalog generation, stored beside the catalog
    report.seconds = time.perf_counter() - started
    return report


def _embed_and_store(
    library: Library, pending: list[_Pending], report: IngestReport, progress: ProgressCallback | None
) -> None:
    texts = [c.embed_text for p in pending for c in p.chunks]
    if progress:
        progress("embed", report.chunks_embedded, report.chunks_embedded + len(texts))
    t0 = time.perf_counter()
    chunks = [c for p in pending for c in p.chunks]
    vectors, sentence_vectors = pool_chunk_sentences(library.embeddings, chunks)
    report.embed_seconds += time.perf_counter() - t0
    report.chunks_embedded += len(texts)
    if progress:
        progress("embed", report.chunks_embedded, report.chunks_embedded)
    # Stored in groups: one vector write per group instead of per source (the per-call cost of
    # Chroma dominates for small files), yet in several steps, so an interrupted run keeps most of its work.
    group_size = min(STORE_GROUP_MAX, max(1, len(pending) // STORE_STEPS))
    offset = 0
    for first in range(0, len(pending), group_size):
        group = pending[first : first + group_size]
        n = sum(len(item.chunks) for item in group)
        library.put_sources([(item.source, item.path, item.chunks) for item in group], vectors[offset : offset + n])
        stored = list(zip(chunks[offset : offset + n], sentence_vectors[offset : offset + n], strict=True))
        library.sentence_vectors.put((c.chunk_id, v) for c, v in stored)
        vectors_by_chunk = {c.chunk_id: v for c, v in stored}
        library.cards.put(
            (build_card(item.source.meta, item.chunks, vectors_by_chunk), item.source.content_hash) for item in group
        )
        offset += n
        for item in group:
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
            library.remove_source_locked(record.meta.id)
            removed.append(record.meta.id)
    return removed
