"""The MCP server through the SDK's own client: ``policychat mcp`` over stdio, ``/mcp`` of the app over streamable HTTP.

Both run on the fast tier's mini library. The stdio test starts the real command as a subprocess
(marked ``process``: the ``mcp_stdio`` fixture); the HTTP tests start the real app with uvicorn on
loopback and compare the tools' structured results with the JSON of the matching ``/v1`` routes.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import anyio
import httpx
import httpx2
import pytest
from mcp import Client, MCPError, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import INVALID_PARAMS, CallToolResult, TextContent, TextResourceContents
from testsupport import child_env

from assistant.serving.server import background_server
from policychat.settings import Settings

T = TypeVar("T")

TELVAR = "telvar-model-reporting-rule"
MINI_IDS = {TELVAR, "kessick-procurement-memo", "lvzhou-labelling-measures-zh", "qinghe-algorithm-filing-rules"}
QUESTION = "Within how many days must developers report a training run?"
QUOTE = ("Developers of frontier models trained with more than 10^26 operations must report each training run to the "
         "Bureau of Compute Security within 30 days.")
TOOLS = {"answer", "search", "list_sources", "read_card"}
KEY = "mcp-test-key"
TIMEOUT = 120.0  # the first answer of a fresh process loads the embedding model


def run(session: Callable[[], Awaitable[T]]) -> T:
    """Run one async client session to the end, failing if it takes longer than :data:`TIMEOUT` seconds."""

    async def bounded() -> T:
        with anyio.fail_after(TIMEOUT * 2):
            return await session()

    return anyio.run(bounded)


def structured(result: CallToolResult) -> Any:
    """The structured result of a successful tool call (lists come wrapped as ``{"result": [...]}``)."""
    assert not result.is_error, result.content
    assert result.structured_content is not None
    content = result.structured_content
    return content["result"] if set(content) == {"result"} else content


def error_text(result: CallToolResult) -> str:
    """The message of a tool call that failed (``is_error``)."""
    assert result.is_error, result.structured_content
    return " ".join(block.text for block in result.content if isinstance(block, TextContent))


def assert_cited_answer(answer: dict[str, Any]) -> None:
    """The mini library's 30-day reporting answer, cited to the Telvar rule with its exact sentence."""
    assert not answer["abstained"], answer["answer"]
    assert "30 days" in answer["answer"] and "[1]" in answer["answer"]
    citation = answer["citations"][0]
    assert citation["marker"] == 1 and citation["source_id"] == TELVAR
    assert citation["quote"] == QUOTE
    assert citation["end"] - citation["start"] == len(QUOTE)


