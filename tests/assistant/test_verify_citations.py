"""Citation references in exports, read back, and checked against a real library as its sources change."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from testsupport import make_settings, write_docs

from assistant.models import Answer, Citation, Timings
from assistant.research.citation_refs import CitedQuote, parse_csl, parse_export, parse_markdown
from assistant.research.export import Turn, to_csl_json, to_markdown
from assistant.research.verify_citations import verify_citations
from ingest.library import Library
from ingest.pipeline import ingest_paths
from policychat.errors import CitationInputError

ACCORD = (
    "---\ntitle: The Orbital Accord\npublisher: Lunar Registry Office\ncountry: INTL\ndate: 2024-03-01\n"
    "doc_type: treaty\n---\n# The Orbital Accord\n\n"
    "Every signatory must register each orbital compute cluster within thirty days of launch. Registered "
    "clusters must publish\nan annual energy report.\n\n"
    "Disputes under the accord go to a panel of three arbitrators chosen by the Lunar Registry.\n"
)
RULE = (
    "The Quillon Labelling Rule\n\n"
    "Providers of synthetic audio must embed an audible watermark in every generated clip. Providers must keep "
    "watermark keys for five years.\n"
)
REPEAL = (
    "---\ntitle: The Orbital Repeal Act\npublisher: Lunar Assembly\ncountry: INTL\ndate: 2025-06-01\n"
    "doc_type: treaty\nrelations: revokes:orbital-accord\n---\n# The Orbital Repeal Act\n\n"
    "The Lunar Assembly ends the registration duty for orbital compute clusters.\n"
)
REGISTER = "Every signatory must register each orbital compute cluster within thirty days of launch."
REPORT = "Registered clusters must publish an annual energy report."  # a line break in the stored text
DISPUTES = "Disputes under the accord go to a panel of three arbitrators chosen by the Lunar Registry."
WATERMARK = "Providers must keep watermark keys for five years."


def _cite(library: Library, source_id: str, quote: str, footnote: int, with_hash: bool = True) -> CitedQuote:
    """A passage cited the way an export states it: offsets and hash read from the library now."""
    found = re.search(r"\s+".join(map(re.escape, quote.split())), library.catalog.source(source_id).text)
    assert found is not None, quote
    content_hash = library.catalog.hashes()[source_id] if with_hash else None
    return CitedQuote(source_id, found.start(), found.end(), quote, content_hash, footnote)


def _ingest(library: Library, folder: Path) -> None:
    report = ingest_paths(library, [folder])
    assert not report.errors, report.errors


def test_a_library_that_changes_under_an_export(tmp_path: Path) -> None:
    docs = write_docs(tmp_path / "docs", {"orbital-accord.md": ACCORD, "quillon-rule.txt": RULE})
    library = Library(make_settings(tmp_path / "data"))
    _ingest(library, docs)
    cited = [_cite(library, "orbital-accord", REGISTER, 1), _cite(library, "orbital-accord", REPORT, 2),
             _cite(library, "orbital-accord", DISPUTES, 3), _cite(library, "quillon-rule", WATERMARK, 4),
             _cite(library, "quillon-rule", WATERMARK, 5, with_hash=False)]
    assert "\n" in library.catalog.source("orbital-accord").text[cited[1].start : cited[1].end]

    report = verify_citations(cited, library)
    assert report.counts == {"unchanged": 5, "moved": 0, "changed": 0, "removed": 0, "superseded": 0}
    assert report.ok and [c.hash_matches for c in report.citations] == [True, True, True, True, None]
    assert [(c.now_start, c.now_end) for c in report.citations] == [(c.start, c.end) for c in cited]

    # A paragraph inserted before the accord's text moves its quotes; one quote's words change.
    edited = ACCORD.replace("# The Orbital Accord\n\n", "# The Orbital Accord\n\nA preamble added in 2025.\n\n")
    (docs / "orbital-accord.md").write_text(edited.replace("a panel of three", "a panel of five"), encoding="utf-8")
    _ingest(library, docs)
    text = library.catalog.source("orbital-accord").text
    report = verify_citations(cited, library)
    assert report.counts == {"unchanged": 2, "moved": 2, "changed": 1, "removed": 0, "superseded": 0}
    assert not report.ok
    register, energy, disputes, watermark, unhashed = report.citations
    shift = len("A preamble added in 2025.\n\n")
    assert register.status == "moved" and (register.now_start, register.now_end) == (cited[0].start + shift,
                                                                                     cited[0].end + shift)
    assert text[register.now_start : register.now_end] == REGISTER and register.hash_matches is False
    assert energy.status == "moved" and energy.now_start == cited[1].start + shift
    assert " ".join(text[energy.now_start : energy.now_end].split()) == REPORT
    assert disputes.status == "changed" and disputes.now_start is None
    assert disputes.closest == DISPUTES.replace("three", "five") and disputes.similarity is not None
    assert disputes.similarity > 0.9 and text[disputes.closest_start : disputes.closest_end] == disputes.closest
    assert "a panel of five" in disputes.evidence
    assert (watermark.status, watermark.hash_matches, unhashed.status, unhashed.hash_matches) == (
        "unchanged", True, "unchanged", None)

    # A later document revokes the accord: its quotes that still check are superseded, naming it.
    write_docs(docs, {"orbital-repeal.md": REPEAL})
    _ingest(library, docs)
    report = verify_citations(cited, library)
    assert report.counts == {"unchanged": 2, "moved": 0, "changed": 1, "removed": 0, "superseded": 2}
    for check in report.citations[:2]:
        assert check.status == "superseded" and check.now_start is not None and check.superseded_by is not None
        assert (check.superseded_by.source_id, check.superseded_by.relation, check.superseded_by.status) == (
            "orbital-repeal", "revokes", "revoked")
        assert check.superseded_by.title == "The Orbital Repeal Act" and "orbital-repeal revokes it" in check.evidence
    assert report.citations[2].status == "changed"  # a quote that no longer checks stays changed

    # A removed source: its quotes are removed, the rest as before.
    library.remove_source("quillon-rule")
    report = verify_citations(cited, library)
    assert report.counts == {"unchanged": 0, "moved": 0, "changed": 1, "removed": 2, "superseded": 2}
    assert [c.status for c in report.citations[3:]] == ["removed", "removed"]
    assert report.citations[3].evidence == "quillon-rule is no longer in the library"
    assert report.library_generation == library.catalog.generation()


def _citation(marker: int, source: str, quote: str, start: int, content_hash: str | None = "abc123",
              **meta: str) -> Citation:
    fields = {"title": "Remarks on “Safe AI”. “Trust”", "publisher": "Office", "country": "US",
              "date": "2024-05-07", "url": None} | meta
    return Citation(marker=marker, source_id=source, chunk_id=f"{source}:0", quote=quote, start=start,
                    end=start + len(quote), page=None, content_hash=content_hash, **fields)  # type: ignore[arg-type]


TURNS = [Turn("Q1?", Answer(
    answer="One. [1] Two. [2]", abstained=False, retrieved=[], generator="extractive", timings_ms=Timings(),
    citations=[_citation(1, "rule", "It said “stop”. “Go” -- now.", 10),
               _citation(2, "act--2", "Line one\nline   two.", 0, content_hash=None, title="Act")])),
    Turn("Q2?", Answer(answer="Again. [1]", abstained=False, retrieved=[], generator="extractive",
                       timings_ms=Timings(), citations=[_citation(1, "rule", "It said “stop”. “Go” -- now.", 10)]))]


def test_exports_carry_references_that_read_back() -> None:
    markdown = to_markdown(TURNS, "Memo")
    assert markdown.count("<!-- policychat:cite ") == 2 and "act--2" not in markdown.split("## References")[0]
    expected = [CitedQuote("rule", 10, 38, "It said “stop”. “Go” -- now.", "abc123", 1),
                CitedQuote("act--2", 0, 20, "Line one line two.", None, 2)]
    assert parse_markdown(markdown, "memo.md") == expected
    assert parse_export("\ufeff" + markdown, "memo.md") == expected
    pasted = "My memo.\n\n" + "\n".join(line for line in markdown.splitlines() if line.startswith("[^"))
    assert parse_markdown(pasted, "memo.md") == expected  # the footnotes alone, copied into a memo
    csl = to_csl_json(TURNS)
    from_csl = [CitedQuote(c.source_id, c.start, c.end, " ".join(c.quote.split()), c.content_hash, c.footnote)
                for c in parse_export(csl, "refs.json")]
    assert from_csl == expected and parse_csl(json.loads(csl), "refs.json")[1].quote == "Line one\nline   two."


@pytest.mark.parametrize(("text", "where", "field"), [
    ("# Notes\n\nNo references here.\n", "memo.md", "footnotes"),
    ("[^1]: *T*, 2024. “An export made before references.”\n", "memo.md", "footnotes"),
    ('[^2]: *T*. “q” <!-- policychat:cite {"source_id": "a", "start": 1 -->', "memo.md, footnote [^2]",
     "policychat:cite"),
    ('[^3]: *T*. “q” <!-- policychat:cite {"source_id": "a", "start": -1, "end": 4} -->', "memo.md, footnote [^3]",
     "start"),
    ('[^4]: *T*. “q” <!-- policychat:cite {"source_id": "a", "start": 5, "end": 5} -->', "memo.md, footnote [^4]",
     "end"),
    ('[^5]: *T*. no quote <!-- policychat:cite {"source_id": "a", "start": 1, "end": 5} -->',
     "memo.md, footnote [^5]", "quote"),
    ('[^6]: *T*. “q” <!-- policychat:cite {"start": 1, "end": 5} -->', "memo.md, footnote [^6]", "source_id"),
    ('x <!-- policychat:cite {"source_id": "a", "content_hash": 7, "start": 1, "end": 5} -->',
     "memo.md, line 1", "quote"),
    ('[{"id": "a", "custom": {"policychat": [{"start": 1, "end": 5}]}}]', "memo.md, item 0 ('a'), passage 0",
     "quote"),
    ('[{"id": "a", "custom": {"policychat": [{"start": 1, "end": 5, "quote": "q", "content_hash": 7}]}}]',
     "memo.md, item 0 ('a'), passage 0", "content_hash"),
    ('[{"id": "a", "title": "no passages"}]', "memo.md", "custom.policychat"),
    ('{"id": "a"}', "memo.md", "items"),
    ("[{oops", "memo.md", "CSL-JSON"),
    ("[^1]: *T*. “q” <!-- policychat:cite " + "[" * 100_000 + " -->", "memo.md, footnote [^1]", "policychat:cite"),
    ("[" * 100_000, "memo.md", "CSL-JSON"),
    ('[{"id": "a", "custom": {"policychat": [{"start": 1, "end": 5, "quote": "q\\ud800"}]}}]',
     "memo.md, item 0 ('a'), passage 0", "quote"),
])
def test_unreadable_references_name_the_place_and_field(text: str, where: str, field: str) -> None:
    with pytest.raises(CitationInputError) as raised:
        parse_export(text, "memo.md")
    assert (raised.value.where, raised.value.field) == (where, field)
    assert str(raised.value).startswith(f"{where}: {field}: ")
