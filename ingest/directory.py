"""The library's documents by name: which catalogued sources a question refers to.

Built once per catalog generation from every source's aliases
(:func:`ingest.aliases.derive_aliases`): "EO 14110", "the AI RMF", "TC260-003",
"《生成式人工智能服务管理暂行办法》", "the Interim Measures" resolve to source ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ingest.aliases import NAME, derive_aliases, normalize_name
from ingest.models import SourceMeta

_CJK = re.compile(r"[\u3400-\u9fff]")
# A document named by its type is "the" primary one: prefer it over press material about it.
_TYPE_RANK = {"statement": 1, "news": 0}


@dataclass(frozen=True)
class DocumentMention:
    """A span of the (normalised) question that names sources."""

    alias: str
    source_ids: tuple[str, ...]
    start: int
    end: int


class DocumentDirectory:
    """Resolves names in questions to source ids."""

    def __init__(self, metas: Iterable[SourceMeta]) -> None:
        """Index the aliases of ``metas`` (one entry per alias, keeping the heaviest sources)."""
        self.metas = {meta.id: meta for meta in metas}
        best: dict[str, tuple[int, list[str]]] = {}
        for meta in self.metas.values():
            for alias, weight in derive_aliases(meta).items():
                current = best.get(alias)
                if current is None or weight > current[0]:
                    best[alias] = (weight, [meta.id])
                elif weight == current[0]:
                    current[1].append(meta.id)
        self._aliases = {alias: tuple(sorted(ids)) for alias, (_w, ids) in best.items() if len(ids) <= 3}
        self._ordered = sorted(self._aliases, key=len, reverse=True)
        self._alias_words = {w for alias in self._aliases for w in alias.split() if w.isalpha() and len(w) >= 4}
        self._alias_words_by_initial: dict[str, list[str]] = {}
        for word in sorted(self._alias_words):
            self._alias_words_by_initial.setdefault(word[0], []).append(word)
        # Sources sharing a whole name are one work in two languages (an original and its translation).
        self._works: dict[str, set[str]] = {}
        for alias, (weight, ids) in best.items():
            if weight >= NAME and len(ids) > 1 and len(alias) > 20:
                for source_id in ids:
                    self._works.setdefault(source_id, set()).update(ids)

    def _spell(self, text: str) -> str:
        """Words one edit away from a word of some alias take that spelling ("diffusion rul" -> "diffusion rule")."""
        from ingest.spelling import edit_distance

        words = text.split(" ")
        for i, word in enumerate(words):
            if len(word) < 3 or word in self._alias_words or not word.isalpha():
                continue
            near = [w for w in self._alias_words_by_initial.get(word[0], ()) if edit_distance(word, w, 1) <= 1]
            if len(near) == 1:
                words[i] = near[0]
        return " ".join(words)

    def mentions(self, question: str) -> list[DocumentMention]:
        """Non-overlapping document names in ``question``, longest first, then in text order.

        A misspelt word of a name is read as the name's word when it is one edit away from it.
        """
        text = self._spell(normalize_name(question))
        taken: list[tuple[int, int]] = []
        found: list[DocumentMention] = []
        for alias in self._ordered:
            if alias not in text:
                continue
            pattern = re.escape(alias) if _CJK.search(alias) else rf"(?<![a-z0-9/-]){re.escape(alias)}(?![a-z0-9/-])"
            for match in re.finditer(pattern, text):
                if any(match.start() < end and start < match.end() for start, end in taken):
                    continue
                taken.append((match.start(), match.end()))
                found.append(DocumentMention(alias, self._aliases[alias], match.start(), match.end()))
        found.sort(key=lambda m: m.start)
        return found

    def resolve(self, question: str) -> list[str]:
        """Source ids the question names, in order of mention (no duplicates)."""
        ids: list[str] = []
        for mention in self.mentions(question):
            for source_id in mention.source_ids:
                for same_work in sorted(self.same_work(source_id)):
                    if same_work not in ids:
                        ids.append(same_work)
        return ids

    def same_work(self, source_id: str) -> set[str]:
        """The source and its translations (sources sharing its full name)."""
        return self._works.get(source_id, set()) | {source_id}

    def primary(self, source_ids: Iterable[str]) -> str | None:
        """The main document among ``source_ids``: not press material, then the longest title."""
        candidates = [self.metas[i] for i in source_ids if i in self.metas]
        if not candidates:
            return None
        best = max(candidates, key=lambda m: (_TYPE_RANK.get(m.doc_type, 2), m.language == "zh", len(m.title)))
        return best.id
