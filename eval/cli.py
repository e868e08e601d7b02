"""``policychat eval``: run the gold set (with ablations and the optional LLM judge), draft new gold items.

The typer sub-app :data:`eval_app` is mounted as ``eval`` through the ``policychat.commands``
entry point (pyproject.toml); it uses the command line's shared helpers
(:mod:`assistant.cli.common`), so its commands report errors, print and show progress like
every other ``policychat`` command.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from assistant.cli.common import console, err_console, load_settings, progress_bar, translate_errors
from policychat.errors import ConfigError, PolicychatError
from policychat.settings import Settings

if TYPE_CHECKING:
    from assistant.service import AnswerService
    from eval.changes import ChangeReport
    from eval.dataset import GoldItem
    from eval.judge import JudgeReport
    from eval.metrics import ItemResult
    from eval.review import Edits
    from ingest.library import Library

eval_app = typer.Typer(help="Evaluate answers on a gold question set.", no_args_is_help=True)


@eval_app.command("run")
@translate_errors
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
        str, typer.Option(help="Which items to answer: all, dev (tune on these), test (report only), heldout or "
                          "unseen (blind sets: score once, never tune).")
    ] = "all",
    gates: Annotated[
        Path | None, typer.Option(help="Gate table (TOML) to judge this run by; default: eval/gates.toml for the "
                                  "gold set, none for another dataset.")
    ] = None,
    changes: Annotated[
        bool, typer.Option(help="With --sources: also ask the gold set before and after the sources are added and "
                           "list the items whose answer, citations or refusal changed (whole report).")
    ] = True,
    changes_dataset: Annotated[
        Path | None, typer.Option(help="The questions --changes asks; default eval/data/gold.jsonl.")
    ] = None,
) -> None:
    """Answer every gold question, write a report, and exit non-zero if a gate fails.

    With --sources, the sources are ingested into scratch libraries (never the
    main index) and the dataset is reported on the new sources alone and on the
    whole library plus them; the whole report also lists the gold items whose
    answers changed when the sources were added (--no-changes skips it). Every
    run stores each source's pass rate in the data directory (eval_health.json),
    which its card shows. With --judge, an OpenAI-compatible endpoint also
    scores up to --judge-limit answers; its figures are reported apart and never
    change the exit code.
    """
    import time

    from assistant.service import AnswerService
    from eval.dataset import DEFAULT_DATASET, load_gold
    from eval.runner import GATES_FILE

    settings = load_settings()
    if judge:
        from eval.judge import require_endpoint

        require_endpoint(settings)
    judge_with = judge_limit if judge else None
    folder = out or Path("eval/reports") / time.strftime("%Y%m%d-%H%M%S")
    items = load_gold(dataset or DEFAULT_DATASET)
    if split not in ("all", "dev", "test", "heldout", "unseen"):
        raise ConfigError(f"--split must be all, dev, test, heldout or unseen, not {split!r}")
    if gates is not None and not gates.is_file():
        raise ConfigError(f"--gates: no such file: {gates}")
    # The gold set's gates judge the gold set; a user's own dataset is judged only by gates they give.
    is_gold = dataset is None or dataset.resolve() == DEFAULT_DATASET.resolve()
    gates_file = gates if gates is not None else (GATES_FILE if is_gold else None)
    items = [item for item in items if split in ("all", item.split)]
    health_dir = Path(settings.store.data_dir)
    if sources is None:
        failed = _evaluate(AnswerService(settings), items, generator, folder, ablations, "library", judge_with,
                           feedback_dir=settings.store.data_dir, gates_file=gates_file, health_dir=health_dir)
    else:
        from eval.newsources import prepare_libraries

        asked = _GoldChanges(settings, load_gold(changes_dataset or DEFAULT_DATASET), generator) if changes else None
        libraries = prepare_libraries(settings, sources, before_ingest=asked.before if asked else None)
        change_report = asked.after(libraries["whole"][0]) if asked else None
        failed = False
        for name, (library, report) in libraries.items():
            err_console.print(f"{name}: {len(library.catalog.records())} sources ({len(report.ingested)} new)")
            service = AnswerService(library.settings, library)
            # The whole library is what the main one becomes once the sources are ingested: its figures are theirs.
            whole = name == "whole"
            failed |= _evaluate(service, items, generator, folder / name, ablations, f"{name} sources", judge_with,
                                gates_file=gates_file, changes=change_report if whole else None,
                                health_dir=health_dir if whole else None)
    if failed:
        raise typer.Exit(1)


class _GoldChanges:
    """The gold set asked on the ``whole`` scratch library before and after the new sources go in."""

    def __init__(self, settings: Settings, items: list[GoldItem], generator: str | None) -> None:
        from eval.newsources import comparison_blocker

        self.items, self.generator = items, generator
        self.blocker = comparison_blocker(settings)
        self.earlier: list[ItemResult] | None = None

    def before(self, name: str, library: Library) -> None:
        """``prepare_libraries``' hook: answer the gold set on ``whole`` while it is a copy of the main library."""
        if name == "whole" and self.blocker is None:
            self.earlier = self._ask(library, "gold set before the sources")

    def after(self, library: Library) -> ChangeReport:
        """Answer the gold set on ``whole`` with the sources in; compare with :meth:`before`."""
        from eval.changes import ChangeReport, compare_results

        if self.blocker is not None or self.earlier is None:
            err_console.print(f"[yellow]not comparing the gold set before and after:[/] {self.blocker}")
            return ChangeReport(skipped=self.blocker or "the gold set was not asked before the sources went in")
        report = compare_results(self.earlier, self._ask(library, "gold set after the sources"),
                                 {item.id: item.question for item in self.items})
        counts = ", ".join(f"{direction} {n}" for direction, n in report.counts().items())
        err_console.print(f"gold set: {len(report.changes)} of {report.compared} answers changed ({counts})")
        return report

    def _ask(self, library: Library, scope: str) -> list[ItemResult]:
        from assistant.service import AnswerService
        from eval.runner import run_eval

        with progress_bar(scope) as bar:
            task = bar.add_task("eval", total=len(self.items))
            results, _ = run_eval(AnswerService(library.settings, library), self.items, self.generator,
                                  progress=lambda done, _: bar.update(task, completed=done))
        return results


