"""``policychat ask``: one answer from the library, as text with numbered citations, JSON or Markdown."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from assistant.cli.common import console, load_settings, translate_errors
from policychat.errors import PolicychatError


@translate_errors
def ask(
    question: Annotated[str, typer.Argument(help="The question.")],
    country: Annotated[
        list[str] | None, typer.Option(help="Only sources of this country (US, CN, INTL, OTHER).")
    ] = None,
    doc_type: Annotated[list[str] | None, typer.Option(help="Only this document type.")] = None,
    source: Annotated[list[str] | None, typer.Option(help="Only this source id.")] = None,
    date_from: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    date_to: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    top_k: Annotated[int | None, typer.Option(help="Passages to retrieve.")] = None,
    generator: Annotated[str | None, typer.Option(help="extractive | local | openai")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer contract as JSON (--format json).")] = False,
    fmt: Annotated[str, typer.Option("--format", help="text | json | md (Markdown with footnotes).")] = "text",
    raw: Annotated[bool, typer.Option(help="Keep unsupported draft sentences, marked.")] = False,
) -> None:
    """Answer a question from the library, with numbered citations."""
    from pydantic import ValidationError

    from assistant.models import AnswerRequest, Filters
    from assistant.service import AnswerService
    from ingest.catalog import Catalog

    if fmt not in ("text", "json", "md"):
        raise PolicychatError(f"--format must be text, json or md, not {fmt!r}")
    settings = load_settings()
    try:
        filters = Filters(country=country, doc_type=doc_type, source_ids=source, date_from=date_from, date_to=date_to)
        request = AnswerRequest(question=question, filters=filters, top_k=top_k, generator=generator, raw_draft=raw)
    except ValidationError as exc:
        raise PolicychatError(f"invalid option: {exc.errors()[0]['loc'][-1]}: {exc.errors()[0]['msg']}") from exc
    answer = AnswerService(settings).answer(request)
    if as_json or fmt == "json":
        sys.stdout.write(answer.model_dump_json(indent=2) + "\n")
        return
    if fmt == "md":
        from assistant.research.export import Turn, to_markdown, with_pages
        from assistant.research.pages import citation_pages

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
