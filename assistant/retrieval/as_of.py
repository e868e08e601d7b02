"""The library as of a date: which sources existed and were in force, and what had been said about them by then.

A source counts as issued by ``as_of`` when its catalog date is on or before it; a
date given only to the month or year ("2023-11") counts as issued when that month or
year is not after ``as_of``'s. A source without a date is kept (its standing on the
date is unknown). Relations count from the date of the document that states them, so
"revoked" on 1 June 2025 needs a revoking document dated on or before that day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from ingest.models import SourceMeta, date_to_int
from ingest.relations import NOT_IN_FORCE, Relation, Standing, statuses


def issued_by(meta: SourceMeta, as_of: date) -> bool | None:
    """Whether ``meta``'s source had been issued on ``as_of``; None when its date is unknown.

    Args:
        meta: the source (its ``date`` is ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, or empty).
        as_of: the day asked about.

    Returns:
        True/False, or None for a source without a readable date.
    """
    issued = date_to_int(meta.date)
    if issued == 0:
        return None
    day = as_of.year * 10000 + as_of.month * 100 + as_of.day
    if issued % 100 == 0:  # no day given: compare to the month (or, with no month either, the year)
        day -= day % 100
        if issued % 10000 == 0:
            day -= day % 10000
    return issued <= day


def relations_as_of(relations: Sequence[Relation], metas: Mapping[str, SourceMeta], as_of: date) -> list[Relation]:
    """The relations stated by documents issued by ``as_of`` (catalog-stated relations have no date and count).

    Args:
        relations: every relation of the library.
        metas: every source by id.
        as_of: the day asked about.
    """
    kept = []
    for relation in relations:
        stater = metas.get(relation.stated_in)
        if relation.origin == "catalog" or stater is None or issued_by(stater, as_of) is not False:
            kept.append(relation)
    return kept


def standings_as_of(
    metas: Iterable[SourceMeta], relations: Sequence[Relation], as_of: date,
) -> tuple[list[Relation], dict[str, Standing]]:
    """What the library had said by ``as_of``: the relations stated by then, and each source's standing from them.

    Returns:
        ``(relations, standings)`` as :func:`ingest.relations.statuses` builds them from the
        relations stated on or before ``as_of``.
    """
    by_id = {meta.id: meta for meta in metas}
    kept = relations_as_of(relations, by_id, as_of)
    return kept, statuses(by_id.values(), kept)


def in_force_on(metas: Mapping[str, SourceMeta], standings: Mapping[str, Standing], as_of: date) -> set[str]:
    """The sources to answer from on ``as_of``: issued by then (or undated) and not revoked, rescinded or superseded.

    Args:
        metas: every source by id.
        standings: the standings as of the same day (:func:`standings_as_of`).
        as_of: the day asked about.
    """
    allowed = set()
    for source_id, meta in metas.items():
        standing = standings.get(source_id)
        if issued_by(meta, as_of) is False or (standing is not None and standing.status in NOT_IN_FORCE):
            continue
        allowed.add(source_id)
    return allowed
