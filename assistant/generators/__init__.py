"""Answer generators: backends behind one small interface, registered by name.

A backend is a module in this package that decorates a factory with
``@register("name")``; the package imports its modules on first lookup, so
adding a backend touches exactly one new file. (The ``fake`` backend of
:mod:`assistant.testing` registers the same way when that module is imported;
discovery never imports it.) Every backend returns a
:class:`Draft`; nothing a backend writes reaches the user before
:mod:`assistant.core.verify` has checked it against the retrieved passages.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

from langchain_core.embeddings import Embeddings

from assistant.core.evidence import Idf
from assistant.models import Draft, Passage
from ingest.cards import Card
from ingest.models import Chunk, SourceMeta
from ingest.relations import Relation, Standing
from ingest.sentence_vectors import SpanVectors
from policychat.errors import GeneratorError
from policychat.settings import Settings

if TYPE_CHECKING:
    from assistant.core.analysis import QuestionAnalysis
    from assistant.core.select import Selection


@dataclass
class GenerationInput:
    """What a generator gets: the standalone question and the retrieved passages."""

    question: str
    passages: list[Passage]
    idf: Idf
    embeddings: Embeddings
    comparison: bool = False
    focus: str = ""
    """The user's own words when ``question`` was expanded from the history (weighted higher)."""
    scored_sentences: list[Any] | None = field(default=None, repr=False)
    """Scored candidate sentences, cached by whoever computed them first."""
    sentence_vectors: Callable[[Sequence[Chunk]], dict[str, SpanVectors]] | None = field(default=None, repr=False)
    """Looks up the ingest-time sentence vectors of chunks (None: embed candidate sentences now)."""
    analysis: QuestionAnalysis | None = None
    """What the question asks for (its parts: kind, answer types, focus; documents named; language)."""
    selection: Selection | None = field(default=None, repr=False)
    """Every candidate sentence scored for every part, and each part's confidence (the select stage)."""
    cards: dict[str, Card] = field(default_factory=dict)
    """Cards of the documents the question names (summaries are built from them)."""
    standings: dict[str, Standing] = field(default_factory=dict)
    """Every source's status (in force, revoked …) with its evidence."""
    relations: list[Relation] = field(default_factory=list)
    """Relations between the library's sources."""
    metas: dict[str, SourceMeta] = field(default_factory=dict)
    """Metadata of every source of the library (for naming documents in status notes)."""
    as_of: date | None = None
    """The day the question is asked about (``standings`` and ``relations`` are then as of that day)."""
    doc_freq: Callable[[str], int] | None = field(default=None, repr=False)
    """In how many chunks of the library a BM25 token occurs."""
    bilingual: Any = field(default=None, repr=False)
    """The question's terms in the library's other language (a ``retrieval.crosslingual.BilingualTable``)."""
    articles: Any = field(default=None, repr=False)
    """:class:`assistant.retrieval.knowledge.ArticleIndex` of translated works (an article beside its translation)."""


class Generator(Protocol):
    """Drafts an answer from passages."""

    name: str

    def draft(self, data: GenerationInput) -> Draft:
        """Return the full draft."""
        ...

    def stream(self, data: GenerationInput) -> Iterator[str]:
        """Yield the draft text piece by piece (tokens for LLMs, sentences otherwise)."""
        ...


GeneratorFactory = Callable[[Settings], Generator]
_FACTORIES: dict[str, GeneratorFactory] = {}
_discovered = False


def register(name: str) -> Callable[[GeneratorFactory], GeneratorFactory]:
    """Register a generator factory under ``name``."""

    def decorate(factory: GeneratorFactory) -> GeneratorFactory:
        _FACTORIES[name] = factory
        return factory

    return decorate


def _discover() -> None:
    global _discovered
    if not _discovered:
        for module in pkgutil.iter_modules(__path__):
            importlib.import_module(f"{__name__}.{module.name}")
        _discovered = True


def available_generators() -> list[str]:
    """Names of every registered backend."""
    _discover()
    return sorted(_FACTORIES)


def create_generator(name: str, settings: Settings) -> Generator:
    """Instantiate the backend ``name``; raise GeneratorError naming the valid choices."""
    _discover()
    if name not in _FACTORIES:
        raise GeneratorError(f"Unknown generator {name!r}; choose one of: {', '.join(available_generators())}.")
    return _FACTORIES[name](settings)