def _evaluate(
    service: AnswerService,
    items: list[GoldItem],
    generator: str | None,
    folder: Path,
    ablations: bool,
    scope: str,
    judge_limit: int | None = None,
    feedback_dir: Path | None = None,
    gates_file: Path | None = None,
    changes: ChangeReport | None = None,
    health_dir: Path | None = None,
) -> bool:
    """Run one evaluation, print and write its report; True when a gate failed (the judge never counts).

    With ``feedback_dir`` (the data directory), the report lists its recent negative feedback.
    Without ``gates_file`` the figures are reported and no gate is judged. ``changes`` (the gold
    set before and after new sources) goes into the report; with ``health_dir`` each source's
    pass rate is stored there for its card.
    """
    from eval.metrics import summarize
    from eval.runner import check_result_gates, run_eval, write_report

    contexts: dict[str, list[str]] = {}
    with progress_bar(f"evaluating ({scope})") as bar:
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
    failures = check_result_gates(results, gates_file) if gates_file is not None else []
    judged = None if judge_limit is None else _judge(service.settings, items, results, contexts, judge_limit, scope)
    label = f"{generator or service.settings.answer.generator} on {len(items)} items, {scope}"
    write_report(folder, results, summary, failures, label=label, ablations=variants, items=items, judge=judged,
                 data_dir=feedback_dir, changes=changes)
    if health_dir is not None:
        from eval.health import record_health

        rated = record_health(health_dir, results, items, folder / "report.md")
        err_console.print(f"pass rates of {rated} sources stored in {health_dir / 'eval_health.json'}")
    names = [n for n in ("dev", "test", "heldout", "unseen") if any(r.split == n for r in results)]
    splits = {"all": summary, **{name: summarize([r for r in results if r.split == name]) for name in names}}
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
    elif gates_file is not None:
        console.print("[green]all gates pass[/]")
    else:
        console.print("no gates judged (a dataset of your own: pass --gates FILE to judge it)")
    return bool(failures)


def _judge(
    settings: Settings,
    items: list[GoldItem],
    results: list[ItemResult],
    contexts: dict[str, list[str]],
    limit: int,
    scope: str,
) -> JudgeReport:
    """Run the optional LLM judge with a progress bar; its failures are reported, not raised."""
    from eval.judge import judge_results

    with progress_bar(f"LLM judge ({scope})") as bar:
        task = bar.add_task("judge", total=None)
        return judge_results(
            items,
            results,
            settings,
            contexts,
            limit=limit,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )


def _print_judge(report: JudgeReport) -> None:
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


