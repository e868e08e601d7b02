"""The BM25 keyword index and its CJK-aware tokenizer.

English is lower-cased, stop words dropped and Snowball-stemmed; runs of Chinese
characters become unigrams plus overlapping bigrams, the usual dictionary-free
way to index Chinese. The index is rebuilt from the catalog whenever the catalog
changes (it is small next to the embeddings) and saved with the catalog
generation it was built from, so a stale or half-written index is detected and
rebuilt on load.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
import Stemmer

from ingest.segment import Segmenter, library_words

_CJK = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"[a-z0-9]+(?:[.\-][a-z0-9]+)*|[\u3400-\u9fff\uf900-\ufaff]+")
_STOP = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers him his how i if in into is it its itself just me more most my
    no nor not now of off on once only or other our ours out over own same she should so some such
    than that the their theirs them then there these they this those through to too under until up
    very was we were what when where which while who whom why will with would you your yours shall
    may must also within upon any such including pursuant""".split()
)


_STEMMER = Stemmer.Stemmer("english")
TOKENIZER_VERSION = 5  # bump when tokenize() changes: saved indexes are then rebuilt on load
# Irregular verb forms Snowball leaves apart from their base ("chosen" / "chooses"), as the base form.
_IRREGULAR = {
    form: base
    for base, forms in {
        "choose": "chose chosen", "take": "took taken", "give": "gave given", "make": "made", "hold": "held",
        "lead": "led", "send": "sent", "pay": "paid", "bring": "brought", "seek": "sought", "keep": "kept",
        "begin": "began begun", "write": "wrote written", "speak": "spoke spoken", "meet": "met",
        "tell": "told", "say": "said", "think": "thought", "build": "built", "buy": "bought", "sell": "sold",
        "draw": "drew drawn", "grow": "grew grown", "freeze": "froze frozen", "rise": "rose risen",
        "fall": "fell fallen", "strike": "struck stricken", "undertake": "undertook undertaken",
        "withdraw": "withdrew withdrawn", "forbid": "forbade forbidden", "oversee": "oversaw overseen",
        "show": "shown", "know": "knew known", "go": "went gone", "break": "broke broken", "bear": "bore borne",
        "lay": "laid", "spend": "spent", "lose": "lost", "understand": "understood",
    }.items()
    for form in forms.split()
}


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    """Snowball (Porter2) stem of an English word; numbers and short words unchanged.

    Irregular forms ("chosen") take their base form's stem.
    """
    word = _IRREGULAR.get(word, word)
    if len(word) <= 3 or word.isdigit():
        return word
    return _STEMMER.stemWord(word)


ChineseMode = Literal["ngrams", "words", "both"]
CHINESE_MODES: tuple[ChineseMode, ...] = ("ngrams", "words", "both")


def tokenize(text: str, segmenter: Segmenter | None = None, mode: ChineseMode = "ngrams") -> list[str]:
    """Tokens for BM25: stemmed English words, and Chinese as words and/or unigrams + bigrams.

    Args:
        text: any text.
        segmenter: Chinese word segmenter (required for ``mode`` "words" and "both").
        mode: "ngrams" (unigrams + bigrams, dictionary-free), "words" (segmented words),
            or "both".
    """
    tokens: list[str] = []
    for match in _WORD.finditer(text.lower()):
        piece = match.group()
        if "\u3400" <= piece[0] <= "\ufaff":
            if segmenter is not None and mode != "ngrams":
                tokens.extend(f"w:{w}" for w in segmenter.words_of(piece))
                if mode == "words":
                    continue
            tokens.extend(piece)
            tokens.extend(piece[i : i + 2] for i in range(len(piece) - 1))
        elif piece not in _STOP:
            if "-" in piece:  # "open-source" also matches "open source", "self-replication" "self replication"
                tokens.append(piece)
                tokens.extend(_stem(part) for part in piece.split("-") if part and part not in _STOP)
            else:
                tokens.append(_stem(piece.replace(".", "")))
    return tokens


DEFAULT_CHINESE_MODE: ChineseMode = "words"


