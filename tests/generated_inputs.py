"""Hostile-but-valid inputs generated on the fly (nothing large is committed): issue 17's stalling files.

Importable as ``generated_inputs`` from any test and from ``bench/`` (which puts
``tests/`` on the path). Every generator is deterministic.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

REPEATED_SENTENCE = "Export controls apply [1]. "
"""The sentence of the issue's repeated-sentence file (about 7 word pieces)."""

NORMAL_DOC = (
    "# Harbour Compute Notice\n\n"
    "The Harbour Compute Notice requires data centres above twenty megawatts to report their AI training runs "
    "to the Harbour Energy Board every quarter. Operators must keep the reports for six years. The board may "
    "inspect any site that misses two reports in a row.\n\n"
    "## Penalties\n\n"
    "A missed report costs the operator one percent of its annual revenue. Repeated misses can suspend the "
    "operator's grid connection for up to ninety days.\n"
)
"""A small ordinary document placed next to each hostile input."""

_WORDS = ("export", "control", "rules", "apply", "advanced", "chips", "model", "weights", "compute", "agency",
          "review", "licence", "data", "centre", "training", "run", "report", "safety", "standard", "board")


def repeated_sentence_text(repeats: int) -> str:
    """``"Export controls apply [1]. " * repeats`` on one line (27 characters a repeat)."""
    return REPEATED_SENTENCE * repeats


def single_line_markdown(size: int, seed: int = 17) -> str:
    """A Markdown file that is one line of ``size`` characters: words and spaces, no punctuation at all.

    The words are drawn from a small vocabulary in a repeating block of 97 words, so a
    long line holds the same few-hundred-word stretch again and again (as padding does).
    """
    rng = random.Random(seed)
    block = " ".join(rng.choice(_WORDS) for _ in range(97)) + " "
    line = block * (size // len(block) + 1)
    return line[:size].rstrip() + "\n"


def pdf_literal(text: str) -> bytes:
    """``text`` as a PDF literal string (Latin-1, with backslashes and parentheses escaped)."""
    return b"(" + text.encode("latin-1").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def serialise_pdf(objects: list[bytes], title: str | None = None) -> bytes:
    """The PDF file of ``objects`` (object ``i + 1`` is ``objects[i]``; object 1 is the catalog).

    Appends a document information dictionary with ``/Title`` when ``title`` is given, and
    writes the header, the objects, a correct cross-reference table and the trailer.
    """
    objects = list(objects)
    info = b""
    if title is not None:
        objects.append(b"<< /Title " + pdf_literal(title) + b" >>")
        info = b" /Info %d 0 R" % len(objects)
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R" % (len(objects) + 1) + info + b" >>\n")
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def one_line_per_page_pdf(lines: list[str], title: str | None = None) -> bytes:
    """A valid PDF whose page ``i`` carries the single line ``lines[i]`` (see :func:`text_pdf`)."""
    return text_pdf([[line] for line in lines], title)


def text_pdf(pages: list[list[str]], title: str | None = None) -> bytes:
    """A valid PDF (written by hand, Helvetica) whose page ``i`` carries the lines ``pages[i]``.

    Returns:
        The PDF bytes with a correct cross-reference table.
    """
    objects: list[bytes] = [b"", b"", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    page_ids: list[int] = []
    for lines in pages:
        shown = b" T* ".join(pdf_literal(line) + b" Tj" for line in lines)
        content = b"BT /F1 12 Tf 14 TL 72 720 Td " + shown + b" ET"
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                       b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % len(objects))
        page_ids.append(len(objects))
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    kids = b" ".join(b"%d 0 R" % i for i in page_ids)
    objects[1] = b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % len(page_ids)
    return serialise_pdf(objects, title)


def register_pdf_lines(pages: int) -> list[str]:
    """One line per page as in a long register: the same sentence with the page's own item number."""
    return [f"Item {page} of the register is reserved under the export control rules." for page in range(1, pages + 1)]


def write_hostile_folder(folder: Path, *, markdown_bytes: int = 5 * 1024 * 1024, pdf_pages: int = 1500,
                         repeats: int = 200_000) -> dict[str, Path]:
    """Write the issue's hostile inputs and a normal document into ``folder``; return them by kind."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "repeated-sentence": folder / "repeated-sentence.txt",
        "single-line": folder / "single-line.md",
        "one-line-pages": folder / "one-line-pages.pdf",
        "normal": folder / "harbour-compute-notice.md",
    }
    files["repeated-sentence"].write_text(repeated_sentence_text(repeats), encoding="utf-8")
    files["single-line"].write_text(single_line_markdown(markdown_bytes), encoding="utf-8")
    files["one-line-pages"].write_bytes(one_line_per_page_pdf(register_pdf_lines(pdf_pages), title="Item Register"))
    files["normal"].write_text(NORMAL_DOC, encoding="utf-8")
    return files


_ACTORS = ("The agency", "The ministry", "The council", "The regulator", "The committee", "The board")
_VERBS = ("reviewed", "tightened", "funded", "postponed", "expanded", "audited", "clarified", "replaced")


def distinct_sentences_text(sentences: int, seed: int = 7) -> str:
    """Plain text of ``sentences`` different sentences (each names its own annex), in paragraphs of eight.

    About twelve sentences fill a chunk, so the text becomes roughly ``sentences / 12``
    distinct chunks: real embedding work, unlike the repeated-sentence file.
    """
    rng = random.Random(seed)
    lines = [f"{rng.choice(_ACTORS)} {rng.choice(_VERBS)} the rules on {rng.choice(_WORDS)} "
             f"{rng.choice(_WORDS)} for {rng.randint(2, 900)} firms in annex {i}." for i in range(sentences)]
    return "\n\n".join(" ".join(lines[i : i + 8]) for i in range(0, len(lines), 8)) + "\n"
