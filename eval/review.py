"""Reviewing drafted gold items: one decision at a time, saved as you go, then the accepted ones into a gold set.

A drafts file (JSONL of :class:`~eval.dataset.GoldItem` with ``reviewed: false``, as ``policychat eval generate``
and ``eval candidates`` write it) is its own review state, so a review can stop anywhere and resume:

* **accept**, as drafted or with :class:`Edits`: the item is rewritten in place with ``reviewed: true``, after it
  passes the gold set's rules (:func:`check_fields`, the rules of ``tests/eval/test_gold.py``);
* **reject**: the item is appended to ``<stem>.rejected.jsonl`` beside the file, then removed from the file;
* **skip**: nothing is written; the item stays undecided.

Every decision re-reads the file and replaces it atomically (a temporary file, then ``os.replace``) under a lock,
so an interrupted review loses at most the decision being made and resumes at the first undecided draft. An item
caught between the two writes of a rejection is in both files and counts as rejected (the next write drops it from
the drafts file), so no item is lost or doubled. After a review the drafts file holds the accepted items (and any
left undecided): ``policychat eval run --dataset FILE`` reads it as it is.

:func:`eval.gold_add.add_to_gold` appends accepted items to a gold set, each in the split of its document;
:func:`evaluate_accepted` answers the accepted items with a running service and writes the usual report.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError

from eval.dataset import KINDS, GoldItem, load_gold
from policychat.errors import ConfigError, PolicychatError

if TYPE_CHECKING:
    from assistant.service import AnswerService

Decision = Literal["accept", "reject"]
UNANSWERABLE_KINDS = ("near-miss", "unanswerable")
_LOCK = threading.Lock()  # the UI's sessions share one process: they decide one at a time


@dataclass(frozen=True)
class Edits:
    """A reviewer's changes to a draft; ``None`` leaves a field as drafted.

    ``evidence`` lists the quotes in order: quote *i* keeps the source of the draft's quote *i* while that is
    still a gold source, else it quotes the first gold source. Making an item unanswerable empties its gold
    sources, evidence and key facts.
    """

    question: str | None = None
    reference_answer: str | None = None
    answerable: bool | None = None
    kind: str | None = None
    gold_sources: list[str] | None = None
    evidence: list[str] | None = None
    must_include: list[list[str]] | None = None


@dataclass
class ReviewState:
    """A drafts file as a review sees it: its items in file order (accepted and undecided), and the rejected ones."""

    path: Path
    items: list[GoldItem]
    rejected: list[GoldItem]

    @property
    def accepted(self) -> list[GoldItem]:
        """The items accepted so far (``reviewed: true``), in file order."""
        return [item for item in self.items if item.reviewed]

    @property
    def pending(self) -> list[GoldItem]:
        """The items still undecided, in file order: a review resumes at the first."""
        return [item for item in self.items if not item.reviewed]

    def find(self, item_id: str) -> GoldItem | None:
        """The accepted or undecided item with this id, or None."""
        return next((item for item in self.items if item.id == item_id), None)

    def decision(self, item_id: str) -> str:
        """The item's state: accepted, rejected, undecided, or unknown (an id the file never held)."""
        item = self.find(item_id)
        if item is not None:
            return "accepted" if item.reviewed else "undecided"
        return "rejected" if any(r.id == item_id for r in self.rejected) else "unknown"


def rejected_path(path: Path) -> Path:
    """Where the rejected drafts of ``path`` go: ``<stem>.rejected.jsonl`` beside it."""
    return path.with_name(f"{path.stem}.rejected.jsonl")


def load_review(path: Path) -> ReviewState:
    """Read a drafts file and its rejected drafts.

    Raises:
        ConfigError: the file is missing or unreadable, or holds an invalid item or a duplicate id.
    """
    if not path.is_file():
        raise ConfigError(f"{path}: no such drafts file (policychat eval generate or eval candidates writes one)")
    rejected = _read_rejected(rejected_path(path))
    gone = {item.id for item in rejected}
    return ReviewState(path, [item for item in load_gold(path) if item.id not in gone], rejected)


