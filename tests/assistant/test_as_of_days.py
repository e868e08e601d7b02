"""Which sources count as issued on a day, for dates given to the day, the month or the year."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.retrieval.as_of import in_force_on, issued_by, relations_as_of
from ingest.models import SourceMeta
from ingest.relations import Relation, Standing


def _meta(source_id: str, day: str) -> SourceMeta:
    return SourceMeta(id=source_id, title=source_id, publisher="p", country="US", date=day, doc_type="order")


@pytest.mark.parametrize(("day", "as_of", "expected"), [
    ("2023-10-30", date(2023, 10, 30), True),
    ("2023-10-30", date(2023, 10, 29), False),
    ("2023-11", date(2023, 11, 1), True),  # issued some day that month: not after the month asked about
    ("2023-11", date(2023, 10, 31), False),
    ("2023", date(2023, 1, 1), True),
    ("2024", date(2023, 12, 31), False),
    ("", date(2020, 1, 1), None),  # no date: unknown, kept
])
def test_issued_by(day: str, as_of: date, expected: bool | None) -> None:
    assert issued_by(_meta("a", day), as_of) is expected


def test_relations_count_from_the_day_their_document_says_them() -> None:
    metas = {m.id: m for m in (_meta("old", "2023-10-30"), _meta("new", "2025-01-23"), _meta("undated", ""))}
    revokes = Relation("revokes", "old", "old", stated_in="new")
    assert relations_as_of([revokes], metas, date(2024, 6, 1)) == []
    assert relations_as_of([revokes], metas, date(2025, 1, 23)) == [revokes]
    standings = {"old": Standing("old", "revoked", revokes)}
    assert in_force_on(metas, standings, date(2025, 6, 1)) == {"new", "undated"}
    assert in_force_on(metas, {}, date(2024, 6, 1)) == {"old", "undated"}
