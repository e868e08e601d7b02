"""Direct leads: the asked-for fact first, as a short line built from the cited sentence's own words.

A :class:`Lead` names the candidate sentence it comes from and the verbatim
phrase(s) it states: a date, a number with its unit, a body's name, "Yes"/"No"
with the deciding clause, a person's role, a definition. Only the small
template words in ``prefix`` ("No:", "United States:") are not copied from the
passage; the verifier checks the rest like any quoted sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from assistant.compose.candidates import Candidate
from assistant.evidence import content_tokens, key_names, mentions
from assistant.question import QuestionAnalysis
from ingest.keywords import tokenize
from ingest.spans import Span, find_spans

FOCUS_MIN = 0.3
"""A factoid's answer sentence must hold this share (IDF-weighted) of the question's focus, or be among the
few best-ranked sentences (:data:`TOP_RANKED`)."""
TOP_RANKED = 3

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


def _focus_positions(text: str, focus: frozenset[str]) -> list[int]:
    """Character offsets of the words of ``text`` whose BM25 token is a focus term."""
    positions = []
    for match in re.finditer(r"[\w'’.-]+|[\u3400-\u9fff]+", text):
        if set(tokenize(match.group())) & focus:
            positions.append(match.start())
    return positions


def _nearest(spans: list[Span], positions: list[int]) -> Span:
    """The span closest to the focus words (the first one when the sentence holds none of them)."""
    if not positions:
        return spans[0]
    return min(spans, key=lambda s: (min(abs(p - (s.start + s.end) / 2) for p in positions), s.start))


def _extend(text: str, span: Span, focus: frozenset[str], question_tokens: set[str]) -> str:
    """A number with the noun it counts ("over 90" -> "over 90 Federal policy actions")."""
    if span.type not in ("number", "quantity", "money", "percentage"):
        return span.text
    words = list(re.finditer(r"[\w'’%/-]+", text[span.end :]))[:5]
    end = span.end
    for match in words:
        if match.start() > 40:
            break
        if set(tokenize(match.group())) & (focus | question_tokens):
            end = span.end + match.end()
    return text[span.start : end].strip(" ,;:")


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


def _key_entities(analysis: QuestionAnalysis) -> list[str]:
    """Multi-word names the question is about ("Generative AI Public Working Group"), not the documents it names."""
    from ingest.aliases import normalize_name

    names = []
    # The rewrite appends the previous turn's keywords in parentheses: context, not names the answer must hold.
    own_words = re.sub(r"\s*\([^()]*\)\s*$", "", analysis.question)
    for name in key_names(own_words):
        words = name.split()
        if len(words) < 2 or any(ch.isdigit() for ch in name):
            continue
        if all(w.lower() in normalize_name(analysis.focus) for w in words):
            names.append(name)
    return names


_QUOTED = re.compile(r"(?:(?<=\s)|^)['‘“\"]([^'’”\"]{3,60})['’”\"](?=[\s?,.]|$)")


def factoid_lead(
    analysis: QuestionAnalysis,
    candidates: list[Candidate],
    doc_freq: Callable[[str], int] | None = None,
    chunk_texts: dict[str, str] | None = None,
) -> Lead | None:
    """The typed fact the question asks for, from the best sentence that holds it and the focus.

    A sentence qualifies when it holds a span of the expected type and enough of the focus.
    Returns None when none qualifies (the caller then says the library does not state it).
    """
    if analysis.answer_type is None:
        return None
    question_tokens = content_tokens(analysis.question)
    entities = _key_entities(analysis)
    quoted = [q for q in _QUOTED.findall(analysis.question) if len(q.split()) >= 2]
    eligible = []
    for rank, candidate in enumerate(candidates[:SCAN]):
        if quoted and not all(mentions(candidate.text.lower(), q) for q in quoted):
            continue  # "the 'performance density threshold'": a figure of anything else does not answer
        if entities and chunk_texts is not None:
            context = chunk_texts.get(candidate.chunk_id, candidate.text).lower()
            if not all(mentions(context, name) for name in entities):
                continue  # the question names a body the passage never mentions: a neighbour's figure
        spans = find_spans(candidate.text, analysis.answer_type)
        spans = [s for s in spans if _adds_information(s, analysis, candidate)]
        relevant = max(candidate.focus, candidate.lexical) >= FOCUS_MIN or (
            rank < TOP_RANKED and candidate.focus >= FOCUS_MIN / 2
        )
        if spans and (relevant or not analysis.focus_terms):
            eligible.append((candidate.score + 0.3 * candidate.focus, candidate, spans))
    if not eligible:
        return None
    _, best, spans = max(eligible, key=lambda e: e[0])
    focus = analysis.focus_terms | (question_tokens - {"mani", "much", "long"})
    positions = _focus_positions(best.text, frozenset(focus))
    parts = [_extend(best.text, _nearest(spans, positions), analysis.focus_terms, question_tokens)]
    plural = analysis.kind == "list" or _PLURAL.search(analysis.question)
    if analysis.answer_type in _NAMED and len(spans) > 1 and plural:
        parts = [s.text for s in spans[:6]]  # "Which chips …?": every one the sentence names
    for extra_type in analysis.secondary_types:
        extra = [s for s in find_spans(best.text, extra_type) if s.text not in parts[0]]
        if extra:
            parts.append(_extend(best.text, _nearest(extra, positions), analysis.focus_terms, question_tokens))
    return Lead(best, "; ".join(parts))


_NAMED = frozenset({"product", "body", "place", "person"})
_PLURAL = re.compile(
    r"\b(?:which|what)\s+(?:\S+\s+){0,2}(?:models|chips|gpus|accelerators|llms|processors|products|companies|firms|"
    r"agencies|bodies|departments|countries|cities|states|people|officials)\b|哪些",
    re.I,
)
_ASKS_COMPANY = re.compile(
    r"\b(?:which|what)\s+(?:\w+\s+){0,2}(?:compan(?:y|ies)|firms?|businesses|corporations?|chipmakers?|"
    r"vendors?|manufacturers?|developers?)\b|哪家|哪些(?:公司|企业)|什么(?:公司|企业)",
    re.I,
)
_GOVERNMENT = re.compile(
    r"\b(?:Secretary|Department|Office|Agency|Council|Bureau|Commission|Ministry|Administration|Congress|"
    r"Government|President|Director|Committee|Assembly|Cabinet)\b|部$|委员会|国务院|办公室|政府|局$",
)
_ASKS_CITY = re.compile(r"\b(?:which|what)\s+(?:\S+\s+){0,2}cit(?:y|ies)\b|哪个城市|哪座城市", re.I)
_COUNTRY_LIKE = re.compile(
    r"\b(?:Republic|Kingdom|States|Peninsula|Sea|Ocean|Strait|China|Korea|Japan|Russia|India|Europe|Asia|Africa|"
    r"America|Macau|Taiwan)\b"
)
_HOW_MANY = re.compile(r"\bhow many\s+(?P<rest>[^?,.;]*)", re.I)
_NOUN_PHRASE_END = frozenset(
    "did does do are is were was have has had will can could must should would in on of under per for to from with at "
    "it they we he she you the a an took got made gave held said sent put set went ran".split()
)
_NOUN_SYNONYMS = {
    "peopl": {"member", "particip", "expert", "individu", "person", "staff"},
    "countri": {"nation", "state", "economi", "destin", "jurisdict"},
    "compani": {"firm", "entiti", "busi", "develop"},
    "bodi": {"entiti", "agenc", "organ"},
    "comment": {"respons", "submiss"},
}


def _counted_noun(question: str, corrections: dict[str, str] | None = None) -> set[str] | None:
    """Stems of the noun a "how many …?" question counts ("how many UN bodies" -> {"bodi", "entiti", …})."""
    match = _HOW_MANY.search(question)
    if not match:
        return None
    phrase: list[str] = []
    for word in match.group("rest").split()[:5]:
        if word.lower() in _NOUN_PHRASE_END or (word.lower().endswith("ed") and len(word) > 4 and "-" not in word):
            break
        phrase.append(word)
    words = [w for w in phrase if w.lower() not in {"other", "more", "new", "extra"}]
    stems = {(corrections or {}).get(t, t) for t in tokenize(words[-1])} if words else set()
    if not stems:
        return None
    for stem in list(stems):
        stems |= _NOUN_SYNONYMS.get(stem, set())
    return stems


_ZH_MEASURE = re.compile(r"(?:多少|几)(?:个|款|项|家|条|名|种|类|部|件|次|位|批|所)")


def _adds_information(span: Span, analysis: QuestionAnalysis, candidate: Candidate) -> bool:
    """Whether ``span`` tells the asker something their question does not already say.

    "Which company got the first package under the American AI Exports Program?" is not
    answered by "American AI Exports Program"; "多少款服务" is not answered by a number
    that counts something other than 款.
    """
    text = span.text
    if re.search(r"[\u3400-\u9fff]", text):
        if re.sub(r"\s+", "", text) in re.sub(r"\s+", "", analysis.question):
            return False
    else:
        tokens = content_tokens(text)
        if tokens and tokens <= content_tokens(analysis.question):
            return False
    if _ASKS_COMPANY.search(analysis.question) and _GOVERNMENT.search(text):
        return False  # a company was asked for, an office or agency is no answer
    if _ASKS_CITY.search(analysis.question) and _COUNTRY_LIKE.search(text):
        return False  # a city was asked for; a country or a sea is a different answer
    counted = _counted_noun(analysis.question, dict(analysis.corrections)) if analysis.answer_type == "number" else None
    if counted and not candidate.cjk and set(tokenize(candidate.text)) & counted:
        # "How many comments?" is not answered by "three workshops, public comments on …": the sentence
        # names what was asked but counts something else. (A sentence that words it differently — "two
        # drafts" for "versions" — is left alone.)
        after = " ".join(re.findall(r"[\w'’-]+", candidate.text[span.end :])[:6])
        if not set(tokenize(f"{text} {after}")) & counted:
            return False
    measure = _ZH_MEASURE.search(analysis.question)
    if measure and analysis.answer_type == "number":
        unit = measure.group()[-1]
        return unit in text or unit in candidate.text[span.end : span.end + 2]
    return True


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
