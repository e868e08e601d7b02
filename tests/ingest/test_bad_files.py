"""Bad files are reported one by one with a clear reason, and never stop the good ones."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ingest.catalog import Catalog
from ingest.pipeline import ingest_paths

GOOD_TEXT = (
    "# Chip Controls Note\n\n"
    "The note explains how advanced computing controls apply to data centre operators. "
    "It lists the licence exceptions that remain available to allied countries.\n"
)
KEEP_TEXT = "# Existing Source\n\nThis source was ingested before any bad file arrived and must stay as it was.\n"

# file name -> words the reported reason must contain (case-insensitive)
EXPECTED_REASONS = {
    "corrupt.pdf": ["corrupt"],
    "truncated.pdf": ["corrupt"],
    "encrypted.pdf": ["encrypted"],
    "empty.txt": ["empty"],
    "junk.md": ["binary"],
    "latin1.txt": ["utf-8"],
    "notes.xyz": ["unsupported", ".xyz"],
    "fake.docx": ["docx"],
}


def _real_pdf(corpus_dir: Path) -> Path:
    return corpus_dir / "un-ga-res-78-265-safe-secure-trustworthy-ai-2024.pdf"


def write_bad_files(folder: Path, corpus_dir: Path) -> None:
    """One of each kind of broken input, written fresh by the test."""
    from pypdf import PdfReader, PdfWriter

    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(1234)
    (folder / "corrupt.pdf").write_bytes(bytes(rng.randrange(256) for _ in range(4096)))
    (folder / "truncated.pdf").write_bytes(_real_pdf(corpus_dir).read_bytes()[:300])
    writer = PdfWriter()
    writer.add_page(PdfReader(_real_pdf(corpus_dir)).pages[0])
    writer.encrypt("secret")
    with (folder / "encrypted.pdf").open("wb") as handle:
        writer.write(handle)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "junk.md").write_bytes(b"\x00\x01\x02PK\x03\x04" + bytes(rng.randrange(256) for _ in range(2048)))
    (folder / "latin1.txt").write_bytes("Régulation des modèles d'IA, très stricte.".encode("latin-1"))
    (folder / "notes.xyz").write_text("a format nobody registered a loader for", encoding="utf-8")
    (folder / "fake.docx").write_text("this is plain text pretending to be a Word file", encoding="utf-8")


@pytest.fixture
def mixed_folder(tmp_path: Path, corpus_dir: Path) -> Path:
    folder = tmp_path / "mixed"
    write_bad_files(folder, corpus_dir)
    (folder / "good.md").write_text(GOOD_TEXT, encoding="utf-8")
    return folder


def test_encrypted_fixture_really_is_encrypted(mixed_folder: Path) -> None:
    from pypdf import PdfReader

    reader = PdfReader(mixed_folder / "encrypted.pdf")
    assert reader.is_encrypted
    assert reader.decrypt("secret")
    assert (reader.pages[0].extract_text() or "").strip(), "the fixture should hide real text behind the password"


def test_bad_files_are_reported_and_the_good_one_is_ingested(
    make_library: Callable[..., Any], mixed_folder: Path, tmp_path: Path
) -> None:
    library = make_library()
    existing = tmp_path / "existing" / "keep.md"
    existing.parent.mkdir()
    existing.write_text(KEEP_TEXT, encoding="utf-8")
    assert ingest_paths(library, [existing]).added == ["keep"]
    keep_before = library.catalog.source("keep")
    keep_chunks_before = library.catalog.chunks("keep")

    report = ingest_paths(library, [mixed_folder])

    assert report.added == ["good"]
    reasons = {Path(error.path).name: error.reason for error in report.errors}
    assert set(reasons) == set(EXPECTED_REASONS), reasons
    for name, words in EXPECTED_REASONS.items():
        for word in words:
            assert word.lower() in reasons[name].lower(), f"{name}: {reasons[name]!r} lacks {word!r}"
    assert all(str(mixed_folder) in error.path for error in report.errors)
    assert all("\n" not in error.reason for error in report.errors)

    assert sorted(r.meta.id for r in library.catalog.records()) == ["good", "keep"]
    assert "licence exceptions" in library.catalog.source("good").text
    assert library.catalog.source("keep") == keep_before
    assert library.catalog.chunks("keep") == keep_chunks_before
    assert library.vectors.ids() == {c.chunk_id for c in library.catalog.chunks()}


def test_bad_files_alone_leave_the_library_empty(
    make_library: Callable[..., Any], tmp_path: Path, corpus_dir: Path
) -> None:
    folder = tmp_path / "only-bad"
    write_bad_files(folder, corpus_dir)
    library = make_library()
    report = ingest_paths(library, [folder])
    assert report.ingested == [] and report.chunks_embedded == 0
    assert len(report.errors) == len(EXPECTED_REASONS)
    assert library.catalog.records() == [] and library.vectors.ids() == set()


def test_missing_path_is_reported(make_library: Callable[..., Any], tmp_path: Path) -> None:
    report = ingest_paths(make_library(), [tmp_path / "no-such-folder"])
    assert [(Path(e.path).name, e.reason) for e in report.errors] == [("no-such-folder", "no such file or folder")]


def test_cli_ingest_exit_codes_with_bad_files(cli: Callable[..., Any], mixed_folder: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "cli-data"

    lenient = cli("ingest", str(mixed_folder), data_dir=data_dir)
    assert lenient.returncode == 0, lenient.stderr
    for name in EXPECTED_REASONS:
        assert name in lenient.stderr, f"{name} not reported on stderr"
    assert "skipped" in lenient.stderr

    strict = cli("ingest", "--strict", str(mixed_folder), data_dir=data_dir)
    assert strict.returncode != 0

    assert [r.meta.id for r in Catalog(data_dir / "catalog.sqlite").records()] == ["good"]
