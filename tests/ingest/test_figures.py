"""Figures keep their meaning at ingest: exponents stay exponents, footnote marks stay off numbers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from generated_inputs import serialise_pdf

from ingest.clean import clean_text
from ingest.figures import scripts_in_markup
from ingest.loaders import load_document


def test_markup_exponent_becomes_caret_and_footnote_marks_go() -> None:
    text = "greater than 10<sup>26</sup> integer operations, as of 2023<sup>4</sup>; CO<sub>2</sub> and 5<sub>2</sub>"
    assert scripts_in_markup(text) == "greater than 10^26 integer operations, as of 2023; CO2 and 5 2"


def test_unicode_superscripts_survive_normalisation() -> None:
    cleaned = clean_text("greater than 10²⁶ operations, a 5 km² site, as of 2023⁴ and the policy¹.")
    assert cleaned == "greater than 10^26 operations, a 5 km^2 site, as of 2023 and the policy."
    assert "1026" not in cleaned and "20234" not in cleaned


def test_markdown_loader_keeps_the_exponent(tmp_path: Path) -> None:
    path = tmp_path / "order.md"
    path.write_text("# Order\n\nModels trained with more than 10<sup>26</sup> operations must report.\n", "utf-8")
    text = load_document(path).text
    assert "10^26 operations" in text
    assert "1026" not in text


def _raised_pdf(path: Path) -> None:
    """A one-page PDF whose exponent "26" and footnote mark "4" are set smaller and raised (as PDFs set them)."""
    content = (b"BT /F1 12 Tf 72 720 Td (trained with more than 10) Tj /F1 8 Tf 0 5 Td (26) Tj "
               b"/F1 12 Tf 0 -5 Td ( operations, as of 2023) Tj /F1 8 Tf 0 5 Td (4) Tj "
               b"/F1 12 Tf 0 -5 Td (. Next.) Tj ET")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
               b"/Contents 5 0 R >>",
               b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"]
    path.write_bytes(serialise_pdf(objects))


def test_pdf_raised_digits_become_an_exponent_or_are_dropped(tmp_path: Path) -> None:
    path = tmp_path / "raised.pdf"
    _raised_pdf(path)
    from pypdf import PdfReader

    assert "1026" in (PdfReader(path).pages[0].extract_text() or "")  # what plain extraction makes of it
    text = load_document(path).text
    assert "more than 10^26 operations" in text
    assert "as of 2023. Next." in text
    assert "1026" not in text and "20234" not in text


_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?(?:\^\d+)?")


def _pdf_numbers(path: Path) -> set[str]:
    """Numbers as the PDF sets them: words split wherever the font size changes (a raised digit is its own word)."""
    import pdfplumber

    found: set[str] = set()
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            for word in page.extract_words(extra_attrs=["size"]):
                found.update(n.replace(",", "") for n in re.findall(r"\d[\d,]*(?:\.\d+)?", word["text"]))
    return found


@pytest.mark.corpus
def test_every_card_figure_is_a_number_of_its_source(ingested) -> None:
    """Each number of each card's key figures stands in the source file as that number, not glued to a mark."""
    from assistant.retrieval.knowledge import LibraryKnowledge
    from assistant.retrieval.retrieve import HybridRetriever

    library = ingested.library
    snap = HybridRetriever(library, ingested.settings).snapshot()
    knowledge = LibraryKnowledge(library)
    checked, wrong = 0, []
    exponents = 0
    for record in library.catalog.records():
        path = Path(record.path)
        figures = knowledge.card(snap, record.meta.id).figures
        raw = path.read_text(encoding="utf-8") if path.suffix != ".pdf" else ""
        numbers = _pdf_numbers(path) if path.suffix == ".pdf" else set()
        for figure in figures:
            for number in _NUMBER.findall(figure.value):
                checked += 1
                plain = number.replace(",", "")
                if "^" in plain:
                    exponents += 1
                    base, power = plain.split("^")
                    ok = re.search(rf"(?<!\d){base}\s*<sup>{power}</sup>", raw) is not None
                elif path.suffix == ".pdf":
                    ok = plain in numbers
                else:
                    tokens = re.sub(r"</?su[pb]>", " ", raw).replace(",", "")
                    ok = re.search(rf"(?<![\d.]){re.escape(plain)}(?!\d)", tokens) is not None
                if not ok:
                    wrong.append(f"{record.meta.id}: {figure.value!r}")
    assert checked >= 100, checked  # the corpus's cards hold well over a hundred figures
    assert exponents >= 1  # EO 14110's 10^26 threshold is among them
    assert not wrong, wrong
