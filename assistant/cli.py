"""The ``policychat`` command line: ingest, sources, ask, serve, eval, repair, sync.

Every command builds :class:`Settings` once, calls one service function, and
turns a :class:`PolicychatError` into a one-line message and exit code 1.
"""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from policychat.errors import ConfigError, PolicychatError
from policychat.settings import Settings, get_settings, quiet_network_clients

if TYPE_CHECKING:
    from ingest.progress import IngestControl

app = typer.Typer(
    help="Cited answers about US–China AI policy from your own library of sources.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
sources_app = typer.Typer(help="List, show and remove ingested sources.", invoke_without_command=True)
app.add_typer(sources_app, name="sources")
console = Console()
err_console = Console(stderr=True)


def _settings() -> Settings:
    quiet_network_clients()
    try:
        return get_settings()
    except PolicychatError as exc:
        _fail(exc)
        raise  # unreachable


def _fail(exc: Exception) -> None:
    err_console.print(f"[bold red]error:[/] {exc}")
    raise typer.Exit(1)


def _progress_bar(label: str) -> Progress:
    """A transient progress bar on stderr: label, bar, done/total, elapsed time."""
    return Progress(
        TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err_console, transient=True
    )


def _open_library(settings: Settings):  # noqa: ANN202 - import kept lazy for fast --help
    from ingest.publish import open_library

    try:
        return open_library(settings)
    except PolicychatError as exc:
        _fail(exc)


@contextmanager
def _ctrl_c_cancels(control: IngestControl) -> Iterator[None]:
    """The first Ctrl-C asks the ingest run to stop at its next check (a clean cancel); a second one aborts."""
    previous = signal.getsignal(signal.SIGINT)

    def handle(signum: int, frame: object) -> None:
        if control.cancelled:
            raise KeyboardInterrupt
        control.cancel()
        err_console.print("[yellow]cancelling[/] after the current file or embedding batch (Ctrl-C again to abort)")

    signal.signal(signal.SIGINT, handle)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders; default POLICYCHAT_SOURCES.")] = None,
    prune: Annotated[bool, typer.Option(help="Remove sources whose files are gone from the given folders.")] = False,
    strict: Annotated[bool, typer.Option(help="Exit non-zero if any file fails.")] = False,
) -> None:
    """Ingest files and folders (PDF, HTML, Markdown, text, DOCX) into the library; Ctrl-C cancels cleanly."""
    from ingest.pipeline import ingest_paths
    from ingest.progress import IngestControl

    settings = _settings()
    if not paths:
        if settings.sources is None:
            _fail(
                PolicychatError(
                    "No paths given and POLICYCHAT_SOURCES is not set (../shared/corpus is absent); "
                    "pass files or folders: policychat ingest PATH..."
                )
            )
        paths = [Path(settings.sources)]  # type: ignore[arg-type]
    library = _open_library(settings)
    with _progress_bar("{task.description}") as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task("parsing" if stage == "parse" else "embedding", total=total)
            bar.update(tasks[stage], completed=done, total=total)

        control = IngestControl()
        try:
            with _ctrl_c_cancels(control):
                report = ingest_paths(library, list(paths), prune=prune, progress=progress, control=control)
        except PolicychatError as exc:
            _fail(exc)
    for error in report.errors:
        err_console.print(f"[red]skipped[/] {escape(error.path)}: {escape(error.reason)}")  # names may hold "[red]"
    table = Table(title="Ingest summary")
    for column in (
        "sources",
        "added",
        "updated",
        "unchanged",
        "removed",
        "failed",
        "chunks",
        "duplicates",
        "pages",
        "seconds",
        "chunks/s",
    ):
        table.add_column(column, justify="right")
    table.add_row(
        str(len(library.catalog.records())),
        str(len(report.added)),
        str(len(report.updated)),
        str(len(report.unchanged)),
        str(len(report.removed)),
        str(len(report.errors)),
        str(report.chunks_embedded),
        str(report.duplicate_chunks),
        str(report.pages),
        f"{report.seconds:.1f}",
        f"{report.chunks_per_second:.1f}",
    )
    console.print(table)
    if report.cancelled:
        err_console.print(f"[yellow]cancelled:[/] {len(report.ingested)} sources stored before the cancel were kept; "
                          "no file in progress was stored")
        raise typer.Exit(130)
    nothing = not report.ingested and not report.unchanged
    if (strict and report.errors) or (report.errors and nothing):
        raise typer.Exit(1)


