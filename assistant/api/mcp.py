"""The MCP server: the library's answers, passages, sources and cards as Model Context Protocol tools and resources.

Built with the official ``mcp`` SDK (:class:`mcp.server.mcpserver.MCPServer`) on the same
:class:`~assistant.service.AnswerService` and the same response models as the HTTP routes, so a
tool's structured result is the JSON of the matching endpoint:

============  ======================================  ==========================================
tool          takes                                   returns
============  ======================================  ==========================================
answer        question, filters, top_k, generator,    ``Answer`` (as ``POST /v1/answer``)
              as_of
search        query, filters, k                       passages, best first (:class:`PassageHit`)
list_sources  nothing                                 ``SourceInfo`` list (as ``GET /v1/sources``)
read_card     source_id                               ``SourceCard`` (as ``GET /v1/sources/{id}/card``)
============  ======================================  ==========================================

Resources: ``policychat://sources/{source_id}`` is a source's card as Markdown (every source of the
library is listed, as it is at the time of asking) and ``policychat://sources/{source_id}/text`` its
stored text, which citation offsets index into.

Two transports: stdio (``policychat mcp``, :func:`run_stdio`) and streamable HTTP at ``/mcp`` of the
app server (:func:`http_routes`), where the API key rule of the ``/v1`` reads applies
(:mod:`assistant.api.limits`). A :class:`~policychat.errors.PolicychatError` or an invalid argument
becomes a tool error (a resource error when reading a resource) that carries its message; a blank
``question`` or ``query`` is refused by the same rule as ``POST /v1/answer``'s (:data:`~assistant.models.QuestionText`).
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import date
from importlib.metadata import version
from typing import Annotated, Any
from urllib.parse import quote

import anyio.to_thread
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.shared.exceptions import MCPError
from mcp.types import INTERNAL_ERROR, Resource, ToolAnnotations
from pydantic import BaseModel, Field, ValidationError
from starlette.routing import BaseRoute

from assistant.api.schemas import SourceInfo
from assistant.api.sources import list_sources as source_list
from assistant.models import Answer, AnswerRequest, Filters, QuestionText
from assistant.research.card_export import card_markdown
from assistant.research.card_models import SourceCard
from assistant.research.card_view import source_card
from assistant.service import AnswerService
from policychat.errors import PolicychatError, SourceNotFoundError
from policychat.settings import Settings

log = logging.getLogger(__name__)

ServiceOpener = Callable[[], AnswerService]
"""Returns the one answer service (opened on first call; raises ``IndexUnavailableError`` while it cannot be)."""

MCP_PATH = "/mcp"
SOURCE_URI = "policychat://sources/{source_id}"
TEXT_URI = "policychat://sources/{source_id}/text"
READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
INSTRUCTIONS = (
    "Cited answers about US-China AI capability and AI governance from a library of policy documents. Call "
    "`answer` with a question: every sentence of its answer carries [n] markers whose citations quote the source "
    "exactly (source id, page, offsets); when the library does not support an answer it abstains, so do not fill "
    "the gap yourself. `search` returns passages, `list_sources` what the library holds, `read_card` a source's "
    "card (purpose, outline, provisions, key figures, status)."
)

FiltersArg = Annotated[Filters | None, Field(
    description="Only sources matching every given field: country (US, CN, INTL, OTHER), doc_type, source_ids "
    "(from list_sources), date_from / date_to (YYYY-MM-DD).")]
HowMany = Annotated[int | None, Field(
    ge=1, le=50, description="How many passages to retrieve (default: the server's POLICYCHAT_TOP_K, 8 unless set).")]


class PassageHit(BaseModel):
    """A passage the search tool found: its source, where it lies in the source's stored text, its score."""

    chunk_id: str
    source_id: str
    title: str
    section: str
    page: int | None
    start: int = Field(description="Offset of the passage in the source's stored text (policychat://sources/ID/text).")
    end: int
    score: float = Field(description="Fused retrieval score (reciprocal rank fusion of dense and keyword search).")
    text: str


