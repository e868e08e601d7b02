"""Exports written by hand for two small answers: Markdown footnotes, BibTeX and CSL-JSON (no server)."""

from __future__ import annotations

import json

from assistant.models import Answer, Citation, Timings
from assistant.research.export import Turn, file_name, to_bibtex, to_csl_json, to_markdown


def _citation(marker: int, source: str, quote: str, start: int, page: int | None = None, **meta: str) -> Citation:
    fields = {"title": "Rule {Braces} & 50% Costs_v2", "publisher": "Office #1", "country": "US",
              "date": "2024-05-07", "url": "https://ex.org/r"} | meta
    return Citation(marker=marker, source_id=source, chunk_id=f"{source}:0", quote=quote, start=start,
                    end=start + len(quote), page=page, **fields)  # type: ignore[arg-type]


Q1 = Turn("What does the rule require?", Answer(
    answer="Vendors must file\nlogs. [1] They keep them for ten years. [2] See [3].", abstained=False,
    citations=[_citation(1, "rule", "Vendors must  file logs.", 10, page=3),
               _citation(2, "rule", "Keep them ten years.", 50, page=4)],
    retrieved=[], generator="extractive", timings_ms=Timings()))
Q2 = Turn("Who enforces it?", Answer(
    answer="Inspectors do. [1] Also the filing duty. [2]", abstained=False,
    citations=[_citation(1, "act", "Inspectors enforce it.", 0, title="Enforcement Act", publisher="",
                         date="2023", url=None),
               _citation(2, "rule", "Vendors must  file logs.", 10, page=3)],
    retrieved=[], generator="extractive", timings_ms=Timings()))

EXPECTED_MD = """# Memo

## What does the rule require?

Vendors must file
logs. [^1] They keep them for ten years. [^2] See [3].

## Who enforces it?

Inspectors do. [^3] Also the filing duty. [^1]

[^1]: *Rule {Braces} & 50% Costs_v2*, Office #1, 2024-05-07, p. 3, <https://ex.org/r>. “Vendors must file logs.” \
<!-- policychat:cite {"source_id": "rule", "start": 10, "end": 34} -->
[^2]: *Rule {Braces} & 50% Costs_v2*, Office #1, 2024-05-07, p. 4, <https://ex.org/r>. “Keep them ten years.” \
<!-- policychat:cite {"source_id": "rule", "start": 50, "end": 70} -->
[^3]: *Enforcement Act*, 2023. “Inspectors enforce it.” \
<!-- policychat:cite {"source_id": "act", "start": 0, "end": 22} -->

## References

- Office #1 (2024). *Rule {Braces} & 50% Costs_v2* [regulation]. <https://ex.org/r>
- Unknown publisher (2023). *Enforcement Act*.
"""


def test_markdown_numbers_footnotes_across_the_thread() -> None:
    assert to_markdown([Q1, Q2], "Memo", {"rule": "regulation"}) == EXPECTED_MD


def test_refusals_export_without_notes() -> None:
    refusal = Turn("Unknown?", Answer(answer="I could not find [1] support.", abstained=True, citations=[],
                                      retrieved=[], generator="extractive", timings_ms=Timings()))
    assert to_markdown([refusal]) == "## Unknown?\n\nI could not find [1] support.\n"


def test_bibtex_escapes_and_types() -> None:
    assert to_bibtex([Q1, Q2], {"rule": "standard"}) == (
        "@techreport{rule,\n"
        "  title = {{Rule \\{Braces\\} \\& 50\\% Costs\\_v2}},\n"
        "  author = {{Office \\#1}},\n"
        "  institution = {Office \\#1},\n"
        "  year = {2024},\n"
        "  month = may,\n"
        "  date = {2024-05-07},\n"
        "  url = {https://ex.org/r},\n"
        "  note = {Cited pages: 3, 4},\n"
        "  type = {standard}\n"
        "}\n"
        "\n"
        "@misc{act,\n"
        "  title = {{Enforcement Act}},\n"
        "  year = {2023}\n"
        "}\n"
    )


def test_csl_json() -> None:
    items = json.loads(to_csl_json([Q1, Q2], {"rule": "executive-order"}))
    assert items == [
        {"id": "rule", "type": "legislation", "title": "Rule {Braces} & 50% Costs_v2",
         "author": [{"literal": "Office #1"}], "publisher": "Office #1", "issued": {"date-parts": [[2024, 5, 7]]},
         "URL": "https://ex.org/r", "note": "Cited pages: 3, 4", "genre": "executive-order",
         "custom": {"policychat": [{"footnote": 1, "start": 10, "end": 34, "quote": "Vendors must  file logs."},
                                   {"footnote": 2, "start": 50, "end": 70, "quote": "Keep them ten years."}]}},
        {"id": "act", "type": "document", "title": "Enforcement Act", "issued": {"date-parts": [[2023]]},
         "custom": {"policychat": [{"footnote": 3, "start": 0, "end": 22, "quote": "Inspectors enforce it."}]}},
    ]


def test_file_names_are_safe() -> None:
    name = file_name("../../etc/passwd: “Zorblax” 2024", "bibtex")
    assert name.startswith("policychat-etc-passwd-zorblax-2024-") and name.endswith(".bib")
    assert "/" not in name and file_name("生成式", "md").startswith("policychat-export-")
