"""Adding reviewed drafts to a gold set, each in the split of its document.

All of a document's items land in one split, so the test split never holds a
document the dev split was tuned on: a document already in the gold set keeps
its split; a new one goes where ``--split`` says, else where a hash of its id
sends it (the same on every machine).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from eval.dataset import GoldItem, load_gold
from eval.review import write_atomically
from policychat.errors import ConfigError, PolicychatError

DEFAULT_TEST_SHARE = 0.5
_DRAFT_DOC_CHARS = 40  # the drafters name a draft <prefix>-<document id, first 40 characters>-<n>



@dataclass(frozen=True)
class Added:
    """One item written to the gold set: its id there, split, document, and why that split."""

    id: str
    split: str
    document: str
    reason: str
    renamed_from: str | None = None


@dataclass
class GoldAddition:
    """What :func:`add_to_gold` did: the items added, and the ids of those the gold set already held."""

    path: Path
    added: list[Added]
    already: list[str]


def document_of(item: GoldItem, known: Iterable[str] = ()) -> str:
    """The document an item is about, for choosing its split.

    Its first gold source; else its first evidence source; else (an unanswerable draft) the document its id
    names, ``<prefix>-<document id, first 40 characters>-<n>`` as :mod:`eval.drafting` forms it, resolved to the
    one id of ``known`` it shortens. An id of another shape is its own document.
    """
    if item.gold_sources:
        return item.gold_sources[0]
    if item.evidence:
        return item.evidence[0].source_id
    _, _, rest = item.id.partition("-")
    stem, _, number = rest.rpartition("-")
    if not (stem and number.isdigit()):
        return item.id
    matches = {doc for doc in known if doc[:_DRAFT_DOC_CHARS] == stem}
    return matches.pop() if len(matches) == 1 else stem


def hashed_split(document: str, test_share: float = DEFAULT_TEST_SHARE) -> str:
    """``test`` for about ``test_share`` of documents, ``dev`` for the rest: SHA-256 of the id, the same everywhere."""
    value = int.from_bytes(hashlib.sha256(document.encode("utf-8")).digest()[:8], "big") / 2**64
    return "test" if value < test_share else "dev"


def add_to_gold(
    items: list[GoldItem],
    gold_path: Path,
    split: str | None = None,
    test_share: float = DEFAULT_TEST_SHARE,
) -> GoldAddition:
    """Append accepted items to the gold set at ``gold_path`` (created if missing), each in its document's split.

    An item whose document (:func:`document_of`) already has items in the gold set takes that document's split
    (the larger one when they are mixed); a new document's items go to ``split`` when given (``dev`` or
    ``test``), else to its :func:`hashed_split`. So all of a document's items land in one split.
    An item the gold set already holds (same content under any id) is not added again; an item whose id is
    taken by a different one is renamed to the next free ``<stem>-<n>``. The gold file is rewritten atomically
    with its old lines unchanged.

    Raises:
        PolicychatError: an item is not reviewed.
        ConfigError: a bad ``split`` or ``test_share``, or the gold file cannot be read or written.
    """
    if split not in (None, "dev", "test"):
        raise ConfigError(f"--split must be dev or test, not {split!r}")
    if not 0.0 <= test_share <= 1.0:
        raise ConfigError(f"--test-share must be between 0 and 1, not {test_share}")
    for item in items:
        if not item.reviewed:
            raise PolicychatError(f"{item.id}: not reviewed; accept it first (policychat eval review)")
    existing = load_gold(gold_path) if gold_path.exists() else []
    known = {source for item in [*existing, *items] for source in item.gold_sources}
    splits: dict[str, Counter[str]] = {}
    for item in existing:
        splits.setdefault(document_of(item, known), Counter())[item.split] += 1
    contents = {_content(item) for item in existing}
    taken = {item.id for item in [*existing, *items]}
    used = {item.id for item in existing}
    lines: list[str] = []
    added: list[Added] = []
    already: list[str] = []
    for item in items:
        if _content(item) in contents:
            already.append(item.id)
            continue
        document = document_of(item, known)
        chosen, reason = _choose_split(document, splits, split, test_share)
        new_id = _free_id(item.id, taken) if item.id in used else item.id
        taken.add(new_id)
        used.add(new_id)
        contents.add(_content(item))
        splits.setdefault(document, Counter())[chosen] += 1
        done = item.model_copy(update={"id": new_id, "split": chosen})
        lines.append(json.dumps(done.model_dump(mode="json", exclude={"reviewed"}), ensure_ascii=False) + "\n")
        added.append(Added(new_id, chosen, document, reason, None if new_id == item.id else item.id))
    if lines:
        old = gold_path.read_text(encoding="utf-8") if gold_path.exists() else ""
        gold_path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(gold_path, old + ("\n" if old and not old.endswith("\n") else "") + "".join(lines))
    return GoldAddition(gold_path, added, already)


def _content(item: GoldItem) -> str:
    return item.model_dump_json(exclude={"id", "split", "reviewed"})


def _choose_split(
    document: str, splits: dict[str, Counter[str]], forced: str | None, test_share: float
) -> tuple[str, str]:
    hashed = hashed_split(document, test_share)
    counts = splits.get(document)
    if not counts:
        return (forced, "new document, --split") if forced is not None else (hashed, "new document")
    top = max(counts.values())
    tied = sorted(name for name, count in counts.items() if count == top)
    chosen = hashed if hashed in tied else tied[0]
    return chosen, "its document's split" + (" (the larger of its mixed splits)" if len(counts) > 1 else "")


def _free_id(item_id: str, taken: set[str]) -> str:
    stem, _, number = item_id.rpartition("-")
    if not (stem and number.isdigit()):
        stem = item_id
    numbers = [int(n) for t in taken for s, _, n in [t.rpartition("-")] if s == stem and n.isdigit()]
    return f"{stem}-{max(numbers, default=1) + 1}"
