"""Sentence roles: a labelled sample of 252 corpus sentences, and the roles stored with every chunk.

The sample (tests/ingest/data/sentence_roles.jsonl) was drawn from the shared
corpus, stratified by the role the tagger gave, and labelled by reading each
sentence in its document. What matters for answers is whether a sentence is
kept out of them (headings, tables, preambles, recitals, references, footnotes,
signatures, boilerplate): that decision is checked for precision and recall,
and the precision of every role is printed.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from ingest.roles import NOT_QUOTED, ROLES, sentence_role

SAMPLE = [
    json.loads(line)
    for line in (Path(__file__).parent / "data" / "sentence_roles.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]


@pytest.fixture(scope="module")
def stored_roles(ingested: Any) -> dict[tuple[str, str], str]:
    """{(source id, sentence text): role} as ingest stored them (the roles answering reads)."""
    roles = {}
    for chunk in ingested.library.catalog.chunks():
        for start, end, role in chunk.sentences:
            roles.setdefault((chunk.source_id, " ".join(chunk.text[start:end].split())), role)
    return roles


def test_the_sample_is_large_and_labelled_with_known_roles() -> None:
    assert len(SAMPLE) >= 200
    assert {r["role"] for r in SAMPLE} <= set(ROLES)


def test_what_answers_leave_out_is_precise(
    stored_roles: dict[tuple[str, str], str], capsys: pytest.CaptureFixture[str]
) -> None:
    def _predicted(record: dict[str, Any]) -> str:
        key = (record["source_id"], " ".join(record["text"].split()))
        return stored_roles.get(key) or sentence_role(record["text"], record["section"])

    found = sum((r["source_id"], " ".join(r["text"].split())) in stored_roles for r in SAMPLE)
    assert found >= 0.8 * len(SAMPLE), f"only {found} sample sentences are still sentences of the corpus"
    predicted = [(_predicted(r) in NOT_QUOTED, r["role"] in NOT_QUOTED) for r in SAMPLE]
    left_out = [truth for guess, truth in predicted if guess]
    precision = sum(left_out) / len(left_out)
    recall = sum(guess and truth for guess, truth in predicted) / sum(truth for _, truth in predicted)
    totals, right = Counter(), Counter()
    for record in SAMPLE:
        role = _predicted(record)
        totals[role] += 1
        right[role] += role == record["role"]
    with capsys.disabled():
        print("\nrole precision:", {role: f"{right[role]}/{totals[role]}" for role in sorted(totals)})
        print(f"left out of answers: precision {precision:.3f}, recall {recall:.3f}")
    assert precision >= 0.93 and recall >= 0.9


def test_roles_of_typical_lines() -> None:
    assert sentence_role("By the authority vested in me as President by the Constitution, it is hereby ordered:") == (
        "preamble"
    )
    assert sentence_role("Reaffirming also its resolution 70/1 of 25 September 2015, entitled") == "recital"
    assert sentence_role("Ji, Z. et al (2023) Survey of Hallucination in Natural Language Generation.") == "reference"
    assert sentence_role("(四) “人工智能+”民生福祉") == "heading"
    assert sentence_role("FOR IMMEDIATE RELEASE") == "boilerplate"
    assert sentence_role("JOSEPH R. BIDEN JR.", position=0.99) == "signature"
    assert sentence_role("THE SECRETARY OF STATE", position=0.01) == "preamble"
    assert sentence_role("(a) Within 90 days of the date of this order, the Secretary shall report.") == "list_item"
    assert sentence_role("The AI RMF is intended to be voluntary and rights-preserving.") == "body"


def test_every_corpus_chunk_stores_its_sentence_roles(ingested: Any, capsys: pytest.CaptureFixture[str]) -> None:
    chunks = ingested.library.catalog.chunks()
    per_source: dict[str, Counter[str]] = {}
    for chunk in chunks:
        assert chunk.sentences, chunk.chunk_id
        assert all(0 <= a < b <= len(chunk.text) and role in ROLES for a, b, role in chunk.sentences)
        per_source.setdefault(chunk.source_id, Counter()).update(role for _a, _b, role in chunk.sentences)
    with capsys.disabled():
        print()
        for source_id, counts in sorted(per_source.items()):
            print(f"{source_id[:48]:48} {dict(counts.most_common())}")
    assert all(counts["body"] + counts["list_item"] > 0 for counts in per_source.values())
