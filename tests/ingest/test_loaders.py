"""File loaders (ingest.loaders), one format at a time, and the errors bad files give (each naming its file).

Every input is written by the test: plain text, Markdown with front matter, HTML, a PDF
written by hand (tests/generated_inputs.py) and a DOCX written with python-docx.
"""

from __future__ import annotations

import codecs
import io
from pathlib import Path

import pytest
from generated_inputs import text_pdf

from ingest.loaders import load_document, markdown_to_text, supported_extensions
from ingest.models import PageSpan
from policychat.errors import IngestError, UnsupportedFileError

QINGHE_HTML = (
    "<html><head><title>Qinghe Rules</title></head><body><nav>Home | About | Contact</nav><article>"
    "<h1>Qinghe Rules on Algorithm Filing</h1>"
    "<p>Providers of recommendation algorithms in Qinghe Province must file each algorithm with the Qinghe "
    "Cyberspace Office within ten working days of launch.</p>"
    "<p>The office publishes the list of filed algorithms every quarter, and a provider that skips the filing "
    "must suspend the algorithm.</p></article><footer>Copyright Qinghe</footer></body></html>"
)


def test_every_format_has_a_loader() -> None:
    assert supported_extensions() == [".docx", ".htm", ".html", ".markdown", ".md", ".pdf", ".text", ".txt"]


def test_text_is_read_as_utf8_and_tidied(tmp_path: Path) -> None:
    path = tmp_path / "kessick.txt"
    path.write_bytes("Kessick Memo\r\n\r\nAgencies  must label   content.\r\n绿洲市 网信办\n".encode())
    document = load_document(path)
    assert document.text == "Kessick Memo\n\nAgencies must label content.\n绿洲市网信办"
    assert document.pages == [] and document.hints == {}


@pytest.mark.parametrize(("bom", "encoding"), [
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
])
def test_text_with_a_byte_order_mark(tmp_path: Path, bom: bytes, encoding: str) -> None:
    path = tmp_path / "memo.txt"
    path.write_bytes(bom + "Memo on 标识办法 applies.".encode(encoding))
    assert load_document(path).text == "Memo on 标识办法 applies."


def test_markdown_front_matter_becomes_hints_and_markup_goes(tmp_path: Path) -> None:
    path = tmp_path / "telvar.md"
    path.write_text(
        "---\ntitle: Telvar Model Reporting Rule\ncountry: US\ndate: 2024-05-14\ntags: [a, b]\n---\n"
        "# Telvar Rule\n\nSee [the register](https://example.org/r) and **bold** text.<!-- an editor's note -->\n"
        "<b>Tagged</b> words stay; ![chart](c.png) images become their alt text.\n",
        encoding="utf-8",
    )
    document = load_document(path)
    assert document.hints == {"title": "Telvar Model Reporting Rule", "country": "US", "date": "2024-05-14"}
    assert document.text == ("# Telvar Rule\n\nSee the register and bold text.\n"
                             "Tagged words stay; chart images become their alt text.")


def test_markdown_without_front_matter_or_with_broken_yaml_still_loads() -> None:
    assert markdown_to_text("# Title\n\nBody.") == ("# Title\n\nBody.", {})
    text, hints = markdown_to_text("---\ntitle: [unclosed\n---\nBody text.\n")
    assert hints == {} and text == "Body text.\n"


def test_html_keeps_the_main_text_and_drops_navigation(tmp_path: Path) -> None:
    path = tmp_path / "qinghe.html"
    path.write_text(QINGHE_HTML, encoding="utf-8")
    document = load_document(path)
    assert document.text.startswith("# Qinghe Rules on Algorithm Filing\n\nProviders of recommendation algorithms")
    assert "within ten working days of launch." in document.text
    assert "must suspend the algorithm." in document.text
    assert "Home | About" not in document.text and "Copyright" not in document.text
    assert document.hints["title"] == "Qinghe Rules on Algorithm Filing"


def test_pdf_pages_become_page_spans(tmp_path: Path) -> None:
    path = tmp_path / "telvar.pdf"
    path.write_bytes(text_pdf([["Telvar Rule page one.", "Developers must report."], ["Fines apply on page two."]],
                              title="Telvar PDF"))
    document = load_document(path)
    assert document.text == "Telvar Rule page one.\nDevelopers must report.\n\nFines apply on page two."
    assert document.pages == [PageSpan(1, 0, 45), PageSpan(2, 47, 71)]
    assert document.text[47:71] == "Fines apply on page two."
    assert document.hints == {"title": "Telvar PDF"}


def test_docx_headings_paragraphs_tables_and_properties(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.core_properties.title = "Kessick Memorandum"
    document.core_properties.author = "Office of Federal Procurement"
    document.add_heading("Kessick Memo", level=1)
    document.add_paragraph("Agencies must label AI-generated content.")
    document.add_heading("Review", level=2)
    document.add_paragraph("The office reviews compliance every year.")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Deadline", "December 1"
    path = tmp_path / "kessick.docx"
    document.save(str(path))
    loaded = load_document(path)
    assert loaded.text == ("# Kessick Memo\n\nAgencies must label AI-generated content.\n\n## Review\n\n"
                           "The office reviews compliance every year.\n\nDeadline | December 1")
    assert loaded.hints == {"title": "Kessick Memorandum", "publisher": "Office of Federal Procurement"}


def _encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(text_pdf([["A secret memo."]]))).pages:
        writer.add_page(page)
    writer.encrypt(user_password="sesame", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("empty.txt", b"", "file is empty"),
    ("blank.md", b" \n\t\n", "no extractable text"),
    ("binary.txt", b"\x00\x01\x02 data", "binary data, not text"),
    ("latin1.txt", b"caf\xe9 au lait", "not valid UTF-8 at byte 3"),
    ("broken.pdf", b"%PDF-1.7 then nothing useful", "corrupt or unreadable PDF"),
    ("scanned.pdf", text_pdf([[""], [""]]), "no text layer"),
    ("not-a-zip.docx", b"plain text pretending to be a DOCX", "not a valid DOCX (zip) file"),
    ("bad.html", b"<html><body><script>var x = 1;</script></body></html>", "no main text found in the HTML"),
])
def test_bad_files_give_a_clear_error_naming_the_file(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(IngestError) as raised:
        load_document(path)
    message = str(raised.value)
    assert reason in message, message
    assert str(path) in message and "\n" not in message


def test_an_encrypted_pdf_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "locked.pdf"
    path.write_bytes(_encrypted_pdf())
    with pytest.raises(IngestError, match="encrypted with a password") as raised:
        load_document(path)
    assert str(path) in str(raised.value)


@pytest.mark.parametrize("name", ["notes.xyz", "README"])
def test_an_unsupported_extension_names_the_file_and_the_supported_ones(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("hello", encoding="utf-8")
    with pytest.raises(UnsupportedFileError) as raised:
        load_document(path)
    message = str(raised.value)
    assert str(path) in message and "unsupported file type" in message and ".pdf" in message and ".docx" in message


def test_a_missing_file_is_an_ingest_error(tmp_path: Path) -> None:
    path = tmp_path / "gone.txt"
    with pytest.raises(IngestError, match="cannot read file") as raised:
        load_document(path)
    assert str(path) in str(raised.value)