@eval_app.command("train-selector")
@translate_errors
def eval_train_selector(
    dataset: Annotated[Path | None, typer.Option(help="Gold JSONL (only its dev split is used).")] = None,
    out: Annotated[Path | None, typer.Option(help="Model file; default assistant/core/selector_model.json.")] = None,
) -> None:
    """Train the answer selector on the dev split and questions drafted from the library (shared corpus).

    Deterministic: the same library gives the same model file. Prints the cross-validation
    figures (documents held out) that are also stored in the model.
    """
    import json

    from assistant.core.selector import MODEL_FILE
    from assistant.service import AnswerService
    from eval.dataset import DEFAULT_DATASET
    from eval.selector_training import train_selector

    settings = load_settings()
    service = AnswerService(settings)
    with progress_bar("training the selector") as bar:
        task = bar.add_task("questions", total=None)
        model = train_selector(service, dataset or DEFAULT_DATASET, out or MODEL_FILE,
                               progress=lambda done, total: bar.update(task, completed=done, total=total))
    console.print(json.dumps(model.info, indent=1))
    console.print(f"threshold {model.threshold:.3f} → {out or MODEL_FILE}")


@eval_app.command("generate")
@translate_errors
def eval_generate(
    sources: Annotated[Path, typer.Option(help="Folder of new sources to draft questions for.")],
    out: Annotated[Path, typer.Option(help="Where to write the unreviewed JSONL.")] = Path("eval/data/generated.jsonl"),
    dataset: Annotated[Path | None, typer.Option(help="Existing gold set; its sources are skipped.")] = None,
) -> None:
    """Draft questions (marked unreviewed) for documents the gold set does not cover."""
    from collections import Counter

    from eval.dataset import DEFAULT_DATASET, load_gold
    from eval.newsources import draft_questions

    settings = load_settings()
    known = {s for item in load_gold(dataset or DEFAULT_DATASET) for s in item.gold_sources}
    items = draft_questions(sources, known, settings=settings)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(item.model_dump_json() + "\n" for item in items), encoding="utf-8")
    kinds = Counter(item.kind for item in items)
    console.print(
        f"wrote {len(items)} unreviewed questions ({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))}) for "
        f"{len({i.id.rsplit('-', 1)[0] for i in items})} sources to {out}; review them, then: "
        f"policychat eval run --sources {sources} --dataset {out}"
    )


@eval_app.command("candidates")
@translate_errors
def eval_candidates(
    out: Annotated[Path, typer.Option(help="Where to write the draft JSONL.")],
    since: Annotated[str | None, typer.Option(help="Only feedback given on or after this day (YYYY-MM-DD).")] = None,
) -> None:
    """Turn answers rated down in stored conversations into draft gold items (unreviewed, dev split)."""
    from datetime import UTC, datetime

    from assistant.research.conversations import ConversationStore
    from eval.candidates import feedback_candidates, write_candidates

    settings = load_settings()
    try:
        start = datetime.fromisoformat(since).replace(tzinfo=UTC) if since else None
    except ValueError as exc:
        raise PolicychatError(f"--since must be a date like 2026-01-31, not {since!r}") from exc
    items = feedback_candidates(ConversationStore.for_data_dir(Path(settings.store.data_dir)), start)
    write_candidates(items, out)
    console.print(f"wrote {len(items)} draft gold items from negative feedback to {out}; review them (evidence, "
                  "key facts, reviewed: true), then add them to the gold set")


