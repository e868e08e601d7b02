"""Comparisons over whatever the question names: two documents, two countries, two years.

Detected by a comparing cue ("compare", "differ", "versus", "对比", "有何不同").
:func:`comparison_sides` reads the sides from the analysis: each document (or
translated work) the question names is a side; each country it names that no
named document already speaks for is a side (its sources are that country's);
a document it names that the library does not hold is a side without sources
(answered by a note); failing all, two years it names are sides. US and
China is one case among these, not the rule. Each side is searched by topic
(the question without the side names and comparing words) among its own sources,
and answered by its best-ranked candidate, labelled with the side's name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.core.analysis import Part, QuestionAnalysis, Side
from assistant.core.kinds import BaseKind, Pass, Reading, register
from assistant.core.lang import all_languages
from assistant.core.parts import PartContext, PartDraft, sentence_of, support
from assistant.models import DraftSentence
from assistant.retrieval.knowledge import display_name
from ingest.directory import DocumentDirectory

MAX_SIDES = 4


def comparison_sides(question: str, analysis: QuestionAnalysis, directory: DocumentDirectory | None
                     ) -> tuple[Side, ...]:
    """The sides ``question`` compares (fewer than two: no comparison sides); part of reading the question."""
    if directory is None:
        return ()
    metas = directory.metas
    messages = analysis.lang.messages
    sides: list[Side] = []
    covered: set[str] = set()
    for ref in analysis.doc_refs:
        if ref in covered or ref not in metas:
            continue
        work = directory.same_work(ref) & set(metas)
        covered |= work
        in_language = [i for i in work if metas[i].language == analysis.language]
        meta = metas[directory.primary(in_language or work) or ref]
        sides.append(Side(short_name(display_name(meta)), frozenset(work), meta.country))
    side_countries = {s.country for s in sides}
    for data in all_languages():
        for code, pattern in data.countries.items():
            if code in side_countries or not pattern.search(question):
                continue
            sources = frozenset(i for i, m in metas.items() if m.country == code and i not in covered)
            if sources:
                sides.append(Side(messages.country_names.get(code, code), sources, code))
                side_countries.add(code)
    if len(sides) == 1 and sides[0].source_ids & set(analysis.doc_refs):
        sides += _absent_documents(question, analysis, directory)
    if len(sides) < 2:
        years = sorted(set(re.findall(r"(?<!\d)(?:19|20)\d{2}(?!\d)", question)))
        dated = [Side(year, frozenset(i for i, m in metas.items() if m.date.startswith(year))) for year in years]
        dated = [s for s in dated if s.source_ids]
        if len(dated) >= 2:
            sides = dated
    return tuple(sides[:MAX_SIDES]) if len(sides) >= 2 else ()


def _absent_documents(question: str, analysis: QuestionAnalysis, directory: DocumentDirectory) -> list[Side]:
    """Documents the comparison names that the library does not hold ("the G7 code of conduct").

    They become sides without sources: the answer shows the other side and says this one is not in the library.
    """
    lang = analysis.lang
    pair = lang.compared_pair.search(question)
    if pair is None:
        return []
    absent = []
    for named in (pair.group("a"), pair.group("b")):
        named = named.strip(" \"'“”《》")
        if directory.resolve(named) or not lang.document_name.search(named):
            continue  # the library holds it, or it is not a document's name
        if any(p.search(named) for data in all_languages() for p in data.countries.values()):
            continue
        absent.append(Side(named, frozenset()))
    return absent[:1]


LABEL_WORDS = 6


def short_name(name: str) -> str:
    """A side's label, from a document's name.

    The document's symbol ("A/RES/78/265"), else its name up to its first comma or parenthesis
    ("…暂行办法, Chinese original" -> "…暂行办法"), at most six words ("Interim Measures for the Management of…").
    """
    symbol = re.match(r"(?=\S*\d)(?=\S*[A-Za-z])\S+[/-]\S+(?=\s)", name)
    if symbol:  # "A/RES/78/265 Seizing the opportunities of safe, …" is known by its symbol
        return symbol.group(0)
    short = re.split(r"\s*[,，(（]", name, maxsplit=1)[0].strip() or name
    words = short.split()
    return " ".join(words[:LABEL_WORDS]) + "…" if len(words) > LABEL_WORDS else short


def topic_of(analysis: QuestionAnalysis) -> str:
    """The question's focus without side names and comparing words: what each side is searched for."""
    topic = " ".join(part.focus for part in analysis.parts)
    for data in all_languages():
        for pattern in data.countries.values():
            topic = pattern.sub(" ", topic)
        topic = data.comparison.sub(" ", topic)
    for side in analysis.sides:
        topic = re.sub(re.escape(side.label), " ", topic, flags=re.I)
    topic = " ".join(re.sub(r"[’']s\b", " ", topic).split())
    return topic if len(topic.split()) >= 2 or re.search(r"[\u3400-\u9fff]", topic) else analysis.query


class Comparison(BaseKind):
    """A part comparing two or more sides."""

    name = "comparison"
    priority = 8

    def detect(self, reading: Reading) -> float:
        """A comparing cue, unless the part opens by asking for a fact ("Who said there is no difference …")."""
        lang = reading.lang
        if lang.factoid_opening.search(reading.text) or not lang.comparison.search(reading.text):
            return 0.0
        return 0.85

    def passes(self, part: Part, analysis: QuestionAnalysis) -> Sequence[Pass]:
        """Each side searched by topic among its own sources."""
        topic = topic_of(analysis)
        return [Pass("side", tuple(sorted(side.source_ids)), topic, side.label) for side in analysis.sides
                if side.source_ids]

    def structural(self, context: PartContext) -> PartDraft | None:
        """A comparison whose sides are documents or countries of the library is answered side by side.

        A side without a passage is named in a note after the answer.
        """
        return self.compose(context)

    def compose(self, context: PartContext) -> PartDraft | None:
        """Per side: its best-ranked candidate labelled with the side's name, and one more sentence."""
        sides = context.analysis.sides
        if not sides:
            return None
        sentences: list[DraftSentence] = []
        for side in sides:
            ranked = [r for r in context.selection.within(side.source_ids) if not r.candidate.lead_in]
            if not ranked:
                continue
            best = ranked[0].candidate
            sentences.append(sentence_of(best, prefix=f"{side.label}:"))
            extra = support(ranked, [best], [best.text], 1)
            sentences += [sentence_of(c) for c in extra]
            sentences[-1].break_after = True
        return PartDraft(sentences) if sentences else None


register(Comparison())