async def check_library_session(client: Client) -> None:
    """Every tool and resource against the mini library, through one connected client."""
    tools = await client.list_tools()
    assert {tool.name for tool in tools.tools} == TOOLS
    assert all(tool.annotations is not None and tool.annotations.read_only_hint for tool in tools.tools)

    answer = structured(await client.call_tool("answer", {"question": QUESTION, "filters": {"country": ["US"]}}))
    assert_cited_answer(answer)

    hits = structured(await client.call_tool("search", {"query": "civil penalty for failing to report", "k": 3}))
    assert 1 <= len(hits) <= 3
    assert hits[0]["source_id"] == TELVAR and "$250,000 per day" in hits[0]["text"]
    assert hits[0]["end"] > hits[0]["start"] and hits[0]["score"] > 0
    only_cn = structured(await client.call_tool("search", {"query": "labelling", "filters": {"country": ["CN"]}}))
    assert only_cn and all(hit["source_id"] != TELVAR for hit in only_cn)

    sources = structured(await client.call_tool("list_sources", {}))
    assert {source["id"] for source in sources} == MINI_IDS
    assert all(source["chunks"] > 0 for source in sources)

    card = structured(await client.call_tool("read_card", {"source_id": TELVAR}))
    assert card["identity"]["id"] == TELVAR and card["identity"]["title"] == "Telvar Model Reporting Rule"
    assert any(figure["value"] == "$250,000" for figure in card["figures"]), card["figures"]
    assert card["summary"] and card["summary"][0]["quote"] == QUOTE

    unknown = error_text(await client.call_tool("read_card", {"source_id": "no-such-source"}))
    assert "source_id" in unknown and "'no-such-source'" in unknown
    bad_filter = error_text(await client.call_tool("answer", {"question": QUESTION, "filters": {"country": ["XX"]}}))
    assert "filters.country" in bad_filter
    too_long = error_text(await client.call_tool("search", {"query": "x" * 2001}))
    assert "query" in too_long and "2000" in too_long
    for blank in ("", "   ", "\n\t"):  # refused by POST /v1/answer's rule, never answered from random passages
        for tool, field in (("answer", "question"), ("search", "query")):
            refused = await client.call_tool(tool, {field: blank})
            assert refused.structured_content is None
            assert f"{field}\n  must not be empty or only whitespace" in error_text(refused)

    resources = await client.list_resources()
    assert {str(resource.uri) for resource in resources.resources} == {f"policychat://sources/{i}" for i in MINI_IDS}
    card_md = (await client.read_resource(f"policychat://sources/{TELVAR}")).contents[0]
    assert isinstance(card_md, TextResourceContents) and card_md.mime_type == "text/markdown"
    assert card_md.text.startswith("# Telvar Model Reporting Rule")
    text = (await client.read_resource(f"policychat://sources/{TELVAR}/text")).contents[0]
    assert isinstance(text, TextResourceContents)
    assert text.text[answer["citations"][0]["start"]:answer["citations"][0]["end"]] == QUOTE
    with pytest.raises(MCPError, match="no-such-source") as unknown_resource:
        await client.read_resource("policychat://sources/no-such-source")
    assert unknown_resource.value.code == INVALID_PARAMS


# --------------------------------------------------------------------------- stdio


@pytest.fixture
def mcp_stdio(mini_library: Settings, tmp_path: Path) -> StdioServerParameters:
    """``policychat mcp`` (as ``python -m assistant.cli mcp``) on the mini library, for the SDK's stdio client."""
    env = child_env(POLICYCHAT_DATA_DIR=str(mini_library.store.data_dir))
    return StdioServerParameters(command=sys.executable, args=["-m", "assistant.cli", "mcp"], env=env, cwd=tmp_path)


def test_stdio_server_answers_with_citations_and_reads_the_library(mcp_stdio: StdioServerParameters,
                                                                   tmp_path: Path) -> None:
    errors: list[Exception] = []

    async def collect(message: object) -> None:
        if isinstance(message, Exception):  # e.g. a line on stdout that is not a protocol message
            errors.append(message)

    async def session() -> None:
        with (tmp_path / "stderr.log").open("w") as errlog:
            transport = stdio_client(mcp_stdio, errlog=errlog)
            async with Client(transport, message_handler=collect, read_timeout_seconds=TIMEOUT) as client:
                assert client.server_info is not None and client.server_info.name == "policychat"
                await check_library_session(client)

    run(session)
    assert not errors, errors
    assert "Traceback" not in (tmp_path / "stderr.log").read_text()


def test_stdio_command_reports_a_bad_setting_on_stderr(cli: Callable[..., Any], tmp_path: Path) -> None:
    result = cli("mcp", data_dir=tmp_path / "data", env={"POLICYCHAT_TOP_K": "0"}, timeout=120)
    assert result.returncode == 1
    assert result.stdout == ""  # stdout belongs to the protocol
    assert "POLICYCHAT_TOP_K" in result.stderr or "top_k" in result.stderr


# --------------------------------------------------------------------------- streamable HTTP


