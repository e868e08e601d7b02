"""Incremental ingest on a small folder the tests write: skip, replace, prune, remove, metadata, formats."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ingest.keywords import KeywordIndex
from ingest.pipeline import ingest_paths
from policychat.errors import SourceNotFoundError

TOPICS = {
    "alpha": ("chip export licensing", "Commerce", "licence"),
    "beta": ("model evaluation", "the institute", "benchmark"),
    "gamma": ("data centre energy", "the grid operator", "megawatt"),
    "delta": ("cross-border data flows", "the regulator", "transfer"),
}

CATALOG_CSV = (
    "id,file,title,publisher,country,date,doc_type,original_url\n"
    "delta-doc,delta.md,Catalog Title for Delta,,CN,2023-07-13,regulation,https://example.org/delta\n"
)


def body(name: str, paragraphs: int = 6) -> str:
    """Several paragraphs of distinct English sentences about the file's own topic."""
    topic, actor, unit = TOPICS[name]
    out = []
    for p in range(paragraphs):
        sentences = [
            f"In review round {p + 1}, {actor} examined {topic} across {3 + p} programmes in detail.",
            f"The {name} findings for round {p + 1} counted {17 * (p + 2)} cases measured per {unit}.",
            f"Officials said the {topic} rules of {2019 + p} should be revisited before the next budget cycle.",
            f"A further {p + 4} recommendations on {topic} were adopted by {actor} without objection.",
        ]
        out.append(" ".join(sentences))
    return "\n\n".join(out)


