"""Evaluating new sources: draft questions for them, and index them apart from the main library.

``draft_questions`` reads documents offline, builds each one's card as an ingest
would, and drafts questions the way users ask them (:mod:`eval.user_drafts`): dates, deadlines,
amounts, who, definitions, lists, yes/no, summaries, status, one near-miss and one
question in the other language per document, each ``reviewed: false`` for a person to
review (``policychat eval review``).
With ``POLICYCHAT_LLM_BASE_URL`` set, an OpenAI-compatible model may reword them
(:mod:`eval.rewrite`). ``prepare_libraries`` builds two throw-away libraries under
``<data_dir>/eval-sources/``: the new sources alone, and a copy of the main library
plus the new sources, so the main index is never written.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from eval.dataset import GoldItem
from eval.drafting import Draft, NewDocument
from eval.user_drafts import chinese_name, draft_for_review, english_name
from ingest.cards import build_card
from ingest.chunk import chunk_source
from ingest.embed import load_token_counter
from ingest.library import Library
from ingest.loaders import load_document
from ingest.metadata import catalog_row_for, read_catalog, resolve_source_meta
from ingest.models import Source
from ingest.pipeline import IngestReport, discover_files, ingest_paths
from ingest.relations import library_relations
from ingest.roles import tag_chunks
from policychat.errors import PolicychatError
from policychat.settings import Settings, get_settings


def read_new_documents(folder: Path, known_sources: set[str], settings: Settings) -> list[NewDocument]:
    """Parse, chunk and card every document in ``folder`` whose id is not in ``known_sources`` (bad files skipped)."""
    files, _ = discover_files([folder])
    catalogs: dict[Path, dict[str, dict[str, str]]] = {}
    count = load_token_counter(settings.models.embedding_model)
    docs: list[NewDocument] = []
    for path in files:
        catalogs.setdefault(path.parent, read_catalog(path.parent))
        try:
            parsed = load_document(path)
        except PolicychatError:
            continue
        meta = resolve_source_meta(path, parsed, catalog_row_for(path, catalogs[path.parent]))
        if meta.id in known_sources or any(d.meta.id == meta.id for d in docs):
            continue
        source = Source(meta=meta, text=parsed.text, content_hash="", pages=parsed.pages, headings=parsed.headings)
        chunks = tag_chunks(source, chunk_source(
            source, count, settings.ingest.chunk_tokens, settings.ingest.chunk_overlap_tokens))
        if chunks:
            docs.append(NewDocument(meta, parsed.text, chunks, build_card(meta, chunks)))
    return docs


def draft_questions(
    folder: Path, known_sources: set[str], prefix: str = "new", settings: Settings | None = None
) -> list[GoldItem]:
    """Draft unreviewed questions for every document in ``folder`` whose id is not in ``known_sources``.

    Args:
        folder: the new documents (a ``catalog.csv`` there supplies their metadata).
        known_sources: ids the gold set already covers (skipped).
        prefix: item id prefix.
        settings: chunk sizes and the optional LLM endpoint (default: the process settings).

    Returns:
        Items of several kinds per document (see :mod:`eval.drafting`), all ``reviewed: false``, split dev.
    """
    settings = settings or get_settings()
    docs = read_new_documents(folder, known_sources, settings)
    relations = library_relations({d.meta.id: d.chunks for d in docs}, [d.meta for d in docs])
    names = {d.meta.id: english_name(d) if d.meta.language != "zh" else chinese_name(d).strip("《》") for d in docs}
    items = [item for doc in docs for item in draft_for_review(doc, prefix, relations=relations, names=names)]
    if settings.models.llm_base_url:
        from eval.rewrite import rewrite_drafts

        keep = {item.id: [name for name in names.values() if name in item.question] for item in items}
        items = [draft.item for draft in rewrite_drafts([Draft(item, keep[item.id]) for item in items], settings)]
    return items


def comparison_blocker(settings: Settings) -> str | None:
    """Why the ``whole`` scratch library cannot stand for the main library before the new sources; None if it can."""
    if settings.store.uses_chroma_server:
        return (f"the main library is on a Chroma server ({settings.store.chroma_host}:{settings.store.chroma_port}), "
                "which the scratch libraries do not copy; run against an embedded library to compare")
    if not (Path(settings.store.data_dir) / "catalog.sqlite").is_file():
        return f"the main library in {settings.store.data_dir} is empty (no catalog.sqlite); there is nothing before"
    return None


def prepare_libraries(
    settings: Settings, sources: Path, before_ingest: Callable[[str, Library], None] | None = None
) -> dict[str, tuple[Library, IngestReport]]:
    """Ingest ``sources`` into two scratch libraries: ``new`` (alone) and ``whole`` (main copy + new).

    ``before_ingest(name, library)``, when given, is called with each scratch library before the
    sources go in: ``whole`` is then an exact copy of the main library (see :func:`comparison_blocker`),
    so answers taken from it are the main library's answers without the main index being opened.
    The main data directory is only read (copied), never written.
    """
    root = Path(settings.store.data_dir) / "eval-sources"
    shutil.rmtree(root, ignore_errors=True)
    alone = settings.replace(data_dir=root / "new", chroma_host=None)
    whole = settings.replace(data_dir=root / "whole", chroma_host=None)
    main_catalog = Path(settings.store.data_dir) / "catalog.sqlite"
    if main_catalog.is_file() and not settings.store.uses_chroma_server:
        shutil.copytree(settings.store.data_dir, whole.store.data_dir,
                        ignore=shutil.ignore_patterns("eval-sources", "uploads"))
    libraries: dict[str, tuple[Library, IngestReport]] = {}
    for name, scoped in (("new", alone), ("whole", whole)):
        library = Library(scoped)
        if before_ingest is not None:
            before_ingest(name, library)
        libraries[name] = (library, ingest_paths(library, [sources]))
    return libraries
