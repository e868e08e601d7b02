"""HTML for the chat UI: answers with linked citation markers, footnotes, passages, notices.

Every piece of document or user text goes through :func:`esc` (HTML-escaped,
whitespace collapsed), so a source containing ``<script>`` renders as inert
text. Messages are emitted on one line: the chatbot's Markdown renderer then
treats each as a single raw HTML block and leaves document text alone.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from urllib.parse import quote

from assistant.core.selector import confidence_label
from assistant.models import Answer, Citation, RetrievedPassage
from assistant.serving.jobs import Job
from ingest.relations import NOT_IN_FORCE

CONTEXT_CHARS = 300
PASSAGE_PREVIEW_CHARS = 420
_MARKER = re.compile(r"\[(\d+)\]")
_SPACE = re.compile(r"\s+")

TextLookup = Callable[[str], str | None]
"""Returns a source's stored text by id, or None when it is gone."""
PageLookup = Callable[[Citation], int | None]
"""The PDF page to show for a citation (where its quote starts), or None for sources that are not PDFs."""


def esc(text: str) -> str:
    """HTML-escape ``text`` (quotes too) and collapse runs of whitespace to one space."""
    return html.escape(_SPACE.sub(" ", text), quote=True)


def status_badge(status: str | None) -> str:
    """A small badge for a source's status (red when not in force); empty for no or unknown status."""
    if not status or status == "unknown":
        return ""
    tone = "bad" if status in NOT_IN_FORCE else "ok" if status == "in force" else "warn"
    return f' <span class="pc-status pc-status-{tone}" title="status of this source">{esc(status)}</span>'


def _paragraphs(text: str) -> str:
    """``text`` escaped, one ``<p>`` per blank-line-separated paragraph."""
    return "".join(f"<p>{esc(p).strip()}</p>" for p in re.split(r"\n\s*\n", text) if p.strip())


def _answer_body(text: str, cited: dict[int, Citation], token: str, check: str = "") -> str:
    """``text``'s paragraphs with ``[n]`` linked to the footnotes; each cited sentence ends in ``check``, if any."""
    paragraphs = [esc(p) for p in re.split(r"\n\s*\n", text)]

    def link(match: re.Match[str]) -> str:
        n = int(match.group(1))
        if n not in cited:
            return match.group(0)
        return (f'<a class="pc-marker" href="#pc-{token}-{n}" title="{esc(cited[n].title)}">[{n}]</a>')

    return "".join(f"<p>{_checked(_MARKER.sub(link, p).strip(), check)}</p>" for p in paragraphs if p.strip())


CHECK = '<span class="pc-check" title="Verified: the cited passage supports this sentence">✓</span>'
"""While an answer streams: the sentence was checked against its passage (not yet whether it answers)."""
_SENTENCE_END = re.compile(r'(</a>)(?=\s|$)(?!\s*<a class="pc-marker")')
_LABELS = {"high": "high confidence", "medium": "medium confidence", "low": "low confidence"}


def answer_check(confidence: float) -> str:
    """The tick of a part answered with high confidence: it answers the question, and its passage states it."""
    return (f'<span class="pc-check" title="Answers the question (confidence {confidence:.2f}); the cited passage '
            f'states it">✓</span>')


def _checked(html_text: str, check: str = CHECK) -> str:
    """Mark every sentence that ends in a linked citation marker with ``check`` (nothing for "")."""
    return _SENTENCE_END.sub(r"\1" + check, html_text) if check else html_text


def _parts_body(answer: Answer, cited: dict[int, Citation], token: str) -> str:
    """The answer part by part: each with its confidence label; a tick only on a part answered with high confidence.

    A refused part says so in a muted line; what follows the parts (status notes, a comparison's missing side)
    is shown after them.
    """
    blocks, shown = [], []
    for part in answer.parts:
        if not part.text:
            continue
        shown.append(part.text)
        if not part.supported:
            blocks.append(f'<div class="pc-part pc-part-unsupported">{_answer_body(part.text, cited, token)}</div>')
            continue
        label = confidence_label(part.confidence)
        check = answer_check(part.confidence) if label == "high" else ""
        badge = _confidence_badge(part.confidence)
        blocks.append(f'<div class="pc-part" data-confidence="{part.confidence:.3f}">'
                      f'{_answer_body(part.text, cited, token, check)}{badge}</div>')
    joined = "\n\n".join(shown)
    rest = answer.answer[len(joined):] if joined and answer.answer.startswith(joined) else ""
    return "".join(blocks) + (_answer_body(rest, cited, token, "") if rest.strip() else "")