def write_small_corpus(folder: Path) -> Path:
    """Four small sources whose metadata comes from each precedence layer."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "alpha.md").write_text(
        "---\ntitle: Front Matter Title for Alpha\ncountry: US\ndate: 2024-01-02\n---\n"
        f"# Alpha Heading\n\n{body('alpha')}\n",
        encoding="utf-8",
    )
    (folder / "beta.txt").write_text(f"Beta Report on Model Evaluation\n\n{body('beta')}\n", encoding="utf-8")
    (folder / "gamma.md").write_text(
        "---\ntitle: Front Matter Title for Gamma\ndate: 2022-05-06\npublisher: Front Matter Publisher\n---\n"
        f"# Gamma Heading\n\n{body('gamma')}\n",
        encoding="utf-8",
    )
    (folder / "gamma.md.meta.json").write_text(
        json.dumps({"title": "Sidecar Title for Gamma", "publisher": "Sidecar Publisher"}), encoding="utf-8"
    )
    (folder / "delta.md").write_text(
        f"---\ntitle: Front Matter Title for Delta\n---\n# Delta Heading\n\n{body('delta')}\n",
        encoding="utf-8",
    )
    (folder / "delta.meta.json").write_text(
        json.dumps({"title": "Sidecar Title for Delta", "publisher": "Sidecar Publisher for Delta"}),
        encoding="utf-8",
    )
    (folder / "catalog.csv").write_text(CATALOG_CSV, encoding="utf-8")
    return folder


ALL_IDS = ["alpha", "beta", "delta-doc", "gamma"]


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    return write_small_corpus(tmp_path / "docs")


@pytest.fixture
def library(make_library: Callable[..., Any], docs: Path) -> Any:
    """A library with the small corpus already ingested."""
    library = make_library()
    report = ingest_paths(library, [docs])
    assert report.errors == []
    assert sorted(report.added) == ALL_IDS
    return library


@pytest.fixture(scope="module")
def shared_library(tmp_path_factory: pytest.TempPathFactory, open_library: Callable[[Path], Any]) -> Any:
    """The small corpus ingested once for the tests that only read it."""
    root = tmp_path_factory.mktemp("incremental-shared")
    library = open_library(root / "data")
    report = ingest_paths(library, [write_small_corpus(root / "docs")])
    assert report.errors == [] and sorted(report.added) == ALL_IDS
    return library


def chunk_ids(library: Any) -> set[str]:
    return {c.chunk_id for c in library.catalog.chunks()}


def assert_stores_agree(library: Any) -> None:
    ids = [c.chunk_id for c in library.catalog.chunks()]
    assert len(ids) == len(set(ids))
    assert library.vectors.ids() == set(ids)
    keyword = KeywordIndex.load(library.data_dir / "bm25")
    assert keyword is not None and keyword.generation == library.catalog.generation()
    assert set(keyword.chunk_ids) == set(ids)


def test_small_corpus_has_several_chunks_per_source(shared_library: Any) -> None:
    library = shared_library
    per_source = library.catalog.chunk_ids_by_source()
    assert sorted(per_source) == ALL_IDS
    assert all(len(ids) >= 2 for ids in per_source.values()), {k: len(v) for k, v in per_source.items()}
    assert_stores_agree(library)


def test_reingest_of_unchanged_folder_embeds_nothing(library: Any, docs: Path) -> None:
    before = chunk_ids(library)
    generation = library.catalog.generation()
    report = ingest_paths(library, [docs])
    assert report.chunks_embedded == 0
    assert sorted(report.unchanged) == ALL_IDS
    assert report.added == report.updated == report.errors == []
    assert chunk_ids(library) == before
    assert library.catalog.generation() == generation


def test_modified_file_replaces_exactly_its_own_chunks(library: Any, docs: Path) -> None:
    before = library.catalog.chunk_ids_by_source()
    old_text = (docs / "beta.txt").read_text(encoding="utf-8")
    new_sentence = "A late amendment moved the evaluation deadline to the autumn of 2031."
    (docs / "beta.txt").write_text(old_text.replace("\n\n", f"\n\n{new_sentence}\n\n", 1), encoding="utf-8")

    report = ingest_paths(library, [docs])

    after = library.catalog.chunk_ids_by_source()
    assert report.updated == ["beta"]
    assert sorted(report.unchanged) == ["alpha", "delta-doc", "gamma"]
    assert report.chunks_embedded == len(after["beta"])
    for source_id in ("alpha", "delta-doc", "gamma"):
        assert after[source_id] == before[source_id]
    assert after["beta"] != before["beta"]
    assert new_sentence in library.catalog.source("beta").text
    stale = before["beta"] - after["beta"]
    assert stale and not stale & library.vectors.ids()
    assert_stores_agree(library)


def test_prune_removes_sources_whose_files_are_gone(library: Any, docs: Path) -> None:
    gamma_ids = library.catalog.chunk_ids_by_source()["gamma"]
    (docs / "gamma.md").unlink()

    kept = ingest_paths(library, [docs])
    assert kept.removed == []
    assert "gamma" in {r.meta.id for r in library.catalog.records()}

    pruned = ingest_paths(library, [docs], prune=True)
    assert pruned.removed == ["gamma"]
    assert [r.meta.id for r in library.catalog.records()] == ["alpha", "beta", "delta-doc"]
    assert not gamma_ids & library.vectors.ids()
    assert_stores_agree(library)


def test_remove_source_deletes_it_from_every_store(library: Any) -> None:
    alpha_ids = library.catalog.chunk_ids_by_source()["alpha"]
    assert library.remove_source("alpha") == len(alpha_ids)
    assert "alpha" not in {r.meta.id for r in library.catalog.records()}
    assert not alpha_ids & library.vectors.ids()
    assert not alpha_ids & set(library.keyword_index().chunk_ids)
    assert_stores_agree(library)
    with pytest.raises(SourceNotFoundError, match="alpha"):
        library.remove_source("alpha")


def test_cli_sources_rm_removes_a_source(library: Any, cli: Callable[..., Any]) -> None:
    beta_ids = library.catalog.chunk_ids_by_source()["beta"]
    result = cli("sources", "rm", "beta", data_dir=library.data_dir)
    assert result.returncode == 0, result.stderr
    assert f"removed beta ({len(beta_ids)} chunks)" in result.stdout

    listed = cli("sources", "--json", data_dir=library.data_dir)
    assert listed.returncode == 0, listed.stderr
    assert sorted(s["id"] for s in json.loads(listed.stdout)) == ["alpha", "delta-doc", "gamma"]
    assert not beta_ids & library.vectors.ids()
    assert_stores_agree(library)

    missing = cli("sources", "rm", "beta", data_dir=library.data_dir)
    assert missing.returncode == 1
    assert "No source with id 'beta'" in missing.stderr


def test_metadata_precedence_catalog_then_sidecar_then_front_matter_then_inferred(shared_library: Any) -> None:
    library = shared_library
    meta = {r.meta.id: r.meta for r in library.catalog.records()}

    # catalog.csv row beats sidecar and front matter; empty catalog cells fall through to the sidecar
    assert meta["delta-doc"].title == "Catalog Title for Delta"
    assert meta["delta-doc"].publisher == "Sidecar Publisher for Delta"
    assert (meta["delta-doc"].country, meta["delta-doc"].date) == ("CN", "2023-07-13")
    assert meta["delta-doc"].doc_type == "regulation"
    assert meta["delta-doc"].original_url == "https://example.org/delta"
    assert meta["delta-doc"].file == "delta.md"

    # sidecar beats front matter; front matter fills what the sidecar lacks
    assert meta["gamma"].title == "Sidecar Title for Gamma"
    assert meta["gamma"].publisher == "Sidecar Publisher"
    assert meta["gamma"].date == "2022-05-06"

    # front matter beats the inferred first heading
    assert meta["alpha"].title == "Front Matter Title for Alpha"
    assert (meta["alpha"].country, meta["alpha"].date) == ("US", "2024-01-02")

    # nothing declared: id from the file stem, title from the first heading/line
    assert meta["beta"].title == "Beta Report on Model Evaluation"
    assert (meta["beta"].country, meta["beta"].date, meta["beta"].publisher) == ("OTHER", "", "")


def test_front_matter_is_not_part_of_the_stored_text(shared_library: Any) -> None:
    library = shared_library
    text = library.catalog.source("alpha").text
    assert text.startswith("# Alpha Heading")
    assert "Front Matter Title" not in text


def test_changing_only_the_sidecar_updates_the_metadata(library: Any, docs: Path) -> None:
    (docs / "gamma.md.meta.json").write_text(json.dumps({"title": "Renamed by Sidecar"}), encoding="utf-8")
    report = ingest_paths(library, [docs])
    assert report.updated == ["gamma"]
    assert library.catalog.source("gamma").meta.title == "Renamed by Sidecar"
    assert_stores_agree(library)


ARTICLE_SENTENCES = [
    "Compute thresholds are one tool that governments use to decide which AI models need extra reporting.",
    "The brief compares training-compute thresholds in three jurisdictions and explains how they were chosen.",
    "It concludes that thresholds should be reviewed every year as hardware efficiency improves.",
]
NAV_TEXT = ["Contact the newsroom", "Subscribe to our weekly newsletter"]


def write_html(path: Path) -> None:
    paragraphs = "".join(f"<p>{s}</p>" for s in ARTICLE_SENTENCES)
    path.write_text(
        "<!doctype html><html><head><title>Compute Governance Brief</title></head><body>"
        "<nav><ul><li><a href='/'>Home</a></li><li><a href='/about'>About us</a></li>"
        f"<li><a href='/contact'>{NAV_TEXT[0]}</a></li></ul></nav>"
        f"<div class='menu'><a href='/subscribe'>{NAV_TEXT[1]}</a></div>"
        f"<article><h1>Compute Governance Brief</h1>{paragraphs}</article>"
        "</body></html>",
        encoding="utf-8",
    )


DOCX_PARAGRAPHS = [
    "The review covers advanced semiconductors and the licensing of their export to foreign buyers.",
    "It records that licence applications rose sharply in the second half of the year.",
]


def write_docx(path: Path) -> None:
    import docx

    document = docx.Document()
    document.core_properties.author = "Docx Author Office"
    document.add_heading("Semiconductor Export Review", level=1)
    for paragraph in DOCX_PARAGRAPHS:
        document.add_paragraph(paragraph)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Licences granted"
    table.rows[0].cells[1].text = "412"
    document.save(str(path))


def test_docx_and_html_are_ingested_with_their_text(make_library: Callable[..., Any], tmp_path: Path) -> None:
    folder = tmp_path / "formats"
    folder.mkdir()
    write_docx(folder / "export-review.docx")
    write_html(folder / "compute-brief.html")
    library = make_library()

    report = ingest_paths(library, [folder])

    assert report.errors == []
    assert sorted(report.added) == ["compute-brief", "export-review"]

    docx_source = library.catalog.source("export-review")
    assert docx_source.text.startswith("# Semiconductor Export Review")
    assert all(p in docx_source.text for p in DOCX_PARAGRAPHS)
    assert "Licences granted | 412" in docx_source.text
    assert docx_source.meta.title == "Semiconductor Export Review"
    assert docx_source.meta.publisher == "Docx Author Office"

    html_source = library.catalog.source("compute-brief")
    assert all(s in html_source.text for s in ARTICLE_SENTENCES)
    assert not [t for t in NAV_TEXT if t in html_source.text]
    assert html_source.meta.title == "Compute Governance Brief"
    assert_stores_agree(library)
