"""``policychat sources show ID`` and ``policychat sources --json`` on a small library with stated relations."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import pytest
from researchsupport import settings_for
from testsupport import write_docs

from assistant.research.card_models import SourceCard

CLI = Callable[..., CompletedProcess[str]]
DOCS = {
    "order-901.md": (
        "---\ntitle: Orbital Compute Order (Order 901)\npublisher: Lunar Council\ncountry: INTL\ndate: 2031-03-01\n"
        "doc_type: executive-order\n---\n# Orbital Compute Order\n\n## Section 1. Purpose\n\n"
        "This order establishes rules for orbital compute clusters and the registries that license them.\n\n"
        "## Section 2. Duties\n\n"
        "Within 90 days of the date of this order, the Lunar Registry Office shall publish a public list of every "
        "licensed orbital compute cluster.\n\n"
        "Within 6 months of the date of this order, the Orbital Safety Board shall issue cooling-failure guidance "
        "for operators of orbital data centres.\n"
    ),
    "order-902.md": (
        "---\ntitle: Restoring Orbital Freedom (Order 902)\npublisher: Lunar Council\ncountry: INTL\n"
        "date: 2032-05-01\ndoc_type: executive-order\nrelations: revokes:order-901\n---\n"
        "# Restoring Orbital Freedom\n\n"
        "## Section 1. Revocation\n\n"
        "Order 901 of March 1, 2031 (Orbital Compute Order) is hereby revoked in its entirety.\n\n"
        "The Lunar Registry Office shall close the public cluster list within 30 days of the date of this order.\n"
    ),
    "reef-charter-draft.md": (
        "---\ntitle: Reef Data Charter (draft)\npublisher: Pacific Reef Observatory\ncountry: INTL\n"
        "date: 2030-01-01\ndoc_type: standard\nstatus: draft\n---\n# Reef Data Charter\n\n"
        "Signatories of the charter must share coral telemetry with the Pacific Reef Observatory every quarter.\n"
    ),
}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ingest.library import Library
    from ingest.pipeline import ingest_paths

    root = tmp_path_factory.mktemp("card-cli")
    settings = settings_for(root / "data")
    report = ingest_paths(Library(settings), [write_docs(root / "docs", DOCS)])
    assert not report.errors and len(report.added) == 3
    return Path(settings.store.data_dir)


def test_sources_json_includes_status(cli: CLI, data_dir: Path) -> None:
    done = cli("sources", "--json", data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    status = {s["id"]: s["status"] for s in json.loads(done.stdout)}
    assert status == {"order-901": "revoked", "order-902": "unknown", "reef-charter-draft": "draft"}
    table = cli("sources", data_dir=data_dir)
    assert table.returncode == 0 and "revoked" in table.stdout and "draft" in table.stdout


def test_sources_show_prints_the_card(cli: CLI, data_dir: Path) -> None:
    done = cli("sources", "show", "order-901", data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for expected in ("Orbital Compute Order (Order 901)", "short title", "Order 901", "revoked",
                     "Restoring Orbital Freedom (Order 902)", "Provisions (2)", "Lunar Registry Office",
                     "Within 90 days", "Summary", "Outline", "Relations", "order-902", "revokes"):
        assert expected in out, expected


def test_sources_show_json_and_markdown(cli: CLI, data_dir: Path) -> None:
    done = cli("sources", "show", "order-901", "--json", data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    card = SourceCard.model_validate_json(done.stdout)
    assert card.status.status == "revoked" and card.status.stated_in == "order-902"
    assert card.status.evidence is None  # stated in the catalog (front matter): no sentence to quote
    assert [(e.type, e.source_id, e.origin) for e in card.relations_in] == [("revokes", "order-902", "catalog")]
    days = sorted(p.deadline_days for p in card.provisions if p.deadline_days is not None)
    assert days == [90, 180]
    stored = (data_dir.parent / "docs" / "order-901.md").read_text(encoding="utf-8")
    assert card.provisions and all(" ".join(p.quote.split()) in " ".join(stored.split()) for p in card.provisions)

    markdown = cli("sources", "show", "order-901", "--md", data_dir=data_dir)
    assert markdown.returncode == 0, markdown.stderr
    assert markdown.stdout.startswith("# Orbital Compute Order (Order 901)\n")
    first = card.provisions[0]
    assert f"[order-901:{first.start}–{first.end}]" in markdown.stdout


def test_sources_show_unknown_id_fails_with_a_message(cli: CLI, data_dir: Path) -> None:
    done = cli("sources", "show", "no-such-source", data_dir=data_dir)
    assert done.returncode == 1
    assert "no-such-source" in done.stderr and "policychat sources" in done.stderr