@eval_app.command("review")
@translate_errors
def eval_review(
    file: Annotated[Path, typer.Argument(help="Drafts JSONL (from eval generate or eval candidates).")],
    add_to: Annotated[
        Path | None,
        typer.Option(
            "--add-to",
            help="When the review stops, append the accepted items to this gold "
            "set (e.g. eval/data/gold.jsonl); items it already holds are not added again.",
        ),
    ] = None,
    split: Annotated[
        str | None,
        typer.Option(
            help="With --add-to: the split (dev or test) of documents the gold set does not hold yet (default: by "
            "a hash of the document id); a document already there keeps its split."
        ),
    ] = None,
    test_share: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="With --add-to: the share of new documents hashed to test.")
    ] = 0.5,
) -> None:
    """Review drafted questions one at a time: accept (a), edit (e), reject (r), skip (s) or quit (q).

    Each decision is saved into FILE at once (accepted: reviewed true, with your edits; rejected: moved to
    <stem>.rejected.jsonl), so a review can stop anywhere and resumes at the first undecided draft. An edit
    prompts each field with its current value as the default (key facts: alternatives split by "|", facts by
    ";"). With --add-to, the accepted items then go into that gold set: an item of a document the gold set already
    holds takes that document's split, a new document's items all go to --split or to the split a hash of its id
    picks. Items the gold set already holds are not added twice, so run it again to add the rest later.
    """
    from typing import Literal

    from rich.markup import escape

    from eval.gold_add import add_to_gold
    from eval.review import decide, load_review

    if split not in (None, "dev", "test"):
        raise ConfigError(f"--split must be dev or test, not {split!r}")
    state = load_review(file)
    queue = [item.id for item in state.pending]
    console.print(
        f"{file}: {len(state.items) + len(state.rejected)} drafts, {len(state.accepted)} accepted, "
        f"{len(state.rejected)} rejected, {len(queue)} to review"
    )
    try:
        for number, item_id in enumerate(queue, start=1):
            item = state.find(item_id)
            if item is None:
                continue
            _show_draft(item, f"{number}/{len(queue)}")
            while True:
                action = typer.prompt(
                    "[a]ccept / [e]dit / [r]eject / [s]kip / [q]uit",
                    type=Literal["a", "e", "r", "s", "q"],
                    show_choices=False,
                )
                if action in ("s", "q"):
                    break
                try:
                    edits = _prompt_edits(item) if action == "e" else None
                    state = decide(file, item_id, "reject" if action == "r" else "accept", edits)
                    break
                except PolicychatError as exc:  # a rule the edit breaks: say which, ask again
                    err_console.print(f"[bold red]error:[/] {escape(str(exc))}")
            if action == "q":
                break
    except typer.Abort:
        err_console.print(f"\nstopped: the decisions made are saved in {file}; run again to resume")
        raise typer.Exit(130) from None
    console.print(
        f"{len(state.accepted)} accepted, {len(state.rejected)} rejected, {len(state.pending)} undecided"
        + (f" (run again to resume at {state.pending[0].id})" if state.pending else "")
    )
    if add_to is not None:
        report = add_to_gold(state.accepted, add_to, split, test_share)
        for added in report.added:
            renamed = f" (renamed from {added.renamed_from})" if added.renamed_from else ""
            console.print(f"  {escape(added.id)}{renamed} → {added.split} ({added.reason}: {escape(added.document)})")
        console.print(
            f"added {len(report.added)} items to {add_to}"
            + (f"; {len(report.already)} already there" if report.already else "")
        )


def _show_draft(item: GoldItem, position: str) -> None:
    """Print one draft: question, kind, language, evidence, key facts, reference answer."""
    from rich.markup import escape

    from eval.review import format_must_include

    answerable = "answerable" if item.answerable else "unanswerable"
    console.print(f"\n[bold]{position}[/] {escape(item.id)} · {item.kind} · {item.language} · {answerable}")
    console.print(f"[bold]Q:[/] {escape(item.question)}")
    for evidence in item.evidence:
        console.print(f"  evidence ({escape(evidence.source_id)}): “{escape(evidence.quote)}”")
    if item.must_include:
        console.print(f"  must include: {escape(format_must_include(item.must_include))}")
    console.print(f"  reference answer: {escape(item.reference_answer)}")


def _prompt_edits(item: GoldItem) -> Edits:
    """Ask for each field with its current value as the default; the kind only when answerable changes."""
    from eval.gold_add import document_of
    from eval.review import Edits, format_must_include, parse_must_include

    question = typer.prompt("question", default=item.question)
    answerable = typer.confirm("answerable", default=item.answerable)
    kind = None
    if answerable != item.answerable:
        kind = typer.prompt("kind", default="factoid" if answerable else "unanswerable")
    sources: list[str] | None = None
    quotes: list[str] | None = None
    must: list[list[str]] | None = None
    if answerable:
        if not item.gold_sources:
            guess = document_of(item)  # a drafted id names its document; another id names none
            answer = typer.prompt("gold sources (ids, comma-separated)", default=guess if guess != item.id else None)
            sources = [s.strip() for s in answer.split(",")]
        quotes = [typer.prompt(f"evidence quote {n}", default=e.quote) for n, e in enumerate(item.evidence, start=1)]
        quotes = quotes or [typer.prompt("evidence quote")]
        must = parse_must_include(
            typer.prompt("must include (a | b; c)", default=format_must_include(item.must_include) or None)
        )
    reference = typer.prompt("reference answer", default=item.reference_answer or None)
    return Edits(
        question=question,
        reference_answer=reference,
        answerable=answerable,
        kind=kind,
        gold_sources=sources,
        evidence=quotes,
        must_include=must,
    )
