"""Status notes: citations of sources no longer in force carry their status, and the answer says so.

After verification every citation whose source's standing is revoked, rescinded or
superseded gets that ``status``. Unless the question is explicitly historical ("What
did EO 14110 originally require?"), the answer then ends with one cited note per such
source::

    Note: Executive Order 14110 is referred to as revoked in Executive Order 14179 (2025-01-23) [3].

The note cites the sentence that states the relation (the relation's evidence), read
from the evidence chunk of the snapshot the answer came from, so ``quote`` is the exact
text at ``start:end`` of the stating source; that chunk joins the answer's passages.
A standing stated only in the catalog has no sentence to cite: its citations are
marked, and no note is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING

from assistant.core.lang import language_data
from assistant.models import Citation, Passage
from assistant.retrieval.knowledge import LibraryKnowledge, display_name
from ingest.relations import NOT_IN_FORCE, Standing

if TYPE_CHECKING:
    from assistant.core.analysis import QuestionAnalysis
    from assistant.retrieval.retrieve import Snapshot


def note_text(name: str, status: str, stater: str, date: str, marker: int, language: str = "en") -> str:
    """One note in ``language``: "Note: <name> is referred to as <status> in <stater> (<date>) [n]."."""
    messages = language_data("zh" if language == "zh" else "en").messages
    when = f" ({date})" if date else ""
    return messages.status_note.format(name=name, status=messages.words.get(status, status), stater=stater,
                                       when=when, marker=marker)


def evidence_citation(standing: Standing, snap: Snapshot, marker: int) -> Citation | None:
    """The citation of the sentence that states ``standing`` (None without evidence in ``snap``)."""
    relation = standing.evidence
    evidence = relation.evidence if relation is not None else None
    chunk = snap.chunks.get(evidence.chunk_id) if evidence is not None else None
    if evidence is None or chunk is None or chunk.source_id not in snap.metas:
        return None
    if not 0 <= evidence.start < evidence.end <= len(chunk.text):
        return None
    meta = snap.metas[chunk.source_id]
    return Citation(
        marker=marker, source_id=meta.id, title=meta.title, publisher=meta.publisher, country=meta.country,
        date=meta.date, url=meta.original_url, page=chunk.page, chunk_id=chunk.chunk_id,
        quote=chunk.text[evidence.start : evidence.end], start=chunk.start + evidence.start,
        end=chunk.start + evidence.end, content_hash=snap.hashes.get(meta.id),
    )


def _says_status(text: str, name: str, status: str, language: str) -> bool:
    """Whether ``text`` already holds the status line of a status answer for ``name`` (in ``language``)."""
    messages = language_data("zh" if language == "zh" else "en").messages
    line = messages.relation_note.format(target=name, status=messages.words.get(status, status), stated="\x00")
    return any(len(piece.strip(" .。")) > len(name) and piece.strip() in text for piece in line.split("\x00"))


def mark_and_note(
    text: str, citations: list[Citation], passages: list[Passage], snap: Snapshot, standings: Mapping[str, Standing],
    historical: bool, language: str = "en",
) -> tuple[str, list[Citation]]:
    """Set ``status`` on citations of sources not in force and append a cited note for each such source.

    Args:
        text: the verified answer text with its ``[n]`` markers.
        citations: its citations (not changed; updated copies are returned).
        passages: the answer's passages; a note's evidence chunk is appended when it is not among them,
            so every citation still points at a passage of the answer.
        snap: the snapshot the answer was read from (evidence chunks and metadata).
        standings: every source's standing (:meth:`LibraryKnowledge.standings`).
        historical: the question asks about the past on purpose: mark the citations, add no note.
        language: the question's language (the notes' language).

    Returns:
        The answer text (with the notes appended) and the citations (with the notes' citations).
    """
    def standing_of(source_id: str) -> Standing | None:
        found = standings.get(source_id)
        return found if found is not None and found.status in NOT_IN_FORCE else None

    marked = [c.model_copy(update={"status": s.status}) if (s := standing_of(c.source_id)) else c for c in citations]
    if historical:
        return text, marked
    notes: list[str] = []
    for source_id in dict.fromkeys(c.source_id for c in citations):
        standing = standing_of(source_id)
        meta = snap.metas.get(source_id)
        relation = standing.evidence if standing is not None else None
        stater = snap.metas.get(relation.stated_in) if relation is not None else None
        if standing is None or meta is None or stater is None:
            continue
        name = display_name(meta)
        if _says_status(text, name, standing.status, language):
            continue  # a status answer says it already
        cited = evidence_citation(standing, snap, len(marked) + 1)
        if cited is None:
            continue
        same = next((c for c in marked if (c.chunk_id, c.start, c.end) == (cited.chunk_id, cited.start, cited.end)),
                    None)
        if same is None:
            stater_standing = standing_of(cited.source_id)
            same = cited.model_copy(update={"status": stater_standing.status if stater_standing else None})
            marked.append(same)
            if all(p.chunk_id != cited.chunk_id for p in passages):
                passages.append(Passage(snap.chunks[cited.chunk_id], snap.metas[cited.source_id], 0.0))
        notes.append(note_text(name, standing.status, display_name(stater), stater.date, same.marker, language))
    return text + "".join(f"\n\n{note}" for note in notes), marked


def add_status_notes(
    text: str, citations: list[Citation], passages: list[Passage], snap: Snapshot, knowledge: LibraryKnowledge,
    analysis: QuestionAnalysis | None, as_of: date | None = None,
) -> tuple[str, list[Citation]]:
    """:func:`mark_and_note` with the library's standings and the question's historical flag (for the service).

    With ``as_of`` the notes still use today's standings: they say what happened to a cited
    source after that day. Citations of undated sources are then marked "unknown".
    """
    if not citations:
        return text, citations
    historical = analysis is not None and analysis.historical
    language = analysis.language if analysis is not None else "en"
    text, citations = mark_and_note(text, citations, passages, snap, knowledge.standings(snap), historical, language)
    if as_of is not None:
        citations = [c.model_copy(update={"status": "unknown"})
                     if c.status is None and c.source_id in snap.metas and not snap.metas[c.source_id].date.strip()
                     else c for c in citations]
    return text, citations
