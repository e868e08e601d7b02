"""Chinese word segmentation for the keyword index, with a user dictionary drawn from the library itself.

BM25 over Chinese needs words. :class:`Segmenter` wraps rjieba (a Rust port of
jieba, deterministic and fast) and adds the library's own vocabulary
(:func:`library_words`): the Chinese titles and short titles of its sources,
terms the documents define ("X是指…", 以下简称“X”), the documents' short
headings, and frequent character n-grams — never a hand-written list of
answers. Search mode emits a long word and its parts ("抽样合格率" → 抽样,
合格, 合格率, 抽样合格率), so a query word matches either granularity.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
_DEFINED = re.compile(
    r"([\u3400-\u9fff]{2,12})(?:[,，]\s*)?(?:是指|指的是)|以下(?:简)?称[“\"]([\u3400-\u9fff]{2,12})[”\"]|"
    r"[“\"]([\u3400-\u9fff]{2,10})[”\"]"
)
_HEADING = re.compile(r"^\s*(?:第[一二三四五六七八九十百零〇\d]+[章节条]|[一二三四五六七八九十]+、|"
                      r"[（(][一二三四五六七八九十]+[)）]|"
                      r""
                      r"\d+(?:\.\d+)*\.?)\s*([\u3400-\u9fff]{2,12})[。]?\s*$", re.M)
_EDGE = frozenset("的了和与及等在是对为以并应或其之而也都将被把由从向于就")
STOP_WORDS = frozenset(
    "的 了 和 与 及 或 等 在 是 对 为 以 并 应 其 之 而 也 都 将 被 把 由 从 向 于 就 要 有 该 这 那 个 些 "
    "哪些 什么 多少 何时 如何 怎么 怎样 是否 吗 呢 哪个 哪 几 谁 一个 这个 那个 有关 相关 进行 可以 应当 "
    "方面 问题 要求 规定 提出 主要 具体".split()
)
MIN_NGRAM_COUNT = 4
MIN_NEIGHBOURS = 3
MAX_NGRAMS = 3000


def frequent_ngrams(texts: Iterable[str], sizes: tuple[int, ...] = (3, 4, 5, 6)) -> list[str]:
    """Frequent character n-grams that behave like words, most frequent first.

    An n-gram is kept when it occurs at least :data:`MIN_NGRAM_COUNT` times, does not
    start or end with a function character ("的", "和", …), and is free on both sides:
    at least :data:`MIN_NEIGHBOURS` different characters (or text boundaries) precede and
    follow it — a fragment of a longer word ("人信息保" is always followed by "护") is not.
    """
    counts: Counter[str] = Counter()
    left: dict[str, set[str]] = {}
    right: dict[str, set[str]] = {}
    for text in texts:
        for run in _CJK_RUN.findall(text):
            padded = f"\x00{run}\x01"
            for size in sizes:
                for i in range(1, len(padded) - size):
                    gram = padded[i : i + size]
                    counts[gram] += 1
                    left.setdefault(gram, set()).add(padded[i - 1] if padded[i - 1] != "\x00" else f"^{i}")
                    right.setdefault(gram, set()).add(padded[i + size] if padded[i + size] != "\x01" else f"${i}")
    kept = [
        g for g, n in counts.items()
        if n >= MIN_NGRAM_COUNT and g[0] not in _EDGE and g[-1] not in _EDGE
        and len(left[g]) >= MIN_NEIGHBOURS and len(right[g]) >= MIN_NEIGHBOURS
    ]
    return sorted(kept, key=lambda g: (-counts[g], g))[:MAX_NGRAMS]


def library_words(texts: Iterable[str], titles: Iterable[str] = ()) -> list[str]:
    """The library's own Chinese vocabulary: titles, defined terms, short headings, frequent n-grams.

    Args:
        texts: the stored texts (or chunk texts) of the library.
        titles: source titles and aliases (their Chinese runs are added whole).

    Returns:
        Sorted distinct words of two or more characters.
    """
    texts = list(texts)
    words: set[str] = set()
    for title in titles:
        words.update(run for run in _CJK_RUN.findall(title) if 2 <= len(run) <= 20)
    for text in texts:
        for match in _DEFINED.finditer(text):
            words.update(g for g in match.groups() if g)
        words.update(match.group(1) for match in _HEADING.finditer(text))
    words.update(frequent_ngrams(texts))
    return sorted(w for w in words if len(w) >= 2)


class Segmenter:
    """rjieba with the library's words added (see :func:`library_words`)."""

    def __init__(self, words: Iterable[str] = ()) -> None:
        """Start from rjieba's dictionary and add ``words``."""
        import rjieba

        self.words = sorted(set(words))
        self._jieba = rjieba.Jieba()
        for word in self.words:
            self._jieba.add_word(word, None, None)

    def words_of(self, run: str) -> list[str]:
        """Search-mode words of one run of Chinese characters, stop words dropped."""
        return [w for w in self._jieba.cut_for_search(run, hmm=False) if w.strip() and w not in STOP_WORDS]


_DEFAULT: Segmenter | None = None


def default_segmenter() -> Segmenter:
    """A segmenter with rjieba's own dictionary only (for short texts such as questions), built once."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Segmenter()
    return _DEFAULT
