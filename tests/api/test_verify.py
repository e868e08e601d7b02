"""Citations that stay checkable: a thread exported, its library changed, its quotes re-checked over HTTP and the CLI.

A live server answers two questions in a thread (each cites a different invented source);
the export is checked with ``POST /v1/verify`` and ``policychat verify`` (a subprocess on
the same data directory) after each change: nothing, a source deleted, a source re-ingested
with a paragraph inserted and a quote's words changed, a later document revoking it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import httpx
import pytest
from researchsupport import QUILLON_QUESTION, ZORBLAX_QUESTION, research_library

from assistant.serving.server import background_server
from ingest.catalog import Catalog
from policychat.settings import Settings

ZORBLAX, QUILLON = "zorblax-accord", "quillon-labelling-rule"
CSL = "application/vnd.citationstyles.csl+json"
REPEAL = (
    "---\ntitle: The Zorblax Repeal Act\npublisher: Lunar Assembly\ncountry: INTL\ndate: 2025-06-01\n"
    "doc_type: treaty\nrelations: revokes:zorblax-accord\n---\n# The Zorblax Repeal Act\n\n"
    "The Lunar Assembly ends the registration duties of the accord for orbital compute clusters.\n"
)
Cli = Callable[..., CompletedProcess[str]]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Settings]]:
    """A server on its own copy of the tiny invented documents (the scenario deletes and edits them)."""
    settings = research_library(tmp_path_factory.mktemp("verify"), with_pdf=False)
    with background_server(settings) as base:
        yield base, settings


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=120) as c:
        yield c


def _verify(client: httpx.Client, url: str, content: str, media: str) -> dict[str, Any]:
    response = client.post(f"{url}/v1/verify", content=content.encode(), headers={"Content-Type": media})
    assert response.status_code == 200, response.text
    return dict(response.json())


def _cli_report(cli: Cli, data_dir: Path, file: Path, exit_code: int) -> dict[str, Any]:
    done = cli("verify", str(file), "--json", data_dir=data_dir)
    assert done.returncode == exit_code, done.stdout + done.stderr
    return dict(json.loads(done.stdout))


def _counts(**given: int) -> dict[str, int]:
    return {"unchanged": 0, "moved": 0, "changed": 0, "removed": 0, "superseded": 0} | given


def _by_source(report: dict[str, Any]) -> dict[str, list[str]]:
    statuses: dict[str, list[str]] = {}
    for check in report["citations"]:
        statuses.setdefault(check["source_id"], []).append(check["status"])
    return statuses


def test_an_exported_thread_is_verified_as_its_library_changes(
    served: tuple[str, Settings], client: httpx.Client, cli: Cli, tmp_path: Path,
) -> None:
    url, settings = served
    data_dir = Path(settings.store.data_dir)
    conversation_id = client.post(f"{url}/v1/conversations", json={"title": "Orbital memo"}).json()["id"]
    answers = []
    for question in (ZORBLAX_QUESTION, QUILLON_QUESTION):
        posted = client.post(f"{url}/v1/conversations/{conversation_id}/messages", json={"question": question})
        assert posted.status_code == 201, posted.text
        answers.append(posted.json()["answer"])
    assert [{c["source_id"] for c in a["citations"]} for a in answers] == [{ZORBLAX}, {QUILLON}]
    hashes = Catalog(data_dir / "catalog.sqlite").hashes()
    stored = client.get(f"{url}/v1/conversations/{conversation_id}").json()["messages"]
    cited = [c for m in stored for c in m["answer"]["citations"]]
    assert cited and all(c["content_hash"] == hashes[c["source_id"]] for c in cited)  # kept in the stored thread
    passages = {(c["source_id"], c["start"], c["end"]): c for c in cited}
    n_zorblax = sum(1 for source_id, _, _ in passages if source_id == ZORBLAX)
    n_quillon = len(passages) - n_zorblax
    assert n_zorblax >= 1 and n_quillon >= 1

    export = f"{url}/v1/conversations/{conversation_id}/export"
    markdown, csl = client.get(export).text, client.get(export, params={"format": "csljson"}).text
    assert markdown.count("<!-- policychat:cite {") == len(passages)
    assert all(len(item["custom"]["policychat"]) >= 1 for item in json.loads(csl))
    md_file, csl_file = tmp_path / "memo.md", tmp_path / "memo.json"
    md_file.write_text(markdown, encoding="utf-8")
    csl_file.write_text(csl, encoding="utf-8")

    # Nothing changed: every quote unchanged, by every way of asking.
    every = _counts(unchanged=len(passages))
    for report in (_verify(client, url, markdown, "text/markdown"), _verify(client, url, csl, CSL),
                   client.post(f"{url}/v1/verify", json={"markdown": markdown}).json(),
                   client.post(f"{url}/v1/verify", json={"csl": json.loads(csl)}).json(),
                   _cli_report(cli, data_dir, md_file, 0), _cli_report(cli, data_dir, csl_file, 0)):
        assert report["counts"] == every and report["ok"] is True
        assert sorted(c["footnote"] for c in report["citations"]) == list(range(1, len(passages) + 1))
        assert all(c["hash_matches"] is True and (c["now_start"], c["now_end"]) == (c["start"], c["end"])
                   for c in report["citations"])

    # The Quillon rule is deleted: its quotes are removed, the accord's unchanged.
    assert client.delete(f"{url}/v1/sources/{QUILLON}").status_code == 200
    after_delete = _counts(unchanged=n_zorblax, removed=n_quillon)
    for report in (_verify(client, url, markdown, "text/markdown; charset=utf-8"), _verify(client, url, csl, CSL),
                   _cli_report(cli, data_dir, md_file, 1), _cli_report(cli, data_dir, csl_file, 1)):
        assert report["counts"] == after_delete and report["ok"] is False
        assert _by_source(report) == {ZORBLAX: ["unchanged"] * n_zorblax, QUILLON: ["removed"] * n_quillon}
    table = cli("verify", str(md_file), data_dir=data_dir, env={"COLUMNS": "80"})
    assert table.returncode == 1, table.stderr
    lines = table.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert sum(QUILLON in line and " removed " in line for line in lines) == n_quillon  # table rows
    assert lines[-1] == f"{len(passages)} citations: {n_zorblax} unchanged, {n_quillon} removed (some no longer hold)"

    # The accord is re-ingested with a paragraph inserted and its first cited quote's words changed.
    source_file = data_dir.parent / "docs" / f"{ZORBLAX}.md"
    first = min((p for p in passages.values() if p["source_id"] == ZORBLAX), key=lambda c: c["start"])
    original = source_file.read_text(encoding="utf-8")
    assert first["quote"] in original
    words = first["quote"].split()
    reworded = " ".join([*words[:3], "formally", *words[3:]])
    preamble = "A preamble paragraph was added to the second edition of the accord.\n\n"
    source_file.write_text(original.replace("# The Zorblax Accord\n\n", "# The Zorblax Accord\n\n" + preamble)
                           .replace(first["quote"], reworded), encoding="utf-8")
    assert cli("ingest", str(source_file), data_dir=data_dir).returncode == 0
    text = client.get(f"{url}/v1/sources/{ZORBLAX}").json()["text"]
    edited = _counts(moved=n_zorblax - 1, changed=1, removed=n_quillon)
    for report in (_verify(client, url, markdown, "text/markdown"), _cli_report(cli, data_dir, csl_file, 1)):
        assert report["counts"] == edited
        for check in report["citations"]:
            if check["source_id"] != ZORBLAX:
                continue
            assert check["hash_matches"] is False
            if (check["start"], check["end"]) == (first["start"], first["end"]):
                assert check["status"] == "changed" and check["closest"] == reworded and check["similarity"] > 0.9
                assert text[check["closest_start"] : check["closest_end"]] == reworded
            else:
                quote = " ".join(check["quote"].split())
                assert check["status"] == "moved" and check["now_start"] == text.find(quote) > check["start"]
                assert text[check["now_start"] : check["now_end"]] == quote

    # A later document revokes the accord: the quotes that still check are superseded, naming it.
    repeal = tmp_path / "zorblax-repeal.md"
    repeal.write_text(REPEAL, encoding="utf-8")
    assert cli("ingest", str(repeal), data_dir=data_dir).returncode == 0
    revoked = _counts(superseded=n_zorblax - 1, changed=1, removed=n_quillon)
    for report in (_verify(client, url, markdown, "text/markdown"), _cli_report(cli, data_dir, md_file, 1)):
        assert report["counts"] == revoked
        superseded = [c for c in report["citations"] if c["status"] == "superseded"]
        assert all(c["superseded_by"]["source_id"] == "zorblax-repeal" and c["superseded_by"]["relation"] == "revokes"
                   and c["now_start"] == text.find(c["quote"]) for c in superseded)


def test_verify_refuses_what_it_cannot_read(served: tuple[str, Settings], client: httpx.Client, cli: Cli,
                                            tmp_path: Path) -> None:
    url, settings = served
    verify = f"{url}/v1/verify"
    no_refs = client.post(verify, content=b"# Memo\n\nNo references.\n", headers={"Content-Type": "text/markdown"})
    assert no_refs.status_code == 400 and no_refs.json()["detail"].startswith("request body: footnotes: ")
    broken = '[^3]: *T*. “q” <!-- policychat:cite {"source_id": "a", "start": 9, "end": 2} -->\n'
    bad = client.post(verify, json={"markdown": broken})
    assert bad.status_code == 400
    assert bad.json()["detail"].startswith("request body (markdown), footnote [^3]: end: ")
    assert client.post(verify, content=b"[{", headers={"Content-Type": CSL}).status_code == 400
    assert client.post(verify, content=b"\xff\xfe", headers={"Content-Type": "text/markdown"}).status_code == 400
    for body in ({}, {"markdown": "x", "csl": []}, {"markdown": 3}, {"extra": "x"}):
        assert client.post(verify, json=body).status_code == 422, body
    assert client.post(verify, content=b"<memo/>", headers={"Content-Type": "application/xml"}).status_code == 415
    schema = client.get(f"{url}/openapi.json").json()["paths"]["/v1/verify"]["post"]
    assert set(schema["requestBody"]["content"]) == {"application/json", "text/markdown", CSL}
    assert "security" not in schema  # a read: open unless POLICYCHAT_API_KEY_READS

    data_dir = Path(settings.store.data_dir)
    missing = cli("verify", str(tmp_path / "nope.md"), data_dir=data_dir)
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    (tmp_path / "old.md").write_text("[^1]: *T*, 2024. “A quote.”\n", encoding="utf-8")
    old = cli("verify", str(tmp_path / "old.md"), data_dir=data_dir)
    assert old.returncode == 2 and "policychat:cite" in old.stderr
