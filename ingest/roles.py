"""Sentence roles: what each sentence of a chunk is (a heading, a recital, a footnote, body text, …).

Answers quote sentences, and a good answer never quotes a section heading, a
bibliography entry, a footnote, a preambular "Recalling …" clause or press
boilerplate unless the question asks for one. :func:`tag_chunks` splits every
chunk into sentences and gives each one role; the roles are stored with the
chunk (``Chunk.sentences``) at ingest, so answering reads them instead of
guessing again.

Roles: ``heading``, ``toc`` (table of contents), ``preamble`` (enacting
clause, addressee block), ``recital`` ("Recalling …", "Whereas …"),
``table`` (cells of a table run together: "…风险4.2.1 (a) 实施…风险4.2.1 (b)", "MS-2.10-002"),
``reference`` (bibliography, normative references), ``footnote``,
``signature`` (signature, contact and issuer blocks), ``boilerplate``
(datelines, "FOR IMMEDIATE RELEASE", sharing links, translator credits),
``list_item`` and ``body``.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ingest.models import Chunk, Source
from ingest.sentences import split_sentences

ROLES = (
    "heading", "toc", "table", "preamble", "recital", "reference", "footnote", "signature", "boilerplate",
    "list_item", "body",
)
NOT_QUOTED = frozenset(
    {"heading", "toc", "table", "preamble", "recital", "reference", "footnote", "signature", "boilerplate"}
)
"""Roles an answer does not quote unless the question asks for them."""

_TERMINAL = tuple(".;!?。；！？:：”\"")
_HEADING = re.compile(
    r"^(?:#{1,6}\s|(?:Sec(?:tion)?\.?|Article|PILLAR|Pillar|PART|Part|APPENDIX|Appendix|Chapter|CHAPTER|Annex|ANNEX)"
    r"\s+[\dIVXA-Z]+\b|第[一二三四五六七八九十百零〇\d]+[章节条]|[一二三四五六七八九十]+、|[(（][一二三四五六七八九十]+[)）]|"
    r"附录\s*[A-Z]|\d+(?:\.\d+)*\.?\s*\S)"
)
_TOC = re.compile(r"(?:\.\s?){5,}\s*\d+\s*$|^(?:table of contents|contents|目\s*录)$", re.I)
_TABLE_REF = re.compile(r"\d\.\d\.\d\s*(?:\([a-z]\))+")
_TABLE_ID = re.compile(r"[A-Z]{2}-\d+(?:\.\d+)*-\d{3}|Action ID.*|[A-Z]{2,4} \d+\.\d+")
_TABLE_ID_ANYWHERE = re.compile(r"\b[A-Z]{2}-\d+(?:\.\d+)*-\d{3}\b|\d\.\d\.\d\s*\([a-z]\)")
_PREAMBLE = re.compile(
    r"^By the authority vested in me|it is hereby (?:ordered|directed)|^NOW, THEREFORE|^MEMORANDUM FOR\b|"
    r"^The General Assembly,?$|^SUBJECT:|^Distr\.:|^Agenda item \d+|^Resolution adopted by the General Assembly",
    re.I,
)
_RECITAL = re.compile(
    r"^(?:Recalling|Reaffirming|Recognizing|Recognising|Noting|Acknowledging|Welcoming|Emphasizing|Emphasising|"
    r"Stressing|Bearing in mind|Mindful|Aware|Conscious|Convinced|Deeply concerned|Concerned|Taking note|"
    r"Expressing|Underlining|Underscoring|Highlighting|Considering|Guided by|Determined|Desiring|Affirming|"
    r"Whereas)\b"
)
_REFERENCE = re.compile(
    r"^[A-Z][A-Za-z'’-]+,\s+(?:[A-Z]\.\s?){1,3}(?:,|\s(?:et al|and|&))|^[A-Z][\w'’-]+ et al\.? \(?\d{4}|"
    r"\(\d{4}[a-z]?\)\s+[A-Z“\"].{5,200}(?:https?://|doi|arXiv|Journal|Proceedings|Conference)|"
    r"^(?:GB/T|GB|ISO/IEC|ISO|IEC|TC260-PG)[\s\d/\-—.:]+.{2,80}$|^https?://\S+$"
)
_REFERENCE_SECTION = re.compile(r"\b(?:references|bibliography|works cited|endnotes)\b|参考文献|规范性引用文件", re.I)
# "中华人民共和国网络安全法(2016年11月7日…通过)": a list of laws with their adoption notes.
_LAW_CITATION = re.compile(r"[（(]\d{4}年\d{1,2}月\d{1,2}日[^）)]{0,60}(?:通过|公布|发布|修订|修正)|(?:通过|公布|修订|"
                           r"修正)[）)]")
_REFERENCE_LIST_START = re.compile(r"^(?:参考文献|规范性引用文件)|^(?:References|Bibliography|"
                                   r"Works Cited)\b[:\s]+(?=[A-Z\d\[])")
_FOOTNOTE = re.compile(r"^\d{1,3}\s+(?:[A-Z][a-z]+|“|\"|See\b|https?://)|^\*\s*[A-Z]|^\[\d+\]\s")
_SIGNATURE = re.compile(
    r"^(?:[A-Z][A-Z.\s]{3,40}(?:JR\.|SR\.)?|THE WHITE HOUSE,?|###|Media Contact:?.*|Contact:.*|Press Office.*|"
    r"(?:Tel|Phone|Email|E-mail|Fax)\b.*|[\w.+-]+@[\w-]+\.[\w.]+)$"
)
_BOILERPLATE = re.compile(
    r"^(?:FOR IMMEDIATE RELEASE|Download(?: as)? PDF|Share(?: this)?|Print|Subscribe|Related|Tags?:|Source:|"
    r"Translator:|Publication:|Read the full|Click here|Page \d+ of \d+|Published:?|Updated:?|Briefing Room|"
    r"Presidential Actions|Statements and Releases|Fact Sheets|Office of Congressional and Public Affairs|"
    r"\(?Release Date|Distr\.|\*\d+\*|\d{2}-\d{5} \(E\)|(?:[\w-]+\s+)?\d{1,3}/\d{1,3}(?:\s+[\w-]+)?$|"
    r"United Nations A/RES/\S+$)",
    re.I,
)
_DATELINE_ONLY = re.compile(r"^(?:[A-Z][A-Za-z.]+(?:,\s*[A-Z][A-Za-z.]+)?\s*[—–-]+\s*)?(?:" +
                            r"(?:January|February|March|April|May|June|July|August|September|October|November|"
                            r"December)\s+\d{1,2},\s+\d{4}|\d{4}年\d{1,2}月\d{1,2}日)\.?$")
_LIST_ITEM = re.compile(
    r"^(?:[-•*▪●◦]\s|\((?:[a-z]{1,2}|[ivx]+|\d+)\)\s?|[a-z]\)\s?|\d+[.)]\s|[(（][一二三四五六七八九十\d]+[)）]|"
    r"[一二三四五六七八九十]+、|——)"
)


def sentence_role(
    sentence: str, section: str = "", first_in_source: bool = False, position: float = 0.5, in_table: bool = False
) -> str:
    """The role of one sentence (see the module docstring).

    Args:
        sentence: the sentence text as stored.
        section: the heading path of the chunk it belongs to (a "References" section makes entries references).
        first_in_source: whether it opens the document (title lines are headings there).
        position: where it starts in the document, 0 (start) to 1 (end): an upper-case line is an
            addressee line near the start and a signature near the end.
        in_table: its chunk is mostly table cells (short fragments there are cells, not headings).

    Returns:
        One of :data:`ROLES`.
    """
    text = " ".join(sentence.split())
    if not text:
        return "body"
    cjk = bool(re.search(r"[\u3400-\u9fff]", text))
    words = len(text) // 2 if cjk else len(text.split())
    if _TOC.search(text):
        return "toc"
    if len(_TABLE_REF.findall(text)) >= 2 or _TABLE_ID.fullmatch(text):
        return "table"
    if _PREAMBLE.search(text):
        return "preamble"
    if _BOILERPLATE.search(text) or _DATELINE_ONLY.match(text):
        return "boilerplate"
    if _RECITAL.match(text):
        return "recital"
    if _REFERENCE.search(text) or (_REFERENCE_SECTION.search(section) and words < 60):
        return "reference"
    if _REFERENCE_LIST_START.match(text) or len(_LAW_CITATION.findall(text)) >= 2:
        return "reference"
    if _FOOTNOTE.match(text) and not re.match(r"^\d{1,3}\s+(?:days?|percent|months?)\b", text):
        return "footnote"
    if _SIGNATURE.match(text) and words <= 8:
        return "preamble" if position < 0.1 and text.isupper() else "signature"
    if in_table and words <= 12 and not text.endswith((".", "。", ";", "；")):
        return "table"
    if _is_heading(text, words, cjk, first_in_source):
        return "heading"
    if _LIST_ITEM.match(text):
        return "list_item"
    return "body"


def _is_heading(text: str, words: int, cjk: bool, first_in_source: bool) -> bool:
    """Short lines without a sentence's end, or numbered titles ("5.4构建…体系。", "(四) “人工智能+”民生福祉")."""
    terminated = text.endswith(_TERMINAL)
    if text.startswith("#"):
        return True
    if cjk:
        if len(text) <= 30 and not re.search(r"[，,。；;：:]", text[:-1]) and _HEADING.match(text):
            return True
        return len(text) <= 25 and not terminated and not re.search(r"[，,、]", text)
    if words <= 12 and not terminated:
        return True
    if words <= 8 and (text.isupper() or first_in_source):
        return True
    if not _HEADING.match(text) or re.search(r"\b(shall|should|must|will|is|are|be)\b", text, re.I):
        return False
    return words <= 6 or (words <= 14 and not text.endswith((".", ";", ":")))


def tag_chunks(source: Source, chunks: list[Chunk]) -> list[Chunk]:
    """Give every chunk its sentences with roles.

    Args:
        source: the parsed source (for the position of its first sentence).
        chunks: its chunks, as :func:`ingest.chunk.chunk_source` cut them.

    Returns:
        The same chunks with ``sentences`` set: ``(start, end, role)`` offsets into ``chunk.text``.
    """
    tagged = []
    length = max(1, len(source.text))
    for chunk in chunks:
        spans = split_sentences(chunk.text)
        in_table = len(_TABLE_ID_ANYWHERE.findall(chunk.text)) >= 3
        sentences = tuple(
            (
                start, end,
                sentence_role(
                    chunk.text[start:end], chunk.section, chunk.start + start == 0, (chunk.start + start) / length,
                    in_table,
                ),
            )
            for start, end in spans
        )
        tagged.append(replace(chunk, sentences=sentences))
    return tagged
