"""Question kinds: one registered module per kind, each with a detector, retrieval passes and a composer.

A kind module defines a :class:`KindSpec` and registers it with :func:`register`.
The analysis (:mod:`assistant.core.analysis`) asks every registered detector how
strongly a part of a question reads as its kind and takes the strongest
(:func:`detect_kind`); the retrieve stage asks the kind for extra passes
(:meth:`KindSpec.passes`); the extractive composer asks it to shape the part's
answer from the selector's ranking (:meth:`KindSpec.compose`). A kind's cue words
come from the language data (:mod:`assistant.core.lang`), never from the module.
Adding a kind touches one new file in this package.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from assistant.core.lang import AnswerType, LanguageData

if TYPE_CHECKING:
    from assistant.core.analysis import Part, QuestionAnalysis
    from assistant.core.parts import PartContext, PartDraft


@dataclass(frozen=True)
class Reading:
    """What a detector sees of one part: its words, the answer types they ask for, a requested count."""

    text: str
    lang: LanguageData
    types: tuple[AnswerType, ...]
    count: int | None


@dataclass(frozen=True)
class Pass:
    """An extra retrieval pass a kind asks for: passages of these sources or of a structure of the library.

    ``what`` names the pass: "card" (the named document's card passages), "dated" (the passage with a named
    document's own date), "signature", "relations" (the passages stating relations between documents),
    "side" (a comparison side, searched by topic among ``source_ids``).
    """

    what: str
    source_ids: tuple[str, ...] = ()
    query: str = ""
    label: str = ""


@dataclass
class Detection:
    """A detector's verdict on a part."""

    score: float
    note: str = ""
    extra: dict[str, object] = field(default_factory=dict)


class KindSpec(Protocol):
    """One kind of question (see the package docstring)."""

    name: str
    priority: int
    """Breaks a tie between two detectors (higher wins)."""

    def detect(self, reading: Reading) -> float:
        """How strongly ``reading`` asks for this kind, 0..1 (0: not at all)."""
        ...

    def passes(self, part: Part, analysis: QuestionAnalysis) -> Sequence[Pass]:
        """Extra retrieval passes this kind's answers need (none for most kinds)."""
        ...

    def compose(self, context: PartContext) -> PartDraft | None:
        """This kind's shape of the part's answer, or None to use the default (the best candidates)."""
        ...

    def structural(self, context: PartContext) -> PartDraft | None:
        """An answer from the library's structure (a card, relations), given whatever the ranking says; or None."""
        ...


_KINDS: dict[str, KindSpec] = {}
_discovered = False


def register(spec: KindSpec) -> KindSpec:
    """Register a kind (a module-level ``register(MyKind())``); returns it."""
    _KINDS[spec.name] = spec
    return spec


def kinds() -> dict[str, KindSpec]:
    """Every registered kind by name (the modules of this package are imported on first use)."""
    global _discovered
    if not _discovered:
        for module in pkgutil.iter_modules(__path__):
            importlib.import_module(f"{__name__}.{module.name}")
        _discovered = True
    return _KINDS


def kind(name: str) -> KindSpec:
    """The registered kind ``name`` (KeyError naming the registered ones otherwise)."""
    found = kinds().get(name)
    if found is None:
        raise KeyError(f"unknown question kind {name!r}; registered: {', '.join(sorted(kinds()))}")
    return found


def detect_kind(reading: Reading) -> str:
    """The kind whose detector scores ``reading`` highest (ties: the higher priority); "describe" if none."""
    best = ("describe", 0.0, -1)
    for spec in kinds().values():
        score = spec.detect(reading)
        if (score, spec.priority) > (best[1], best[2]):
            best = (spec.name, score, spec.priority)
    return best[0] if best[1] > 0 else "describe"


class BaseKind:
    """Defaults for a kind: no extra passes, the default composition."""

    name = "describe"
    priority = 0

    def detect(self, reading: Reading) -> float:
        """Never chosen by itself (the fallback kind overrides this)."""
        return 0.0

    def passes(self, part: Part, analysis: QuestionAnalysis) -> Sequence[Pass]:
        """No extra passes."""
        return ()

    def compose(self, context: PartContext) -> PartDraft | None:
        """The default composition."""
        return None

    def structural(self, context: PartContext) -> PartDraft | None:
        """No answer from structure."""
        return None
