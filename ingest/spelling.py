"""Typo tolerance: question words the library never uses, mapped to the library's own nearest word.

"tarrif", "goverment", "excutive order" are written by real users. A BM25
token that occurs in no passage of the library is matched to the library
token within a small edit distance (1 for short words, 2 from seven letters),
preferring the closest and then the most frequent one. The corrections feed
retrieval, sentence scoring and the refusal rule, so a typo neither loses the
answer nor passes for a name the library lacks.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping

MIN_LENGTH = 4


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance with transpositions, or ``limit + 1`` as soon as it must exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


class Vocabulary:
    """The library's ASCII tokens with their document frequencies, indexed for near matches."""

    def __init__(self, doc_freq: Mapping[str, int], common: frozenset[str] = frozenset()) -> None:
        """Index the tokens of ``doc_freq`` ({token: number of chunks}) by first letter.

        ``common`` holds everyday words (the embedding model's whole-word vocabulary): a
        question word the library lacks but which is everyday English is a paraphrase, not a name.
        """
        self.doc_freq = doc_freq
        self.common = common
        self._by_initial: dict[str, list[str]] = defaultdict(list)
        for token in doc_freq:
            if token.isascii() and token.isalpha() and len(token) >= MIN_LENGTH - 1:
                self._by_initial[token[0]].append(token)

    def __contains__(self, token: str) -> bool:
        return self.doc_freq.get(token, 0) > 0

    def nearest(self, token: str) -> str | None:
        """The library token closest to an unknown ``token``, or None when nothing is close enough."""
        if token in self or not token.isascii() or not token.isalpha() or len(token) < MIN_LENGTH:
            return None
        limit = 1 if len(token) < 6 else 2
        best: tuple[int, int, str] | None = None
        for known in self._by_initial.get(token[0], ()):
            distance = edit_distance(token, known, limit)
            if distance <= limit:
                key = (distance, -self.doc_freq[known], known)
                if best is None or key < best:
                    best = key
        return best[2] if best else None

    def unknown_words(self, text: str) -> list[str]:
        """Words of ``text`` that are no library token, no typo of one and no everyday word ("sorghum")."""
        from ingest.keywords import tokenize

        found = []
        for word in re.findall(r"[A-Za-z][A-Za-z0-9-]{2,}", text):
            tokens = tokenize(word)
            if not tokens or word.lower() in self.common or any(t in self for t in tokens):
                continue
            if word.isupper() and len(word) <= 6:
                continue  # an acronym: sources often spell it out ("ITU")
            if any(self.nearest(t) for t in tokens) or all(p.lower() in self.common for p in word.split("-")):
                continue
            if self._compound(word.lower()):
                continue  # "chipmaking" = "chip" + "making"
            found.append(word)
        return found

    def _compound(self, word: str) -> bool:
        """Whether ``word`` is two known words run together."""
        from ingest.keywords import tokenize

        for cut in range(2, len(word) - 1):
            left, right = word[:cut], word[cut:]
            known = [
                part in self.common or part in self or any(t in self for t in tokenize(part)) for part in (left, right)
            ]
            if all(known):
                return True
        return False

    def corrections(self, tokens: Iterable[str]) -> dict[str, str]:
        """``{unknown token: library token}`` for the tokens that look like typos of library words."""
        found = {}
        for token in tokens:
            near = self.nearest(token)
            if near is not None:
                found[token] = near
        return found