def _confidence_badge(confidence: float) -> str:
    """The confidence label of a part, its calibrated meaning in the tooltip."""
    label = confidence_label(confidence)
    return (f'<span class="pc-confidence pc-confidence-{label}" title="Calibrated: of parts scored like this, '
            f'{confidence:.0%} were answered right">{_LABELS[label]}</span>')


def _whole_answer_badge(answer: Answer) -> str:
    """The confidence label of an answer drafted whole: its least confident supported part's, if any."""
    confidences = [p.confidence for p in answer.parts if p.supported]
    return f'<div class="pc-part">{_confidence_badge(min(confidences))}</div>' if confidences else ""


def _whole_answer_check(answer: Answer) -> str:
    """The tick for an answer drafted whole (by an LLM): its parts carry the selector's confidence but no text.

    Its verified sentences are ticked only when every part was judged answerable with high confidence, since a
    sentence cannot be told apart by part; with no parts at all there is nothing to say how sure they are.
    """
    if not answer.parts or not all(p.supported and confidence_label(p.confidence) == "high" for p in answer.parts):
        return ""
    return answer_check(min(p.confidence for p in answer.parts))


def quote_in_context(citation: Citation, stored_text: str | None, chars: int = CONTEXT_CHARS) -> str:
    """The cited quote in ``<mark>`` with about ``chars`` characters of its source text either side.

    Falls back to the bare quote when the stored text is gone or no longer
    holds the quote at the citation's offsets.
    """
    start, end = citation.start, citation.end
    if not stored_text or _SPACE.sub(" ", stored_text[start:end]).strip() != _SPACE.sub(" ", citation.quote).strip():
        return f"<mark>{esc(citation.quote)}</mark>"
    lo, hi = max(0, start - chars), min(len(stored_text), end + chars)
    before, after = stored_text[lo:start], stored_text[end:hi]
    if lo > 0:  # drop the partial first word
        parts = before.split(None, 1)
        before = "…" + (parts[1] if len(parts) == 2 else before)
    if hi < len(stored_text):  # and the partial last one
        parts = after.rsplit(None, 1)
        after = (parts[0] if len(parts) == 2 else after) + "…"
    return f"{esc(before)}<mark>{esc(stored_text[start:end])}</mark>{esc(after)}"


def page_view(citation: Citation, page: int) -> str:
    """A cited PDF page, loaded when its footnote opens: the page image with the quote highlighted.

    The script in :mod:`assistant.ui.scripts` fetches the link's image, shows it and
    says so when the quote could not be located on the page.
    """
    src = f"/v1/sources/{quote(citation.source_id, safe='')}/pages/{page}.png?highlight={citation.start}-{citation.end}"
    return (f'<div class="pc-page"><a class="pc-page-link" href="{esc(src)}" target="_blank" rel="noopener">'
            f'Page {page} of the PDF</a> <span class="pc-page-note"></span>'
            f'<img class="pc-page-img" alt="Page {page} of {esc(citation.title)}, the quoted passage highlighted">'
            "</div>")


def _footnote(citation: Citation, stored_text: str | None, token: str, page: int | None = None) -> str:
    bits = [esc(b) for b in (citation.publisher, citation.date) if b]
    if citation.page:
        bits.append(f"p. {citation.page}")
    meta = f'<span class="pc-meta"> · {" · ".join(bits)}</span>' if bits else ""
    link = (f' <a class="pc-origin" href="{esc(citation.url)}" target="_blank" rel="noopener noreferrer">original</a>'
            if citation.url and citation.url.startswith(("http://", "https://")) else "")
    return (
        f'<details class="pc-cite" id="pc-{token}-{citation.marker}">'
        f'<summary><span class="pc-num">[{citation.marker}]</span> <span class="pc-title">{esc(citation.title)}</span>'
        f'{status_badge(citation.status)}{meta}</summary>'
        f'<blockquote class="pc-context">{quote_in_context(citation, stored_text)}</blockquote>'
        f'{page_view(citation, page) if page else ""}'
        f'<div class="pc-source-id">{esc(citation.source_id)}{link}</div></details>'
    )