def decide(path: Path, item_id: str, decision: Decision, edits: Edits | None = None) -> ReviewState:
    """Accept (with ``edits``, if any) or reject one undecided draft of ``path``; return the file's new state.

    Raises:
        PolicychatError: the draft is not undecided (no such id, or decided meanwhile), or the accepted item
            breaks a gold-set rule; the message names the field.
        ConfigError: the files cannot be read or written (nothing is changed then).
    """
    with _locked(path):
        state = load_review(path)
        item = state.find(item_id)
        if item is None or item.reviewed:
            status = state.decision(item_id)
            where = f"no such draft in {path}" if status == "unknown" else f"already {status}"
            raise PolicychatError(f"{item_id}: {where}; nothing changed")
        if decision == "accept":
            done = accept_item(item, edits)
            items = [done if i.id == item_id else i for i in state.items]
            write_atomically(path, "".join(i.model_dump_json() + "\n" for i in items))
            return ReviewState(path, items, state.rejected)
        _append_line(rejected_path(path), item.model_dump_json())
        items = [i for i in state.items if i.id != item_id]
        write_atomically(path, "".join(i.model_dump_json() + "\n" for i in items))
        return ReviewState(path, items, [*state.rejected, item])


def accept_item(item: GoldItem, edits: Edits | None = None) -> GoldItem:
    """``item`` with ``edits`` applied and ``reviewed: true``.

    Raises:
        PolicychatError: "<id>: <field>: <problem>" for the first gold-set rule the result breaks.
    """
    edits = edits or Edits()
    data = item.model_dump()
    answerable = item.answerable if edits.answerable is None else edits.answerable
    if edits.question is not None:
        data["question"] = edits.question.strip()
    if edits.reference_answer is not None:
        data["reference_answer"] = edits.reference_answer.strip()
    if edits.kind is not None:
        kind = edits.kind.strip()
        tags = [tag for tag in item.tags if tag not in KINDS]
        data["tags"] = [kind, *tags] if kind else tags
    data["answerable"] = answerable
    if not answerable:
        data["gold_sources"], data["evidence"], data["must_include"] = [], [], []
    else:
        sources = item.gold_sources if edits.gold_sources is None else edits.gold_sources
        data["gold_sources"] = list(dict.fromkeys(s.strip() for s in sources if s.strip()))
        if edits.evidence is not None or edits.gold_sources is not None or not item.answerable:
            quotes = [e.quote for e in item.evidence] if edits.evidence is None else edits.evidence
            data["evidence"] = [
                {"source_id": _quote_source(item, n, data["gold_sources"]), "quote": quote.strip()}
                for n, quote in enumerate(quotes)
            ]
        if edits.must_include is not None:
            data["must_include"] = [[alt.strip() for alt in group] for group in edits.must_include]
    data["reviewed"] = True
    problem = check_fields(data)
    if problem:
        raise PolicychatError(f"{item.id}: {problem}")
    try:
        return GoldItem.model_validate(data)
    except ValidationError as exc:
        raise PolicychatError(f"{item.id}: {exc}") from exc


def _quote_source(item: GoldItem, position: int, sources: list[str]) -> str:
    if position < len(item.evidence) and item.evidence[position].source_id in sources:
        return item.evidence[position].source_id
    return sources[0] if sources else ""