class LibraryMCP(MCPServer[Any]):
    """An MCP server whose resource list is the library's sources at the time of asking.

    Uploads and deletes on the HTTP server show in the next ``resources/list`` without a restart.
    """

    def __init__(self, service: ServiceOpener, **kwargs: Any) -> None:
        """Keep ``service``; ``kwargs`` go to :class:`MCPServer`."""
        super().__init__(**kwargs)
        self._open_service = service

    async def list_resources(self) -> list[Resource]:
        """The registered resources, then one card resource per source of the library, ordered by id."""
        try:
            sources = await anyio.to_thread.run_sync(self._source_resources)
        except PolicychatError as exc:
            raise MCPError(code=INTERNAL_ERROR, message=str(exc)) from exc
        return [*await super().list_resources(), *sources]

    def _source_resources(self) -> list[Resource]:
        resources = []
        for record in self._open_service().library.catalog.records():
            meta, in_uri = record.meta, quote(record.meta.id, safe="")  # the templates decode it again
            resources.append(Resource(
                uri=SOURCE_URI.format(source_id=in_uri), name=meta.id, title=meta.title, mime_type="text/markdown",
                description=f"Card of {meta.title} ({meta.publisher}, {meta.date or 'undated'}); its stored text: "
                f"{TEXT_URI.format(source_id=in_uri)}"))
        return resources


def build_mcp_server(service: ServiceOpener, settings: Settings, *,
                     lifespan: Callable[[MCPServer[Any]], Any] | None = None) -> LibraryMCP:
    """The MCP server over ``service``: four read-only tools and two resource templates (module docstring).

    Args:
        service: returns the answer service (the HTTP server passes ``Runtime.service``).
        settings: the limits the tools apply (question length, default ``k``).
        lifespan: entered while the server runs (stdio: the warm-up); none for HTTP, whose app warms up.

    Returns:
        The server; run it with :func:`run_stdio` or mount :func:`http_routes`.
    """
    server = LibraryMCP(service, name="policychat", title="policychat: cited answers on US-China AI policy",
                        version=version("policychat"), instructions=INSTRUCTIONS, log_level="WARNING",
                        lifespan=lifespan)
    max_chars = settings.answer.max_question_chars

    def answer(
        question: Annotated[QuestionText, Field(description="The question, standalone (English or Chinese).")],
        filters: FiltersArg = None,
        top_k: HowMany = None,
        generator: Annotated[str | None, Field(
            description="Answer backend: extractive, local or openai (default: the server's).")] = None,
        as_of: Annotated[date | None, Field(
            description="Answer from the sources in force on this day (YYYY-MM-DD).")] = None,
    ) -> Answer:
        """Answer a question from the library with numbered citations, or abstain.

        Every sentence of `answer` ends with [n] markers; citation n quotes its source verbatim with the
        source id, title, page and character offsets. `abstained` is true when the library does not support
        an answer. The result is the JSON of POST /v1/answer.
        """
        _check_length("question", question, max_chars)
        with _tool_errors():
            request = AnswerRequest(question=question, filters=filters, top_k=top_k, generator=generator, as_of=as_of)
            return service().answer(request)

    def search(
        query: Annotated[QuestionText, Field(description="Words or a question to find passages for.")],
        filters: FiltersArg = None,
        k: HowMany = None,
    ) -> list[PassageHit]:
        """Find the library's best passages for a query (hybrid dense + keyword search), best first.

        Each passage names its source id and title, page, section, offsets into the source's stored text and
        its fused score. Passages are not verified answers: use `answer` for a cited answer.
        """
        _check_length("query", query, max_chars)
        with _tool_errors():
            passages = service().retriever.retrieve(query, filters, k)
        return [PassageHit(chunk_id=p.chunk_id, source_id=p.chunk.source_id, title=p.meta.title,
                           section=p.chunk.section, page=p.chunk.page, start=p.chunk.start, end=p.chunk.end,
                           score=round(p.score, 6), text=p.chunk.text) for p in passages]

    def list_sources() -> list[SourceInfo]:
        """Every source of the library (id, title, publisher, country, date, type, chunks, pages, status) by id.

        The result is the JSON of GET /v1/sources.
        """
        with _tool_errors():
            return source_list(service())

    def read_card(
        source_id: Annotated[str, Field(min_length=1, description="A source id from list_sources.")],
    ) -> SourceCard:
        """A source's card: identity, purpose, outline, provisions, key figures, summary, status and relations.

        Every quoted item carries its quote and offsets into the source's stored text. The result is the JSON
        of GET /v1/sources/{id}/card.
        """
        with _tool_errors():
            try:
                return source_card(service().library, source_id)
            except SourceNotFoundError:
                raise ToolError(f"source_id: no source with id {source_id!r}; list_sources lists the ids.") from None

    for tool in (answer, search, list_sources, read_card):
        # The docstring is the description the client's model reads: without the code's indentation.
        server.add_tool(tool, description=inspect.getdoc(tool), annotations=READ_ONLY, structured_output=True)

    @server.resource(SOURCE_URI, name="source-card", title="A source's card (Markdown)", mime_type="text/markdown")
    def card_resource(source_id: str) -> str:
        """A source's card as Markdown: every quoted item ends with [source-id:start–end, p. N]."""
        with _resource_errors(source_id):
            return card_markdown(source_card(service().library, source_id))

    @server.resource(TEXT_URI, name="source-text", title="A source's stored text", mime_type="text/plain")
    def text_resource(source_id: str) -> str:
        """A source's stored text: the offsets of citations, passages and card items index into it."""
        with _resource_errors(source_id):
            return service().library.catalog.source(source_id).text

    return server


