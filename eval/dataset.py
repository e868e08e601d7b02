"""Gold question sets: the JSONL schema and its loader."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, ValidationError, model_serializer

from assistant.models import ChatTurn
from policychat.errors import ConfigError

DEFAULT_DATASET = Path(__file__).parent / "data" / "gold.jsonl"
EXTRA_DEV = Path(__file__).parent / "data" / "dev_extra.jsonl"
"""More dev questions, in the varied styles users write (tuned on and trained on, never gated)."""

KINDS = (
    "definition", "who", "list", "factoid", "status", "yesno", "summary",
    "comparison", "procedure", "why", "describe", "near-miss", "unanswerable",
)
"""Question kinds; every gold item carries exactly one of them as a tag (reports group by it)."""
Split = Literal["dev", "test", "heldout", "unseen"]
"""``dev`` may be tuned on; ``test`` is only reported (the CI gates judge it); ``heldout`` (questions on
``../shared/fresh``) and ``unseen`` (generated notices, everyday wording) were written blind and are scored
once, at the end of a change, never tuned on."""
FALLBACK_KINDS = {"multi-part": "multi-part", "follow-up": "follow-up", "date": "factoid", "number": "factoid"}
"""Kind tags of the blind sets that the gold set uses as detail tags: reported as these kinds."""


class Evidence(BaseModel):
    """A verbatim quote from a source's stored text that answers the question."""

    model_config = ConfigDict(extra="forbid")

    source_id: str
    quote: str = Field(min_length=1)


class GoldItem(BaseModel):
    """One evaluation question with its expected sources, evidence and key facts."""

    model_config = ConfigDict(extra="forbid")

    id: str
    question: str = Field(min_length=1)
    history: list[ChatTurn] = Field(default_factory=list)
    answerable: bool
    gold_sources: list[str]
    evidence: list[Evidence]
    must_include: list[list[str]]
    reference_answer: str
    tags: list[str]
    reviewed: bool = True
    split: Split = "dev"
    """``dev`` items may be inspected and tuned on; ``test`` items are only reported (the CI gates use them)."""
    as_of: date | None = None
    """Asked as of this day (the answer request's ``as_of``): the library as it stood then."""

    @model_serializer(mode="wrap")
    def _without_unset_day(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Items asked of today's library are written as before, without ``"as_of": null``."""
        data: dict[str, Any] = handler(self)
        if data.get("as_of") is None:
            data.pop("as_of", None)
        return data

    @property
    def kind(self) -> str:
        """The item's kind tag (see :data:`KINDS`, then :data:`FALLBACK_KINDS`); "other" when it has none."""
        found = next((tag for tag in self.tags if tag in KINDS), None)
        if found is None:
            found = next((FALLBACK_KINDS[tag] for tag in self.tags if tag in FALLBACK_KINDS), "other")
        return found

    @property
    def language(self) -> str:
        """"zh" when the question is written in Chinese, else "en"."""
        return "zh" if any("\u3400" <= ch <= "\u9fff" for ch in self.question) else "en"


def load_gold(path: Path = DEFAULT_DATASET) -> list[GoldItem]:
    """Read a JSONL gold set; raise ConfigError naming the line of a bad record."""
    items: list[GoldItem] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read dataset ({exc.strerror})") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            items.append(GoldItem.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise ConfigError(f"{path}:{number}: invalid gold item ({exc})") from exc
    ids = [item.id for item in items]
    if len(ids) != len(set(ids)):
        raise ConfigError(f"{path}: duplicate item ids")
    return items
