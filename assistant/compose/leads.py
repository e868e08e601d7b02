"""Direct leads: the asked-for fact first, as a short line built from the cited sentence's own words.

A :class:`Lead` names the candidate sentence it comes from and the verbatim
phrase(s) it states: a date, a number with its unit, a body's name, "Yes"/"No"
with the deciding clause, a person's role, a definition. Only the small
template words in ``prefix`` ("No:", "United States:") are not copied from the
passage; the verifier checks the rest like any quoted sentence.

This module has the lead type and the leads of dates of named documents, yes/no
questions, definitions and who-is questions; the factoid lead (the typed fact a
question asks for) is in :mod:`assistant.compose.factoid`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.compose.candidates import Candidate
from assistant.question import QuestionAnalysis
from ingest.keywords import tokenize
from ingest.spans import find_spans

SCAN = 14
"""How many of the best candidates a lead is looked for in."""


@dataclass
class Lead:
    """The opening line of an answer, drawn from one candidate sentence."""

    candidate: Candidate
    text: str
    prefix: str = ""

    @property
    def line(self) -> str:
        """The lead as shown (before its citation marker)."""
        return f"{self.prefix} {self.text}".strip()


_ISSUED = re.compile(
    r"\b(sign|signed|issue|issued|adopt|adopted|publish|published|release|released|announce|announced|"
    r"come out|came out|put out|dated?)\b|印发|发布|公布|通过|签署|出台",
    re.I,
)


def document_date_lead(analysis: QuestionAnalysis, candidates: list[Candidate], dates: dict[str, str]) -> Lead | None:
    """"When was <named document> signed/issued?": its own dateline or signature date, as the catalog dates it.

    Args:
        analysis: the question analysis (a date factoid naming documents).
        candidates: scored candidate sentences.
        dates: ``{source id: catalog date (YYYY-MM-DD)}`` of the named documents.
    """
    if analysis.answer_type != "date" or not analysis.doc_refs or not _ISSUED.search(analysis.question):
        return None
    for candidate in candidates:
        date = dates.get(candidate.source_id, "")
        if candidate.source_id not in analysis.doc_refs or len(date) < 7:
            continue
        for span in find_spans(candidate.text, "date"):
            if same_date(span.text, date):
                return Lead(candidate, span.text)
    return None


_MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), start=1
)}


def same_date(text: str, iso: str) -> bool:
    """Whether a written date ("January 23, 2025", "23 January 2025", "2025年1月23日") is the ISO date ``iso``."""
    parts = [int(p) for p in re.findall(r"\d+", iso)]
    words = text.lower()
    numbers = [int(n) for n in re.findall(r"\d+", words)]
    month = next((i for name, i in _MONTHS.items() if name in words or name[:3] + "." in words), None)
    if "年" in text and len(numbers) >= 2:
        month = numbers[1]
    if not numbers or numbers[0 if "年" in text else -1] != parts[0]:
        return False
    if len(parts) >= 2 and month is not None and month != parts[1]:
        return False
    day = numbers[2] if "年" in text and len(numbers) >= 3 else next((n for n in numbers if n <= 31), None)
    return not (len(parts) >= 3 and day is not None and day != parts[2])


_NEGATION = re.compile(
    r"\b(?:not|no|never|neither|nor|none|without|cannot|can't|doesn't|don't|isn't|aren't|won't|shall not|"
    r"may not|must not|does not|do not|is not|are not|will not|non-\w+)\b|不得|不|无需|无须|未|非|禁止|没有",
    re.I,
)
_ANTONYMS = [
    ({"mandatori", "requir", "compulsori", "oblig", "bind", "enforc"}, {"voluntari", "option", "non-bind", "nonbind"}),
    ({"legal", "lawful", "allow", "permit"}, {"illeg", "unlaw", "prohibit", "ban", "forbidden"}),
    ({"includ", "cover"}, {"exclud"}),
    ({"enforc"}, {"not enforc"}),
]


def yes_no_lead(analysis: QuestionAnalysis, candidates: list[Candidate]) -> Lead | None:
    """"Yes"/"No" with the deciding clause, when one sentence clearly decides.

    "No" needs an antonym of the question's predicate ("mandatory" vs "voluntary") or a
    negation next to a focus word; "Yes" needs nearly all of the focus stated without negation.
    """
    if not candidates:
        return None
    question_tokens = set(tokenize(analysis.question))
    for candidate in candidates[:SCAN]:
        tokens = set(tokenize(candidate.text))
        for positive, negative in _ANTONYMS:
            if question_tokens & positive and tokens & negative:
                return Lead(candidate, _clause_through(candidate.text, negative), "No:")
            if question_tokens & negative and tokens & positive:
                return Lead(candidate, _clause_through(candidate.text, positive), "No:")
    best = candidates[0]
    clause = _deciding_clause(best.text, question_tokens)
    if analysis.focus_terms and best.focus >= 0.75:
        if _NEGATION.search(clause) and not _NEGATION.search(analysis.question):
            return Lead(best, clause, "No:")
        if best.focus >= 0.9 and not _NEGATION.search(clause):
            return Lead(best, clause, "Yes:")
    return None


def _clause_through(text: str, terms: set[str]) -> str:
    """The sentence from its start through the clause holding one of ``terms`` ("…, the Playbook is voluntary")."""
    for match in re.finditer(r"[\w'’-]+", text):
        if set(tokenize(match.group())) & terms:
            stop = re.search(r"[,;；，]|\s(?:and|but|which|while|providing)\s", text[match.end() :])
            end = match.end() + (stop.start() if stop else len(text) - match.end())
            clause = text[:end].rstrip(" .;,")
            if len(clause.split()) <= 25:
                return clause
            return _deciding_clause(text, terms)
    return text.rstrip(" .")


def _deciding_clause(text: str, question_tokens: set[str]) -> str:
    """The comma- or semicolon-delimited part of ``text`` that shares the most question terms."""
    parts = [p.strip() for p in re.split(r"(?<=[,;；，])\s*", text) if p.strip()]
    if len(parts) <= 1:
        return text.rstrip(" .;。")
    best = max(range(len(parts)), key=lambda i: (len(set(tokenize(parts[i])) & question_tokens), -i))
    clause = parts[best]
    if len(clause.split()) < 6 and best > 0:
        clause = f"{parts[best - 1]} {clause}"
    return clause.rstrip(" ,;.，；。")


_DEFINING = re.compile(
    r"\b(?:means|mean|refers? to|is defined as|are defined as|is (?:a|an|the|any)|are (?:a|an|the|any)|"
    r"is intended to|describes?|consists? of|denotes)\b|“[^”]{2,60}”\s*(?:or\s+“[^”]{1,20}”\s*)?(?:means|"
    r"has the meaning)|"
    r"是指|指的是|，是指|是.{0,4}的(?:模型|技术|组织|个人|行为)",
    re.I,
)


def definition_candidate(analysis: QuestionAnalysis, candidates: list[Candidate]) -> Candidate | None:
    """The sentence that defines the focus term ("The term X means …", "X是指 …"), if retrieved."""
    focus = analysis.focus_terms
    best: tuple[float, Candidate] | None = None
    for candidate in candidates[:30]:
        match = _DEFINING.search(candidate.text)
        if not match:
            continue
        head = set(tokenize(candidate.text[: match.start() + 1]))
        term_cover = len(head & focus) / len(focus) if focus else 0.0
        if term_cover < 0.5:
            continue
        score = candidate.score + 0.5 * term_cover + (0.2 if re.search(r"the term|means|是指", candidate.text) else 0)
        if best is None or score > best[0]:
            best = (score, candidate)
    return best[1] if best else None


def who_lead(analysis: QuestionAnalysis, candidates: list[Candidate]) -> Lead | None:
    """"Name: role" for "Who is X?", from an apposition ("X, Director of …") or a title before the name."""
    name = re.sub(r"^(?:who(?:'s| is| was| are)\s+)", "", analysis.question.strip(), flags=re.I)
    name = re.sub(r"\s*\(.*?\)|[?？。.]+$", "", name).strip()
    name = re.sub(r"\s+(?:in|under|according to|per|from)\s+(?:the\s+)?[A-Z][\w .'’-]*$", "", name).strip()
    name = re.sub(r"^(?:the|a|an)\s+", "", name, flags=re.I)
    words = [w for w in re.findall(r"[\w'’-]+", name) if len(w) > 1]
    if not words or len(words) > 6:
        return None
    pattern = re.compile(r"\b" + r"\s+".join(re.escape(w) for w in words) + r"\b", re.I)
    for candidate in candidates[:SCAN]:
        match = pattern.search(candidate.text)
        if not match:
            continue
        found = candidate.text[match.start() : match.end()]
        after = re.match(r"\s*,\s*((?:the\s+|former\s+|a\s+)?[A-Z][^,;.]{3,120})", candidate.text[match.end() :])
        if after:
            return Lead(candidate, f"{found}, {after.group(1).strip()}")
        # "The Director of NSA, as the National Manager for NSS, …": the role is named before "as the".
        holder = re.search(r"((?:the\s+)?[A-Z][\w .'’&-]{2,80}),\s+(?:acting\s+)?as\s+(?:the\s+)?$",
                           candidate.text[: match.start()])
        if holder:
            return Lead(candidate, f"{found}: {holder.group(1).strip()}")
        before = re.search(r"((?:[A-Z][\w.&’'-]*\s+(?:(?:and|of|for|on|"
                           r"the)\s+)?){1,8})$", candidate.text[: match.start()])
        if before and len(before.group(1).split()) >= 1 and not before.group(1).strip().endswith((".", ",")):
            title = before.group(1).strip()
            if title.split()[0] in {"The", "This", "That", "In", "On", "At", "By"}:
                title = " ".join(title.split()[1:])
            if title:
                return Lead(candidate, f"{found}: {title}")
    return None