def _check_length(field: str, text: str, limit: int) -> None:
    if len(text) > limit:
        raise ToolError(f"{field}: at most {limit} characters (POLICYCHAT_MAX_QUESTION_CHARS), got {len(text)}.")


def _validation_message(exc: ValidationError) -> str:
    """``field: message`` for each error, fields dotted (``filters.country.0``)."""
    return "; ".join(f"{'.'.join(str(part) for part in e['loc']) or 'arguments'}: {e['msg']}" for e in exc.errors())


@contextmanager
def _tool_errors() -> Iterator[None]:
    """Report the project's errors and invalid arguments as tool errors with their message (not as a crash)."""
    try:
        yield
    except PolicychatError as exc:
        raise ToolError(str(exc)) from exc
    except ValidationError as exc:
        raise ToolError(_validation_message(exc)) from exc


@contextmanager
def _resource_errors(source_id: str) -> Iterator[None]:
    """An unknown source id is "not found" (invalid params); any other project error a resource error."""
    try:
        yield
    except SourceNotFoundError:
        raise ResourceNotFoundError(f"No source with id {source_id!r}; resources/list lists the sources.") from None
    except PolicychatError as exc:
        raise ResourceError(str(exc)) from exc


def http_routes(server: MCPServer[Any], settings: Settings) -> list[BaseRoute]:
    """The streamable HTTP endpoint at ``/mcp`` as routes for the app server.

    Stateless, with JSON replies: every request stands alone (no session held in memory), so
    several replicas behind one address serve it alike. On a loopback host the SDK also refuses a
    ``Host`` or ``Origin`` header from elsewhere (DNS rebinding). The app must run
    ``server.session_manager.run()`` in its lifespan.
    """
    app = server.streamable_http_app(streamable_http_path=MCP_PATH, stateless_http=True, json_response=True,
                                     host=settings.server.host)
    return list(app.routes)


def lazy_service(settings: Settings) -> ServiceOpener:
    """An opener of one :class:`AnswerService` on ``settings``, created on the first call (retried after a failure)."""
    lock = threading.Lock()
    opened: list[AnswerService] = []

    def open_service() -> AnswerService:
        with lock:
            if not opened:
                opened.append(AnswerService(settings))
            return opened[0]

    return open_service


def _warm_up(service: ServiceOpener) -> None:
    """Open the library and load the snapshot, embedding model and default generator; log a failure."""
    try:
        service().warm_up()
    except PolicychatError as exc:
        log.warning("warm-up failed: %s", exc)
    except Exception:  # a warm-up must never take the server down
        log.exception("warm-up failed")


def run_stdio(settings: Settings) -> None:
    """Serve the library to one MCP client on stdin/stdout until it closes them.

    Stdout carries only the protocol: the SDK points file descriptor 1 at stderr while it serves,
    and the models load in a background thread after that, so their output goes to stderr too.
    """
    service = lazy_service(settings)

    @asynccontextmanager
    async def warming(_: MCPServer[Any]) -> AsyncIterator[dict[str, Any]]:
        threading.Thread(target=_warm_up, args=(service,), name="policychat-mcp-warm-up", daemon=True).start()
        yield {}

    build_mcp_server(service, settings, lifespan=warming).run("stdio")