def check_fields(data: dict[str, Any]) -> str | None:
    """The first gold-set rule a gold item's fields (``GoldItem.model_dump()`` shape) break, as "<field>: <problem>".

    The rules of ``tests/eval/test_gold.py`` that need no library: text fields filled, exactly one kind tag that
    agrees with ``answerable``; an answerable item has gold sources, evidence from exactly those sources and key
    facts each quoted in the evidence; an unanswerable one has none of them. (Quotes are checked against the
    stored texts by the corpus tests, not here.)
    """
    for name in ("question", "reference_answer"):
        if not str(data.get(name, "")).strip():
            return f"{name}: must not be empty"
    kinds = [tag for tag in data["tags"] if tag in KINDS]
    if len(kinds) != 1:
        return f"kind: needs exactly one kind tag of {', '.join(KINDS)}; found {kinds or 'none'}"
    if (kinds[0] in UNANSWERABLE_KINDS) == data["answerable"]:
        if data["answerable"]:
            return f"answerable: a {kinds[0]} question is unanswerable; make it unanswerable or choose another kind"
        return f"kind: an unanswerable question's kind is near-miss or unanswerable, not {kinds[0]}"
    if not data["answerable"]:
        return None
    if not data["gold_sources"]:
        return "gold_sources: an answerable item needs the id of the source that answers it"
    if not data["evidence"]:
        return "evidence: an answerable item needs at least one quote from its gold source"
    for n, evidence in enumerate(data["evidence"], start=1):
        if not evidence["quote"].strip():
            return f"evidence: quote {n} is empty"
    quoted = {evidence["source_id"] for evidence in data["evidence"]}
    if quoted != set(data["gold_sources"]):
        return f"evidence: the quotes cite {sorted(quoted)} but the gold sources are {sorted(data['gold_sources'])}"
    if not data["must_include"]:
        return "must_include: an answerable item needs at least one key fact"
    quotes = " ".join(evidence["quote"] for evidence in data["evidence"]).lower()
    for n, group in enumerate(data["must_include"], start=1):
        if not group or not all(alt.strip() for alt in group):
            return f"must_include: key fact {n} has an empty alternative"
        if not any(alt.lower() in quotes for alt in group):
            return f"must_include: no alternative of key fact {n} ({' | '.join(group)}) occurs in the evidence quotes"
    return None


def format_must_include(groups: list[list[str]]) -> str:
    """Key facts as one line: alternatives joined by " | ", facts by "; " (read back by :func:`parse_must_include`)."""
    return "; ".join(" | ".join(group) for group in groups)


def parse_must_include(text: str) -> list[list[str]]:
    """Key facts from text: facts separated by ";" or new lines, alternatives within a fact by "|"."""
    groups = [line for part in text.split(";") for line in part.splitlines()]
    return [[alt.strip() for alt in group.split("|") if alt.strip()] for group in groups if group.strip()]


# ----------------------------------------------------------------------------- evaluating the accepted drafts


def evaluate_accepted(
    service: AnswerService,
    path: Path,
    folder: Path,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Answer the accepted drafts of ``path`` with ``service``, write the report into ``folder``; return report.md.

    No gate is judged (a dataset of one's own).

    Raises:
        PolicychatError: no draft is accepted yet, or the service cannot answer.
    """
    from eval.runner import run_eval, write_report

    items = load_review(path).accepted
    if not items:
        raise PolicychatError(f"{path}: no accepted drafts to evaluate yet; accept some first")
    results, summary = run_eval(service, items, progress=progress)
    label = f"{service.settings.answer.generator} on {len(items)} accepted drafts of {path.name}, library"
    write_report(folder, results, summary, [], label=label, items=items)
    return folder / "report.md"


# ----------------------------------------------------------------------------- files


def _read_rejected(path: Path) -> list[GoldItem]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the rejected drafts ({exc.strerror})") from exc
    found: dict[str, GoldItem] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = GoldItem.model_validate_json(line)
        except ValidationError as exc:
            if number == len(lines):
                break  # a rejection cut short: its item is still in the drafts file, undecided
            raise ConfigError(f"{path}:{number}: invalid rejected draft ({exc})") from exc
        found.setdefault(item.id, item)
    return list(found.values())


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """This process's review lock, and an exclusive lock on the rejected file for other processes."""
    with _LOCK:
        try:
            handle = rejected_path(path).open("a", encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{rejected_path(path)}: cannot open ({exc.strerror}); nothing changed") from exc
        with handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield


def _append_line(path: Path, line: str) -> None:
    try:
        with path.open("a+b") as handle:
            handle.seek(0)
            old = handle.read()
            if old and not old.endswith(b"\n"):  # a line cut short by a crash: its item is still a draft
                handle.truncate(old.rfind(b"\n") + 1)
            handle.write(line.encode("utf-8") + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write ({exc.strerror}); nothing changed") from exc


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step (a temporary file beside it, then ``os.replace``)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise ConfigError(f"{path}: cannot write ({exc.strerror}); it is unchanged") from exc