def render_answer(answer: Answer, lookup: TextLookup, token: str, pages: PageLookup | None = None,
                  copy_href: str | None = None) -> str:
    """The finished answer: text with ``[n]`` linked to a "Sources" list of expandable footnotes.

    Args:
        answer: the service's answer.
        lookup: stored text of a source by id (for the quote's surrounding text).
        token: unique per message, so footnote anchors of different answers never clash.
        pages: the PDF page to show per citation (none shown without it).
        copy_href: the answer's Markdown export, for a "Copy with sources" link (stored answers only).
    """
    if answer.abstained:
        return ('<div class="pc-answer pc-refusal"><div class="pc-refusal-title">No supported answer</div>'
                f"{_paragraphs(answer.answer)}</div>")
    cited = {c.marker: c for c in answer.citations}
    texts: dict[str, str | None] = {}
    notes = []
    for citation in answer.citations:
        if citation.source_id not in texts:
            texts[citation.source_id] = lookup(citation.source_id)
        notes.append(_footnote(citation, texts[citation.source_id], token, pages(citation) if pages else None))
    timing = _footer(answer)
    copy = (f' · <a class="pc-copy" href="{esc(copy_href)}" title="Copy this answer as Markdown with footnotes">'
            "Copy with sources</a>") if copy_href else ""
    body = (_parts_body(answer, cited, token) if any(p.text for p in answer.parts)
            else _answer_body(answer.answer, cited, token, _whole_answer_check(answer)) + _whole_answer_badge(answer))
    return (f'<div class="pc-answer">{body}'
            f'<div class="pc-sources"><div class="pc-sources-title">Sources</div>{"".join(notes)}</div>'
            f'<div class="pc-timing">{timing}{copy}</div></div>')


def _footer(answer: Answer) -> str:
    """Generator, model, time; how many model sentences were withheld; why the LLM answer fell back."""
    bits = [esc(answer.generator)]
    if answer.model:
        bits.append(f'<span class="pc-model">{esc(answer.model)}</span>')
    bits.append(f"{answer.timings_ms.total / 1000:.1f} s")
    if answer.dropped:
        n = len(answer.dropped)
        reasons = "; ".join(f"{d.text} — {d.reason}" for d in answer.dropped)
        bits.append(f'<span class="pc-withheld" title="{esc(reasons)}">{n} model sentence{"s" if n != 1 else ""} '
                    "withheld</span>")
    if answer.fallback_reason:
        bits.append(f'<span class="pc-fallback">fallback: {esc(answer.fallback_reason)}</span>')
    return " · ".join(bits)


def render_partial(sentences: list[tuple[str, bool]], pending: str = "", notice: str = "") -> str:
    """An answer still arriving: the released sentences (verified ones ticked), then the unverified tokens.

    Args:
        sentences: ``(text, verified)`` per released sentence; markers are not linked yet.
        pending: what the model is writing now; shown greyed out, and removed if verification withholds it.
        notice: a line above the answer (e.g. that the answer fell back to the library's own sentences).
    """
    parts = [esc(text) + (CHECK if verified else "") for text, verified in sentences]
    body = " ".join(parts)
    if pending.strip():
        body += f' <span class="pc-draft" title="Not verified yet">{esc(pending)}</span>'
    top = f'<div class="pc-stream-note">{esc(notice)}</div>' if notice else ""
    return f'<div class="pc-answer pc-streaming">{top}<p>{body.strip()}</p></div>'


def render_pending() -> str:
    """Placeholder while retrieval runs."""
    return '<div class="pc-answer pc-pending">Searching the library…</div>'


def render_question(question: str) -> str:
    """The user's question, escaped."""
    return f'<div class="pc-question">{esc(question)}</div>'


def render_error(message: str) -> str:
    """An error shown in the chat instead of an answer."""
    return f'<div class="pc-answer pc-error"><strong>Could not answer.</strong> {esc(message)}</div>'


def render_passages(passages: list[RetrievedPassage], titles: dict[str, str]) -> str:
    """The side panel: every retrieved passage with its source, page and fused score."""
    if not passages:
        return '<div class="pc-muted">No passages were retrieved.</div>'
    items = []
    for rank, p in enumerate(passages, start=1):
        page = f" · p. {p.page}" if p.page else ""
        text = p.text
        if len(text) > PASSAGE_PREVIEW_CHARS:
            text = text[:PASSAGE_PREVIEW_CHARS].rsplit(" ", 1)[0] + "…"
        items.append(
            f'<li class="pc-passage"><div class="pc-passage-head"><span class="pc-rank">{rank}</span>'
            f'<span class="pc-passage-title">{esc(titles.get(p.source_id, p.source_id))}{page}</span>'
            f'<span class="pc-score" title="fused retrieval score">{p.score:.4f}</span></div>'
            f'<div class="pc-passage-text">{esc(text)}</div></li>'
        )
    return f'<ol class="pc-passages">{"".join(items)}</ol>'


