"""An article quoted beside its translation: the library's original and translated texts of one work.

When an answer quotes a sentence of a translated work (the Interim Measures in
Chinese and in the CASI English translation), the same article in the other
language follows it, cited to that source — so an English reader sees the
translation of a Chinese quote, and a Chinese question answered in Chinese also
shows the English text (:class:`assistant.retrieval.knowledge.ArticleIndex` aligns them by
article number).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from assistant.core.lang import language_data
from assistant.models import DraftSentence, Passage
from ingest.roles import NOT_QUOTED

MAX_PAIRS = 2


def _first_sentence_of_article(chunk, number: int, articles) -> tuple[int, int] | None:
    """The first quotable sentence of article ``number`` in ``chunk``."""
    for start, end, role in chunk.sentences:
        if role in NOT_QUOTED or end - start < 8:
            continue
        if articles.article_at(chunk.chunk_id, start) == number:
            return start, end
    return None


def with_translations(
    sentences: list[DraftSentence], passages_in: Sequence[Passage], articles: Any
) -> list[DraftSentence]:
    """``sentences`` with the counterpart article after each of the first two quotes from a translated work.

    Args:
        sentences: a part's draft sentences.
        passages_in: the answer's passages (the counterpart must be one of them).
        articles: the library's :class:`~assistant.retrieval.knowledge.ArticleIndex` (None: no translated works).
    """
    if articles is None or not articles.markers:
        return sentences
    passages = {p.chunk_id: p for p in passages_in}
    out: list[DraftSentence] = []
    pairs = 0
    shown = {(s.chunk_id, s.start) for s in sentences}
    for sentence in sentences:
        out.append(sentence)
        if pairs >= MAX_PAIRS or sentence.chunk_id not in passages or sentence.start is None:
            continue
        if sentence.note or sentence.derived:
            continue  # a lead line's own sentence follows it; the translation goes after that
        passage = passages[sentence.chunk_id]
        found = articles.counterpart(passage.chunk.source_id, sentence.chunk_id, sentence.start)
        number = articles.article_at(sentence.chunk_id, sentence.start)
        if found is None or number is None or found[1] not in passages:
            continue
        other = passages[found[1]].chunk
        span = _first_sentence_of_article(other, number, articles)
        if span is None or (other.chunk_id, span[0]) in shown:
            continue
        text = other.text[span[0] : span[1]]
        chinese = len(re.findall(r"[\u3400-\u9fff]", text)) > 0.3 * len(text)
        label = language_data("zh" if chinese else "en").messages.translation_label
        out.append(DraftSentence(other.text[span[0] : span[1]], other.chunk_id, span[0], span[1], prefix=label))
        shown.add((other.chunk_id, span[0]))
        pairs += 1
    return out
