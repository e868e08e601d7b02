"""``policychat ask``: one answer from the library, as text with numbered citations, JSON or Markdown.

The answer comes from a running ``policychat serve`` when one answers at ``--server`` (default:
the configured address), which has the model loaded already; otherwise the model is loaded in
this process (:mod:`assistant.cli.server_client`). Both print the same output.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from assistant.cli.common import console, err_console, load_settings, translate_errors
from policychat.errors import PolicychatError
from policychat.settings import Settings

if TYPE_CHECKING:
    from assistant.models import Answer, AnswerRequest


def _not_blank(question: str) -> str:
    """Refuse an empty or whitespace-only QUESTION argument (typer reports it naming the argument)."""
    if not question.strip():
        raise typer.BadParameter("the question is empty or only whitespace; ask something, e.g. "
                                 "policychat ask \"What does the rule require?\"")
    return question


def _http_url(url: str | None) -> str | None:
    """Refuse a ``--server`` value that is not an http(s) URL (it would never answer, silently)."""
    if url is not None and not url.startswith(("http://", "https://")):
        raise typer.BadParameter(f"{url!r} is not an http:// or https:// URL, e.g. http://127.0.0.1:8000")
    return url


@translate_errors
def ask(
    question: Annotated[str, typer.Argument(help="The question.", callback=_not_blank)],
    country: Annotated[
        list[str] | None, typer.Option(help="Only sources of this country (US, CN, INTL, OTHER).")
    ] = None,
    doc_type: Annotated[list[str] | None, typer.Option(help="Only this document type.")] = None,
    source: Annotated[list[str] | None, typer.Option(help="Only this source id.")] = None,
    date_from: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    date_to: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    as_of: Annotated[str | None, typer.Option(
        help="YYYY-MM-DD: answer from the sources in force on that day (later changes are noted).")] = None,
    top_k: Annotated[int | None, typer.Option(help="Passages to retrieve.")] = None,
    generator: Annotated[str | None, typer.Option(help="extractive | local | openai")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer contract as JSON (--format json).")] = False,
    fmt: Annotated[str, typer.Option("--format", help="text | json | md (Markdown with footnotes).")] = "text",
    raw: Annotated[bool, typer.Option(help="Keep unsupported draft sentences, marked.")] = False,
    server: Annotated[str | None, typer.Option(
        help="Ask the policychat server at this URL when one answers there (no model load here); "
             "default http://POLICYCHAT_HOST:POLICYCHAT_PORT.", callback=_http_url)] = None,
    no_server: Annotated[bool, typer.Option(
        "--no-server", help="Answer in this process (loads the model) without trying a server.")] = False,
) -> None:
    """Answer a question from the library, with numbered citations (through a running server when one answers)."""
    if fmt not in ("text", "json", "md"):
        raise PolicychatError(f"--format must be text, json or md, not {fmt!r}")
    if server and no_server:
        raise PolicychatError("--server and --no-server contradict each other; give one of them")
    settings = load_settings()
    request = _request(question, country, doc_type, source, date_from, date_to, top_k, generator, raw, as_of)
    answer = None if no_server else _ask_server(server, request, settings)
    if answer is None:
        from assistant.service import AnswerService

        answer = AnswerService(settings).answer(request)
    _print_answer(question, answer, "json" if as_json else fmt, settings)


def _request(question: str, country: list[str] | None, doc_type: list[str] | None, source: list[str] | None,
             date_from: str | None, date_to: str | None, top_k: int | None, generator: str | None,
             raw: bool, as_of: str | None = None) -> AnswerRequest:
    """The validated request of the command line's question and options.

    Raises:
        PolicychatError: an option is invalid (its name and what is wrong).
    """
    from pydantic import ValidationError

    from assistant.models import AnswerRequest, Filters

    try:
        filters = Filters(country=country, doc_type=doc_type, source_ids=source, date_from=date_from, date_to=date_to)
        return AnswerRequest(question=question, filters=filters, top_k=top_k, generator=generator, raw_draft=raw,
                             as_of=as_of)
    except ValidationError as exc:
        raise PolicychatError(f"invalid option: {exc.errors()[0]['loc'][-1]}: {exc.errors()[0]['msg']}") from exc


def _ask_server(server: str | None, request: AnswerRequest, settings: Settings) -> Answer | None:
    """The answer of the server at ``server`` (default: the configured address), or None when none answers.

    Says on stderr which happened: which server answered, or that the model loads here.
    """
    from assistant.cli.server_client import ask_server, default_server_url

    url = server or default_server_url(settings)
    answer = ask_server(url, request, settings.server.api_key)
    if answer is None:
        err_console.print(f"[dim]no policychat server at {url}: answering here (loading the model takes a few "
                          "seconds; `policychat serve` keeps it loaded, --no-server skips this check)[/]",
                          highlight=False)
    else:
        err_console.print(f"[dim]answered by the policychat server at {url}[/]", highlight=False)
    return answer


def _print_answer(question: str, answer: Answer, fmt: str, settings: Settings) -> None:
    """Print ``answer`` on stdout as ``fmt``: text with numbered citations, the JSON contract, or Markdown."""
    if fmt == "json":
        sys.stdout.write(answer.model_dump_json(indent=2) + "\n")
        return
    if fmt == "md":
        from assistant.research.export import Turn, to_markdown, with_pages
        from assistant.research.pages import citation_pages
        from ingest.catalog import Catalog

        catalog = Catalog(Path(settings.store.data_dir) / "catalog.sqlite")
        sys.stdout.write(to_markdown(with_pages([Turn(question, answer)], citation_pages(catalog))))
        return
    console.print(answer.answer, highlight=False)
    if answer.citations:
        console.print()
    for c in answer.citations:
        page = f", p. {c.page}" if c.page else ""
        console.print(f"[bold][{c.marker}][/] {c.title} — {c.publisher}, {c.date}{page}", highlight=False)
        console.print(f"    “{' '.join(c.quote.split())}”", style="dim", highlight=False)
    if answer.parts:
        from assistant.core.selector import confidence_label

        console.print("[dim]" + "; ".join(
            f"{p.kind}: {confidence_label(p.confidence)} confidence ({p.confidence:.2f})" if p.supported
            else f"{p.kind}: not answered" for p in answer.parts) + "[/]", highlight=False)
    console.print(f"[dim]{answer.generator} · {answer.timings_ms.total:.0f} ms[/]")