class KeywordIndex:
    """BM25 (bm25s) over chunk texts, addressed by chunk id.

    Chinese is indexed as segmented words (with the library's own vocabulary, see
    :mod:`ingest.segment`) plus unigrams and bigrams by default; the words and the
    mode are saved with the index, so queries are cut exactly as the chunks were.
    """

    def __init__(
        self,
        chunk_ids: Sequence[str],
        model: object | None,
        generation: int,
        words: Sequence[str] = (),
        mode: ChineseMode = DEFAULT_CHINESE_MODE,
    ) -> None:
        """Wrap a built bm25s model; use :meth:`build` or :meth:`load` to make one."""
        self.chunk_ids = list(chunk_ids)
        self.generation = generation
        self._model = model
        self._row = {cid: i for i, cid in enumerate(self.chunk_ids)}
        self.words = list(words)
        self.mode = mode
        self.segmenter = Segmenter(self.words) if mode != "ngrams" else None

    def tokenize(self, text: str) -> list[str]:
        """``text`` as this index tokenizes it."""
        return tokenize(text, self.segmenter, self.mode)

    @classmethod
    def build(
        cls,
        chunk_ids: Sequence[str],
        texts: Sequence[str],
        generation: int,
        titles: Sequence[str] = (),
        mode: ChineseMode = DEFAULT_CHINESE_MODE,
    ) -> KeywordIndex:
        """Index ``texts`` (one per chunk id) for the given catalog generation.

        Args:
            chunk_ids: the chunks' ids.
            texts: their texts.
            generation: the catalog generation they come from.
            titles: source titles and aliases, for the Chinese user dictionary.
            mode: how Chinese is tokenized (see :func:`tokenize`).
        """
        import bm25s

        words = library_words(texts, titles) if mode != "ngrams" and any(_CJK.search(t) for t in texts) else []
        index = cls(chunk_ids, None, generation, words, mode)
        if not chunk_ids:
            return index
        model = bm25s.BM25(k1=1.2, b=0.75)
        corpus = [index.tokenize(t) or ["∅"] for t in texts]
        model.index(corpus, show_progress=False)
        index._model = model
        return index

    def save(self, directory: Path) -> None:
        """Write the index atomically: a temp dir renamed over the old one."""
        tmp = directory.with_name(directory.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if self._model is not None:
            self._model.save(str(tmp), show_progress=False)  # type: ignore[attr-defined]
        (tmp / "ids.json").write_text(
            json.dumps({
                "generation": self.generation, "tokenizer": TOKENIZER_VERSION, "chunk_ids": self.chunk_ids,
                "chinese_mode": self.mode, "words": self.words,
            }, ensure_ascii=False)
        )
        old = directory.with_name(directory.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if directory.exists():
            directory.rename(old)
        tmp.rename(directory)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path) -> KeywordIndex | None:
        """Load a saved index, or None when it is missing, unreadable or built by another tokenizer."""
        import bm25s

        try:
            meta = json.loads((directory / "ids.json").read_text())
            if meta.get("tokenizer") != TOKENIZER_VERSION or meta.get("chinese_mode") not in CHINESE_MODES:
                return None
            model = bm25s.BM25.load(str(directory)) if meta["chunk_ids"] else None
        except (OSError, ValueError, KeyError):
            return None
        return cls(meta["chunk_ids"], model, int(meta["generation"]), meta.get("words", []), meta["chinese_mode"])

    def search(self, query: str, k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """Top ``k`` chunk ids by BM25 score for ``query``, optionally only ids in ``allowed``.

        Returns:
            ``(chunk_id, score)`` pairs, best first, scores > 0 only.
        """
        if self._model is None:
            return []
        vocab = self._model.vocab_dict  # type: ignore[attr-defined]
        tokens = [t for t in self.tokenize(query) if t in vocab]
        if not tokens:
            return []
        scores = np.asarray(self._model.get_scores(tokens), dtype=np.float32)  # type: ignore[attr-defined]
        if allowed is not None:
            mask = np.zeros(len(self.chunk_ids), dtype=bool)
            rows = [self._row[cid] for cid in allowed if cid in self._row]
            mask[rows] = True
            scores = np.where(mask, scores, 0.0)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        ranked = sorted(top, key=lambda i: -scores[i])
        return [(self.chunk_ids[i], float(scores[i])) for i in ranked if scores[i] > 0]