def render_library_notice(n_sources: int) -> str:
    """A banner for an empty library saying how to add sources; empty when there are sources."""
    if n_sources:
        return ""
    return ('<div class="pc-notice"><strong>The library is empty.</strong> Add sources with '
            "<code>policychat ingest PATH</code> (files or folders of PDF, HTML, Markdown, text or DOCX) "
            "or upload them in the <em>Library</em> tab, then ask again.</div>")


def render_upload_result(added: list[str], updated: list[str], unchanged: list[str],
                         errors: list[tuple[str, str]]) -> str:
    """A readable summary of an upload (no raw JSON)."""
    rows = []
    for label, ids in (("Added", added), ("Updated", updated), ("Unchanged", unchanged)):
        if ids:
            rows.append(f"<li><strong>{label}:</strong> {', '.join(esc(i) for i in ids)}</li>")
    for name, reason in errors:
        rows.append(f'<li class="pc-bad"><strong>Skipped {esc(name)}:</strong> {esc(reason)}</li>')
    return f'<ul class="pc-upload-result">{"".join(rows) or "<li>Nothing to do.</li>"}</ul>'


_STATE_LABELS = {"queued": "waiting", "parsing": "parsing", "embedding": "embedding", "storing": "storing",
                 "added": "added", "updated": "updated", "unchanged": "unchanged", "failed": "skipped",
                 "cancelled": "cancelled"}


def _job_title(job: Job, running: Job | None) -> str:
    """What ``job`` is doing, as escaped HTML: queued behind ``running`` only when another job really runs."""
    if job.state == "queued" and running is not None and running is not job:
        names = [upload.client_name for upload in running.uploads]
        shown = ", ".join(names[:2]) + (f" and {len(names) - 2} more" if len(names) > 2 else "")
        return f"Waiting for the upload ahead of it ({esc(shown)})"
    return {"queued": "Queued", "running": "Ingesting", "done": "Done", "failed": "Failed",
            "cancelled": "Cancelled"}[job.state]


def render_job(job: Job, running: Job | None = None) -> str:
    """One upload job: a progress bar per file while it runs, then the per-file result.

    Args:
        job: the job to show.
        running: the job the server is ingesting now, if any (a queued ``job`` waits for it).

    Returns:
        The job's HTML.
    """
    head = f'<div class="pc-job" data-job="{esc(job.id)}" data-state="{esc(job.state)}">'
    title = _job_title(job, running)
    parts = [head, f'<div class="pc-job-title"><strong>{title}</strong> <span class="pc-muted">job {esc(job.id)}'
                   "</span></div>"]
    if job.detail:
        parts.append(f'<div class="pc-bad">{esc(job.detail)}</div>')
    rows = []
    for name, status in job.files():
        total = max(status.chunks_to_embed, 1)
        done = status.chunks_embedded if status.state not in ("added", "updated", "unchanged") else total
        bar = f'<progress max="{total}" value="{done}"></progress>' if status.state != "failed" else ""
        facts = [f"{status.pages:,} pages" if status.pages else "",
                 f"{status.chunks_embedded:,} of {status.chunks_to_embed:,} chunks embedded" if status.chunks else "",
                 f"{status.duplicate_chunks:,} repeated chunks reused" if status.duplicate_chunks else "",
                 f"{status.seconds:.1f} s" if status.seconds else ""]
        reason = f' — <span class="pc-bad">{esc(status.reason)}</span>' if status.reason else ""
        rows.append(f'<li class="pc-job-file" data-state="{esc(status.state)}"><strong>{esc(name)}</strong> '
                    f"{_STATE_LABELS.get(status.state, status.state)} {bar} "
                    f'<span class="pc-muted">{esc(", ".join(f for f in facts if f))}</span>{reason}</li>')
    parts.append(f'<ul class="pc-job-files">{"".join(rows)}</ul>')
    if job.report is not None and job.state == "done":
        report = job.report
        parts.append(render_upload_result(report.added, report.updated, report.unchanged,
                                          [(e.file, e.reason) for e in report.errors]))
    return "".join(parts) + "</div>"
