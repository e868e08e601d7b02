"""Cards, relations and statuses over HTTP, on a live server holding the shared corpus."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

EO_14110 = "us-eo-14110-safe-secure-trustworthy-ai-2023"
EO_14179 = "us-eo-14179-removing-barriers-ai-2025"
INTERIM_ZH = "cn-genai-interim-measures-2023-zh"
TC260_003 = "cn-tc260-003-genai-service-security-requirements-2024-zh"
DIFFUSION_RULE = "us-wh-fact-sheet-ai-diffusion-rule-2025-01"
RESCISSION = "us-bis-ai-diffusion-rule-rescission-2025-05"


@pytest.fixture(scope="module")
def texts(corpus_url: str) -> dict[str, str]:
    """Stored text of every source, as GET /v1/sources/{id} serves it."""
    ids = [s["id"] for s in httpx.get(f"{corpus_url}/v1/sources", timeout=60).json()]
    return {i: httpx.get(f"{corpus_url}/v1/sources/{i}", timeout=60).json()["text"] for i in ids}


def _items(card: dict[str, Any]) -> list[dict[str, Any]]:
    outline = [q for part in card["outline"] for q in (part["heading"], part["first"], *part["sentences"]) if q]
    return [*card["purpose"], *card["summary"], *card["provisions"], *card["figures"], *outline]


def test_card_of_a_revoked_order(corpus_url: str, client: httpx.Client, texts: dict[str, str]) -> None:
    response = client.get(f"{corpus_url}/v1/sources/{EO_14110}/card")
    assert response.status_code == 200, response.text
    card = response.json()
    identity = card["identity"]
    assert identity["id"] == EO_14110 and identity["short_title"] == "Executive Order 14110"
    assert "eo 14110" in identity["aliases"] and identity["date"] == "2023-10-30"
    assert card["summary"] and card["outline"] and card["provisions"] and card["figures"]
    items = _items(card)
    assert len(items) > 50
    assert all(texts[EO_14110][i["start"]:i["end"]] == i["quote"] for i in items)
    assert all(set(i) >= {"quote", "start", "end", "page"} for i in items)
    commerce = [p for p in card["provisions"] if p["actor"] == "Secretary of Commerce" and p["deadline_days"] == 270]
    assert commerce, "'Within 270 days …, the Secretary of Commerce shall' is a provision with a 270-day deadline"

    status = card["status"]
    assert (status["status"], status["stated_in"], status["stated_in_date"]) == ("revoked", EO_14179, "2025-01-23")
    evidence = status["evidence"]
    assert "the revoked Executive Order 14110" in " ".join(evidence["quote"].split())
    assert texts[EO_14179][evidence["start"]:evidence["end"]] == evidence["quote"]
    incoming = {(e["type"], e["source_id"]) for e in card["relations_in"]}
    assert ("revokes", EO_14179) in incoming and ("rescinds", "us-ai-action-plan-2025") in incoming
    assert all(e["target_id"] == EO_14110 and not e["external"] for e in card["relations_in"])


def test_card_of_a_chinese_regulation(corpus_url: str, client: httpx.Client, texts: dict[str, str]) -> None:
    card = client.get(f"{corpus_url}/v1/sources/{INTERIM_ZH}/card").json()
    assert card["identity"]["language"] == "zh"
    assert card["purpose"] and "制定本办法" in card["purpose"][0]["quote"]
    assert any(p["actor"] == "提供者" for p in card["provisions"])
    assert card["summary"] and all(texts[INTERIM_ZH][q["start"]:q["end"]] == q["quote"] for q in card["summary"])
    supports = [e for e in card["relations_in"] if e["type"] == "supports"]
    assert [e["source_id"] for e in supports] == [TC260_003]
    assert "本文件支撑《生成式人工智能服务管理暂行办法》" in supports[0]["evidence"]["quote"]
    assert texts[TC260_003][supports[0]["evidence"]["start"]:supports[0]["evidence"]["end"]] == \
        supports[0]["evidence"]["quote"]
    translations = [e for e in card["relations_in"] if e["type"] == "translation_of"]
    assert [e["source_id"] for e in translations] == ["cn-genai-interim-measures-2023-casi-en"]


def test_card_markdown(corpus_url: str, client: httpx.Client, texts: dict[str, str]) -> None:
    response = client.get(f"{corpus_url}/v1/sources/{EO_14110}/card.md")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/markdown")
    assert f'filename="{EO_14110}-card.md"' in response.headers["content-disposition"]
    text = response.text
    assert text.startswith("# Executive Order on the Safe, Secure, and Trustworthy Development")
    assert "## Status\n\n**revoked** (text) — according to Removing Barriers" in text
    card = client.get(f"{corpus_url}/v1/sources/{EO_14110}/card").json()
    first = card["summary"][0]
    assert f"[{EO_14110}:{first['start']}–{first['end']}]" in text
    evidence = card["status"]["evidence"]
    assert f"[{EO_14179}:{evidence['start']}–{evidence['end']}]" in text
    assert "| Secretary of Commerce |" in text


def test_relations_with_evidence_and_filters(corpus_url: str, client: httpx.Client, texts: dict[str, str]) -> None:
    edges = client.get(f"{corpus_url}/v1/relations").json()
    assert len(edges) >= 6
    with_evidence = [e for e in edges if e["evidence"]]
    assert with_evidence
    assert all(texts[e["source_id"]][e["evidence"]["start"]:e["evidence"]["end"]] == e["evidence"]["quote"]
               for e in with_evidence)
    found = {(e["source_id"], e["type"], e["target_id"]) for e in edges}
    assert {(EO_14179, "revokes", EO_14110), (RESCISSION, "rescinds", DIFFUSION_RULE),
            (TC260_003, "supports", INTERIM_ZH)} <= found

    revokes = client.get(f"{corpus_url}/v1/relations", params={"type": "revokes"}).json()
    assert revokes and all(e["type"] == "revokes" for e in revokes)
    touching = client.get(f"{corpus_url}/v1/relations", params={"source_id": DIFFUSION_RULE}).json()
    assert touching and all(DIFFUSION_RULE in (e["source_id"], e["target_id"], e["actor_id"]) for e in touching)
    assert client.get(f"{corpus_url}/v1/relations", params={"type": "abolishes"}).status_code == 422


def test_status_on_the_source_list_and_detail(corpus_url: str, client: httpx.Client) -> None:
    sources = {s["id"]: s for s in client.get(f"{corpus_url}/v1/sources").json()}
    assert sources[EO_14110]["status"] == "revoked"
    assert sources[DIFFUSION_RULE]["status"] == "rescinded"
    assert sources[EO_14179]["status"] == "unknown"
    assert all(s["status"] for s in sources.values())
    assert client.get(f"{corpus_url}/v1/sources/{EO_14110}").json()["status"] == "revoked"


def test_unknown_ids_are_404(corpus_url: str, client: httpx.Client) -> None:
    for path in ("/v1/sources/no-such-source/card", "/v1/sources/no-such-source/card.md"):
        response = client.get(f"{corpus_url}{path}")
        assert response.status_code == 404, path
        assert "no-such-source" in response.json()["detail"]
    assert client.get(f"{corpus_url}/v1/relations", params={"source_id": "no-such-source"}).status_code == 404


def test_openapi_documents_the_card_routes(corpus_url: str, client: httpx.Client) -> None:
    schema = client.get(f"{corpus_url}/openapi.json").json()
    paths = schema["paths"]
    assert {"/v1/sources/{source_id}/card", "/v1/sources/{source_id}/card.md", "/v1/relations"} <= set(paths)
    assert "404" in paths["/v1/sources/{source_id}/card"]["get"]["responses"]
    assert "text/markdown" in paths["/v1/sources/{source_id}/card.md"]["get"]["responses"]["200"]["content"]
    assert "status" in schema["components"]["schemas"]["SourceInfo"]["properties"]
