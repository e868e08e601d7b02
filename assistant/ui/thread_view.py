"""HTML and choices for the thread panel: the thread list, export links, the stale-library notice."""

from __future__ import annotations

from urllib.parse import quote

from assistant.research.conversation_models import ConversationSummary
from assistant.research.threads import Staleness
from assistant.ui.render import esc

EXPORT_PLACEHOLDER = '<div class="pc-muted">Ask a question to start a thread; it is saved here.</div>'


def thread_choices(summaries: list[ConversationSummary]) -> list[tuple[str, str]]:
    """Radio choices (label, id): the title with the number of answers and the day it was last used."""
    return [(f"{s.title} · {s.message_count} · {s.updated_at:%Y-%m-%d}", s.id) for s in summaries]


def export_href(conversation_id: str, fmt: str, message_id: str | None = None) -> str:
    """The API URL that exports a thread (or one answer of it) in ``fmt``."""
    href = f"/v1/conversations/{quote(conversation_id, safe='')}/export?format={fmt}"
    return href + (f"&message_id={quote(message_id, safe='')}" if message_id else "")


def export_links(conversation_id: str | None) -> str:
    """Download links for the current thread: Markdown with footnotes, BibTeX, CSL-JSON."""
    if not conversation_id:
        return EXPORT_PLACEHOLDER
    links = [(fmt, label) for fmt, label in (("md", "Markdown"), ("bibtex", "BibTeX"), ("csljson", "CSL-JSON"))]
    items = " · ".join(f'<a id="pc-export-{fmt}" class="pc-export-link" href="{esc(export_href(conversation_id, fmt))}"'
                       f' download>{label}</a>' for fmt, label in links)
    return f'<div class="pc-export"><span class="pc-export-title">Download thread:</span> {items}</div>'


def stale_notice(staleness: Staleness | None) -> str:
    """A notice that the thread was answered from an older library, and what changed since; empty when current."""
    if staleness is None or not staleness.stale:
        return ""
    changes = []
    if staleness.missing_sources:
        changes.append(f"{len(staleness.missing_sources)} cited source(s) removed "
                       f"({esc(', '.join(staleness.missing_sources))})")
    if staleness.moved_quotes:
        changes.append(f"{staleness.moved_quotes} cited passage(s) changed")
    detail = "; ".join(changes) if changes else "the sources it cites are unchanged"
    answers = "answer" if staleness.stale_messages == 1 else "answers"
    return (f'<div class="pc-notice pc-stale"><strong>Answered from an older library.</strong> '
            f"{staleness.stale_messages} {answers} in this thread came from an older version of the library "
            f"(the oldest: {staleness.oldest_generation}); it is now at version {staleness.current_generation} "
            f"({detail}). Re-ask the latest question to answer it from the current library.</div>")


def unsaved_notice() -> str:
    """Said when the server needs an API key for saving threads and none was entered."""
    return ('<div class="pc-notice">This server needs its API key to save threads: enter it above. '
            "Answers still appear, but are not saved.</div>")