@pytest.fixture(scope="module")
def open_url(mini_library: Settings) -> Iterator[str]:
    """A server with an API key for writes; reads (MCP included) stay open, as by default."""
    with background_server(mini_library.replace(api_key=KEY)) as url:
        yield url


@pytest.fixture(scope="module")
def keyed_url(mini_library: Settings) -> Iterator[str]:
    """A server that needs its key for every read too (POLICYCHAT_API_KEY_READS), /mcp included."""
    with background_server(mini_library.replace(api_key=KEY, api_key_reads=True)) as url:
        yield url


def keyed_client(url: str, headers: dict[str, str]) -> Client:
    """An SDK client for ``url``/mcp whose HTTP requests carry ``headers``."""
    http = httpx2.AsyncClient(headers=headers, timeout=TIMEOUT)
    return Client(streamable_http_client(f"{url}/mcp", http_client=http), read_timeout_seconds=TIMEOUT)


def test_http_mcp_matches_the_json_api(open_url: str) -> None:
    async def session() -> tuple[dict[str, Any], list[Any], dict[str, Any]]:
        async with Client(f"{open_url}/mcp", read_timeout_seconds=TIMEOUT) as client:
            await check_library_session(client)
            answer = structured(await client.call_tool("answer", {"question": QUESTION}))
            sources = structured(await client.call_tool("list_sources", {}))
            card = structured(await client.call_tool("read_card", {"source_id": TELVAR}))
            return answer, sources, card

    answer, sources, card = run(session)
    with httpx.Client(base_url=open_url, timeout=TIMEOUT) as http:
        expected = http.post("/v1/answer", json={"question": QUESTION}).json()
        assert {k: v for k, v in answer.items() if k != "timings_ms"} == {
            k: v for k, v in expected.items() if k != "timings_ms"}
        assert sources == http.get("/v1/sources").json()
        assert card == http.get(f"/v1/sources/{TELVAR}/card").json()
        # The SDK's DNS-rebinding guard on a loopback server: a page on another site cannot reach /mcp.
        listing = {"json": {"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                   "headers": {"Accept": "application/json, text/event-stream"}}
        assert http.post("/mcp", **listing).status_code == 200
        rebound = http.post("/mcp", **{**listing, "headers": {**listing["headers"], "Host": "attacker.example"}})
        assert rebound.status_code == 421


def test_http_mcp_speaks_the_handshake_protocol_too(open_url: str) -> None:
    async def session() -> tuple[str, dict[str, Any]]:
        async with Client(f"{open_url}/mcp", mode="legacy", read_timeout_seconds=TIMEOUT) as client:
            return client.protocol_version, structured(await client.call_tool("answer", {"question": QUESTION}))

    protocol, answer = run(session)
    assert protocol < "2026"  # the initialize handshake (desktop clients of 2025), not server/discover
    assert_cited_answer(answer)


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "wrong"}, {"Authorization": KEY}])
def test_http_mcp_needs_the_key_when_reads_do(keyed_url: str, headers: dict[str, str]) -> None:
    refused = httpx.post(f"{keyed_url}/mcp", headers=headers, timeout=30,
                         json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    assert "/mcp" in refused.json()["detail"]

    async def session() -> None:
        async with keyed_client(keyed_url, headers) as client:
            await client.list_tools()

    with pytest.raises(ExceptionGroup) as failed:
        run(session)
    assert failed.group_contains(MCPError)


@pytest.mark.parametrize("headers", [{"X-API-Key": KEY}, {"Authorization": f"Bearer {KEY}"}])
def test_http_mcp_answers_with_the_key(keyed_url: str, headers: dict[str, str]) -> None:
    async def session() -> tuple[set[str], dict[str, Any]]:
        async with keyed_client(keyed_url, headers) as client:
            tools = {tool.name for tool in (await client.list_tools()).tools}
            return tools, structured(await client.call_tool("answer", {"question": QUESTION}))

    tools, answer = run(session)
    assert tools == TOOLS
    assert_cited_answer(answer)