@sources_app.callback()
def sources(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List ingested sources (id, title, country, date, type, chunks, status)."""
    if ctx.invoked_subcommand is not None:
        return
    from assistant.card_view import library_standings

    settings = _settings()
    library = _open_library(settings)
    try:
        records = library.catalog.records()
        standings = library_standings(library, [r.meta for r in records])
    except PolicychatError as exc:
        _fail(exc)
    status = {sid: standing.status for sid, standing in standings.items()}
    if as_json:
        sys.stdout.write(
            json.dumps(
                [{**r.meta.to_dict(), "chunks": r.n_chunks, "pages": r.n_pages, "status": status.get(r.meta.id)}
                 for r in records],
                ensure_ascii=False,
                indent=2,
            )
            + "\n"
        )
        return
    table = Table(title=f"{len(records)} sources in {settings.data_dir}")
    for column in ("id", "title", "country", "date", "type", "chunks", "status"):
        table.add_column(column, overflow="fold")
    for r in records:
        table.add_row(r.meta.id, r.meta.title[:70], r.meta.country, r.meta.date, r.meta.doc_type, str(r.n_chunks),
                      status.get(r.meta.id, "unknown"))
    console.print(table)


@sources_app.command("show")
def sources_show(
    source_id: Annotated[str, typer.Argument(help="The source id (see `policychat sources`).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the card as JSON (GET /v1/sources/ID/card).")] = False,
    markdown: Annotated[bool, typer.Option("--md", help="Print the card as Markdown (as …/card.md).")] = False,
) -> None:
    """Show a source's card: identity, status, purpose, summary, outline, provisions, key figures, relations."""
    from assistant.card_view import source_card

    library = _open_library(_settings())
    try:
        card = source_card(library, source_id)
    except PolicychatError as exc:
        _fail(exc)
    if as_json:
        sys.stdout.write(card.model_dump_json(indent=2) + "\n")
    elif markdown:
        from assistant.card_export import card_markdown

        sys.stdout.write(card_markdown(card))
    else:
        from assistant.cli_cards import print_card

        print_card(console, card)


@sources_app.command("rm")
def sources_rm(source_ids: Annotated[list[str], typer.Argument(help="Source ids to remove.")]) -> None:
    """Remove sources (their chunks, vectors and keyword entries) from the library."""
    library = _open_library(_settings())
    for source_id in source_ids:
        try:
            removed = library.remove_source(source_id)
        except PolicychatError as exc:
            _fail(exc)
        console.print(f"removed {source_id} ({removed} chunks)")


@app.command()
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
        _fail(PolicychatError(f"--format must be text, json or md, not {fmt!r}"))
    settings = _settings()
    try:
        filters = Filters(country=country, doc_type=doc_type, source_ids=source, date_from=date_from, date_to=date_to)
        request = AnswerRequest(question=question, filters=filters, top_k=top_k, generator=generator, raw_draft=raw)
    except ValidationError as exc:
        _fail(PolicychatError(f"invalid option: {exc.errors()[0]['loc'][-1]}: {exc.errors()[0]['msg']}"))
    try:
        answer = AnswerService(settings).answer(request)
    except PolicychatError as exc:
        _fail(exc)
    if as_json or fmt == "json":
        sys.stdout.write(answer.model_dump_json(indent=2) + "\n")
        return
    if fmt == "md":
        from assistant.export import Turn, to_markdown, with_pages
        from assistant.pages import citation_pages

        catalog = Catalog(Path(settings.data_dir) / "catalog.sqlite")
        sys.stdout.write(to_markdown(with_pages([Turn(question, answer)], citation_pages(catalog))))
        return
    console.print(answer.answer, highlight=False)
    if answer.citations:
        console.print()
    for c in answer.citations:
        page = f", p. {c.page}" if c.page else ""
        console.print(f"[bold][{c.marker}][/] {c.title} — {c.publisher}, {c.date}{page}", highlight=False)
        console.print(f"    “{' '.join(c.quote.split())}”", style="dim", highlight=False)
    console.print(f"[dim]{answer.generator} · {answer.timings_ms.total:.0f} ms[/]")


eval_app = typer.Typer(help="Evaluate answers on a gold question set.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")


@eval_app.command("run")
def eval_run(
    dataset: Annotated[Path | None, typer.Option(help="Gold JSONL; default eval/data/gold.jsonl.")] = None,
    sources: Annotated[Path | None, typer.Option(help="New sources to evaluate in scratch libraries.")] = None,
    generator: Annotated[str | None, typer.Option(help="Answer backend to evaluate.")] = None,
    out: Annotated[Path | None, typer.Option(help="Report folder; default eval/reports/<timestamp>.")] = None,
    ablations: Annotated[bool, typer.Option(help="Also score retrieval variants and the LangChain baseline.")] = True,
    judge: Annotated[
        bool,
        typer.Option(
            "--judge",
            help="Also score answers with an LLM judge (RAGAS metric names) at POLICYCHAT_LLM_BASE_URL; "
            "reported separately in judge.json, never gating.",
        ),
    ] = False,
    judge_limit: Annotated[int, typer.Option(min=1, help="Judge at most this many answered items.")] = 20,
    split: Annotated[
        str, typer.Option(help="Which items to answer: all, dev (tune on these) or test (report only).")
    ] = "all",
) -> None:
    """Answer every gold question, write a report, and exit non-zero if a gate fails.

    With --sources, the sources are ingested into scratch libraries (never the
    main index) and the dataset is reported on the new sources alone and on the
    whole library plus them. With --judge, an OpenAI-compatible endpoint also
    scores up to --judge-limit answers; its figures are reported apart and never
    change the exit code.
    """
    import time

    from assistant.service import AnswerService
    from eval.dataset import DEFAULT_DATASET, load_gold

    settings = _settings()
    if judge:
        from eval.judge import require_endpoint

        try:
            require_endpoint(settings)
        except PolicychatError as exc:
            _fail(exc)
    judge_with = judge_limit if judge else None
    folder = out or Path("eval/reports") / time.strftime("%Y%m%d-%H%M%S")
    try:
        items = load_gold(dataset or DEFAULT_DATASET)
        if split not in ("all", "dev", "test"):
            raise ConfigError(f"--split must be all, dev or test, not {split!r}")
        items = [item for item in items if split in ("all", item.split)]
        if sources is None:
            failed = _evaluate(AnswerService(settings), items, generator, folder, ablations, "library", judge_with,
                               feedback_dir=settings.data_dir)
        else:
            from eval.newsources import prepare_libraries

            failed = False
            for name, (library, report) in prepare_libraries(settings, sources).items():
                err_console.print(f"{name}: {len(library.catalog.records())} sources ({len(report.ingested)} new)")
                service = AnswerService(library.settings, library)
                failed |= _evaluate(service, items, generator, folder / name, ablations, f"{name} sources", judge_with)
    except PolicychatError as exc:
        _fail(exc)
    if failed:
        raise typer.Exit(1)


def _evaluate(  # noqa: ANN001
    service, items, generator: str | None, folder: Path, ablations: bool, scope: str, judge_limit: int | None = None,
    feedback_dir: Path | None = None,
) -> bool:
    """Run one evaluation, print and write its report; True when a gate failed (the judge never counts).

    With ``feedback_dir`` (the data directory), the report lists its recent negative feedback.
    """
    from eval.metrics import summarize
    from eval.runner import check_result_gates, run_eval, write_report

    contexts: dict[str, list[str]] = {}
    with _progress_bar(f"evaluating ({scope})") as bar:
        task = bar.add_task("eval", total=len(items))
        results, summary = run_eval(
            service, items, generator, progress=lambda done, _: bar.update(task, completed=done), contexts=contexts
        )
    variants: dict[str, dict] = {}
    if ablations:
        from eval.ablations import langchain_baseline, run_ablations

        err_console.print("scoring retrieval ablations and the LangChain baseline…")
        variants = run_ablations(service.retriever, items)
        variants["langchain-baseline (1000/200, k=4)"] = langchain_baseline(service.library, items)
    failures = check_result_gates(results)
    judged = None if judge_limit is None else _judge(service.settings, items, results, contexts, judge_limit, scope)
    label = f"{generator or service.settings.generator} on {len(items)} items, {scope}"
    write_report(folder, results, summary, failures, label=label, ablations=variants, items=items, judge=judged,
                 data_dir=feedback_dir)
    splits = {name: summarize([r for r in results if r.split == name]) for name in ("all", "dev", "test")}
    splits["all"] = summary
    table = Table(title=f"Evaluation: {label} → {folder}")
    table.add_column("metric")
    for name in splits:
        table.add_column(name, justify="right")
    for metric in summary:
        table.add_row(metric, *("n/a" if s.get(metric) is None else f"{s[metric]:.3f}" for s in splits.values()))
    console.print(table)
    if judged is not None:
        _print_judge(judged)
    if failures:
        err_console.print("[bold red]gates failed:[/] " + "; ".join(failures))
    else:
        console.print("[green]all gates pass[/]")
    return bool(failures)


def _judge(settings: Settings, items, results, contexts, limit: int, scope: str):  # noqa: ANN001, ANN202
    """Run the optional LLM judge with a progress bar; its failures are reported, not raised."""
    from eval.judge import judge_results

    with _progress_bar(f"LLM judge ({scope})") as bar:
        task = bar.add_task("judge", total=None)
        return judge_results(
            items,
            results,
            settings,
            contexts,
            limit=limit,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )


def _print_judge(report) -> None:  # noqa: ANN001 - eval.judge.JudgeReport, imported lazily
    """The judge's aggregate as its own table, or the reason it failed."""
    if report.error:
        err_console.print(f"[bold red]error:[/] LLM judge failed: {report.error} (the rest of the report is written)")
    table = Table(title=f"LLM judge (not gating): {report.model}, {len(report.samples)} of {report.eligible} items")
    for column in ("metric", "mean", "scored", "unparsed", "failed calls"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for metric, agg in report.aggregate().items():
        mean = agg["mean"]
        table.add_row(
            metric,
            "n/a" if mean is None else f"{mean:.3f}",
            str(agg["scored"]),
            str(agg["unparsed"]),
            str(agg["failed"]),
        )
    console.print(table)


@eval_app.command("generate")
def eval_generate(
    sources: Annotated[Path, typer.Option(help="Folder of new sources to draft questions for.")],
    out: Annotated[Path, typer.Option(help="Where to write the unreviewed JSONL.")] = Path("eval/data/generated.jsonl"),
    dataset: Annotated[Path | None, typer.Option(help="Existing gold set; its sources are skipped.")] = None,
) -> None:
    """Draft questions (marked unreviewed) for documents the gold set does not cover."""
    from collections import Counter

    from eval.dataset import DEFAULT_DATASET, load_gold
    from eval.newsources import draft_questions

    settings = _settings()
    try:
        known = {s for item in load_gold(dataset or DEFAULT_DATASET) for s in item.gold_sources}
        items = draft_questions(sources, known, settings=settings)
    except PolicychatError as exc:
        _fail(exc)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(item.model_dump_json() + "\n" for item in items), encoding="utf-8")
    kinds = Counter(item.kind for item in items)
    console.print(
        f"wrote {len(items)} unreviewed questions ({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))}) for "
        f"{len({i.id.rsplit('-', 1)[0] for i in items})} sources to {out}; review them, then: "
        f"policychat eval run --sources {sources} --dataset {out}"
    )


@eval_app.command("candidates")
def eval_candidates(
    out: Annotated[Path, typer.Option(help="Where to write the draft JSONL.")],
    since: Annotated[str | None, typer.Option(help="Only feedback given on or after this day (YYYY-MM-DD).")] = None,
) -> None:
    """Turn answers rated down in stored conversations into draft gold items (unreviewed, dev split)."""
    from datetime import UTC, datetime

    from assistant.conversations import ConversationStore
    from eval.candidates import feedback_candidates, write_candidates

    settings = _settings()
    try:
        start = datetime.fromisoformat(since).replace(tzinfo=UTC) if since else None
    except ValueError:
        _fail(PolicychatError(f"--since must be a date like 2026-01-31, not {since!r}"))
    try:
        items = feedback_candidates(ConversationStore.for_data_dir(Path(settings.data_dir)), start)
    except PolicychatError as exc:
        _fail(exc)
    write_candidates(items, out)
    console.print(f"wrote {len(items)} draft gold items from negative feedback to {out}; review them (evidence, "
                  "key facts, reviewed: true), then add them to the gold set")


@app.command()
def repair() -> None:
    """Check that catalog, vectors and BM25 agree, and fix what an interrupted run left."""
    report = _open_library(_settings()).repair()
    console.print(
        f"orphan vectors removed: {report.orphans_removed}; sources to re-ingest: "
        f"{', '.join(report.stale_sources) or 'none'}; keyword index rebuilt: {report.keyword_rebuilt}"
    )


@app.command()
def sync(
    full: Annotated[bool, typer.Option(help="Re-read every source even if nothing changed.")] = False,
) -> None:
    """Chroma server mode: update this machine's catalog and BM25 index from the server."""
    from ingest.sync import sync_from_chroma

    try:
        report = sync_from_chroma(_open_library(_settings()), full=full)
    except PolicychatError as exc:
        _fail(exc)
    console.print(report.summary(), highlight=False)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on; default POLICYCHAT_HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Port; default POLICYCHAT_PORT (8000).")] = None,
) -> None:
    """Serve the answer API (/v1, docs at /docs) and the chat UI (/) in one uvicorn server."""
    from assistant.server import serve as run_server

    settings = _settings()
    try:
        run_server(settings, host=host, port=port)
    except PolicychatError as exc:
        _fail(exc)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
