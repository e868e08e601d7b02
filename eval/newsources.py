"""Evaluating new sources: draft questions for them, and index them apart from the main library.

``draft_questions`` reads documents offline and turns sentences that carry a
checkable fact (a date, a number, an obligation, a named body) into cloze-style
questions, with the sentence as evidence and the masked fact as ``must_include``;
the drafts are marked ``reviewed: false`` for a person to edit. ``prepare_libraries``
builds two throw-away libraries under ``<data_dir>/eval-sources/``: the new
sources alone, and a copy of the main library plus the new sources, so the main
index is never written.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from assistant.errors import PolicychatError
from assistant.evidence import display_text, entities
from assistant.settings import Settings
from eval.dataset import Evidence, GoldItem
from ingest.library import Library
from ingest.loaders import load_document
from ingest.metadata import catalog_row_for, read_catalog, resolve_source_meta
from ingest.pipeline import IngestReport, discover_files, ingest_paths
from ingest.sentences import split_sentences

_DATE = re.compile(
    r"\b(?:\d{1,2} )?(?:January|February|March|April|May|June|July|August|September|October|November|December)"
    r"(?: \d{1,2},)? \d{4}\b|\b\d{4}年\d{1,2}月(?:\d{1,2}日)?"
)
_NUMBER = re.compile(r"\b\d[\d,.]*(?: ?(?:%|percent|days|months|years|million|billion))?")
_OBLIGATION = re.compile(r"\b(shall|must|is required to|will)\b|应当|不得|应")
MAX_PER_SOURCE = 5
_NOT_NAME_START = frozenset("Today Yesterday Tomorrow Our We Their Its His Her Then Now Here There".split())


def _fact(sentence: str, title: str = "") -> str | None:
    """The checkable fact of a sentence: a date, else a quantity, else a named body.

    A list number at the start is not a quantity; a name that is (part of) the
    document's title or the sentence's first words would make a trivial question.
    """
    date = _DATE.search(sentence)
    if date:
        return date.group()
    for match in _NUMBER.finditer(sentence):
        value = match.group().rstrip(".,")
        if match.start() > 3 and (" " in value or "%" in value or len(value.replace(",", "")) >= 3):
            return value
    for name in sorted(entities(sentence), key=len, reverse=True):
        words = name.split()
        while words and words[0] in _NOT_NAME_START:
            words.pop(0)
        name = " ".join(words)
        specific = len(words) >= 2 or (name.isupper() and len(name) >= 3)  # "OECD AI Principles", "GPAI"
        if specific and sentence.find(name) > 10 and name.lower() not in title.lower():
            return name
    return None


def draft_questions(folder: Path, known_sources: set[str], prefix: str = "new") -> list[GoldItem]:
    """Draft unreviewed questions for every document in ``folder`` whose id is not in ``known_sources``.

    Returns:
        Up to five items per document, each answerable from one verbatim sentence.
    """
    files, _ = discover_files([folder])
    catalogs: dict[Path, dict[str, dict[str, str]]] = {}
    items: list[GoldItem] = []
    for path in files:
        catalogs.setdefault(path.parent, read_catalog(path.parent))
        try:
            doc = load_document(path)
        except PolicychatError:
            continue
        meta = resolve_source_meta(path, doc, catalog_row_for(path, catalogs[path.parent]))
        if meta.id in known_sources:
            continue
        drafted = 0
        sentences = [display_text(doc.text[a:b]) for a, b in split_sentences(doc.text)]
        usable = [s for s in sentences if 60 <= len(s) <= 400 and _fact(s, meta.title)]
        # Obligations and dated statements first: they are what analysts check.
        usable.sort(key=lambda s: (not _OBLIGATION.search(s), not _DATE.search(s)))
        for sentence in usable:
            fact = _fact(sentence, meta.title)
            assert fact is not None
            cloze = sentence.replace(fact, "____", 1)
            items.append(
                GoldItem(
                    id=f"{prefix}-{meta.id[:40]}-{drafted + 1}",
                    question=f"According to “{meta.title}”, what fills the blank: “{cloze}”?",
                    answerable=True,
                    gold_sources=[meta.id],
                    evidence=[Evidence(source_id=meta.id, quote=sentence)],
                    must_include=[[fact]],
                    reference_answer=sentence,
                    tags=["generated", "fact", meta.country],
                    reviewed=False,
                )
            )
            drafted += 1
            if drafted == MAX_PER_SOURCE:
                break
    return items


def prepare_libraries(settings: Settings, sources: Path) -> dict[str, tuple[Library, IngestReport]]:
    """Ingest ``sources`` into two scratch libraries: ``new`` (alone) and ``whole`` (main copy + new).

    The main data directory is only read (copied), never written.
    """
    root = Path(settings.data_dir) / "eval-sources"
    shutil.rmtree(root, ignore_errors=True)
    alone = settings.model_copy(update={"data_dir": root / "new", "chroma_host": None})
    whole = settings.model_copy(update={"data_dir": root / "whole", "chroma_host": None})
    main_catalog = Path(settings.data_dir) / "catalog.sqlite"
    if main_catalog.is_file() and not settings.uses_chroma_server:
        shutil.copytree(settings.data_dir, whole.data_dir, ignore=shutil.ignore_patterns("eval-sources", "uploads"))
    libraries: dict[str, tuple[Library, IngestReport]] = {}
    for name, scoped in (("new", alone), ("whole", whole)):
        library = Library(scoped)
        libraries[name] = (library, ingest_paths(library, [sources]))
    return libraries
