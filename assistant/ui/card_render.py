"""HTML of a document card in the Library tab, status badges, and the script that opens linked cards.

All document text goes through :func:`assistant.ui.render.esc`. A relation's other
source is a link ``a.pc-card-link`` whose ``href`` is ``#pc-card=<id>``; the card
component's :data:`CARD_JS` turns a click on it into the component's ``click``
event with ``{"source_id": id}``, which picks that source (and so opens its card).
"""

from __future__ import annotations

from urllib.parse import quote

from assistant.research.card_models import Quote, RelationEdge, SourceCard
from assistant.ui.render import esc, status_badge

PICK_FOR_CARD = '<div class="pc-muted">Pick a source to see its card: status, summary, outline and provisions.</div>'
LINK_PREFIX = "#pc-card="
NONE_FOUND = '<div class="pc-muted">None found.</div>'
PROVISION_HEADERS = ["deadline (days)", "deadline", "actor", "action", "offsets"]

CARD_JS = """
element.addEventListener('click', function (event) {
  var link = event.target && event.target.closest ? event.target.closest('a.pc-card-link') : null;
  if (!link) { return; }
  event.preventDefault();
  var href = link.getAttribute('href') || '';
  var at = href.indexOf('#pc-card=');
  if (at < 0) { return; }
  trigger('click', {source_id: decodeURIComponent(href.slice(at + 9))});
});
"""

_VERBS = {"revokes": "revokes", "rescinds": "rescinds", "supersedes": "supersedes", "amends": "amends",
          "implements": "implements", "supports": "supports", "responds_to": "responds to",
          "translation_of": "is a translation of"}


def card_link(source_id: str, label: str) -> str:
    """A link that opens the card of ``source_id`` in the Library tab."""
    return f'<a class="pc-card-link" href="{LINK_PREFIX}{quote(source_id, safe="")}">{esc(label)}</a>'


def _where(item: Quote) -> str:
    page = f", p. {item.page}" if item.page else ""
    return f'<span class="pc-card-at">{item.start}–{item.end}{page}</span>'


def _quotes(items: list[Quote], css: str) -> str:
    if not items:
        return NONE_FOUND
    return f'<ul class="{css}">' + "".join(f"<li>{esc(i.quote)} {_where(i)}</li>" for i in items) + "</ul>"


def _relation(edge: RelationEdge, own: str) -> str:
    stater = edge.source_title if edge.source_id == own else edge.source_id
    if edge.source_id == own:
        subject = "This document" if not edge.actor else esc(edge.actor)
    else:
        subject = card_link(edge.source_id, stater)
    if edge.target_id == own:
        target = "this document"
    elif edge.target_id:
        target = card_link(edge.target_id, edge.target)
    else:
        target = f'{esc(edge.target)} <span class="pc-muted">(not in the library)</span>'
    said = f'<div class="pc-card-evidence">“{esc(edge.evidence.quote)}”</div>' if edge.evidence else ""
    origin = f' <span class="pc-muted">({esc(edge.origin)})</span>' if edge.origin != "text" else ""
    return f"<li>{subject} {esc(_VERBS.get(edge.type, edge.type))} {target}{origin}{said}</li>"


def render_card(card: SourceCard) -> str:
    """The card's HTML: header, status badge, eval health, status evidence, purpose, summary, outline, relations.

    Provisions are shown apart, in a sortable table (:func:`provision_rows`).
    """
    ident, status = card.identity, card.status
    meta = " · ".join(esc(v) for v in (ident.short_title, ident.issuer, ident.date, ident.doc_type, ident.country,
                                        ident.language) if v)
    parts = [f'<div class="pc-card" id="pc-card-{esc(ident.id)}"><div class="pc-card-head">'
             f'<span class="pc-title">{esc(ident.title)}</span> {status_badge(status.status)}</div>'
             f'<div class="pc-meta">{meta}</div><div class="pc-source-id">{esc(ident.id)}</div>']
    if card.eval_health is not None:
        parts.append(f'<div class="pc-card-eval" title="Share of the eval questions about this source answered right '
                     f'in the latest eval run">Eval: {esc(card.eval_health.describe())}</div>')
    if status.stated_in:
        evidence = f': “{esc(status.evidence.quote)}”' if status.evidence else ""
        parts.append(f'<div class="pc-card-status">Referred to as <strong>{esc(status.status)}</strong> in '
                     f"{card_link(status.stated_in, status.stated_in_title)} ({esc(status.stated_in_date)}){evidence}"
                     "</div>")
    elif status.status != "unknown":
        parts.append(f'<div class="pc-card-status">Status {esc(status.status)} ({esc(status.origin)}).</div>')
    parts += ['<div class="pc-card-section">Purpose</div>', _quotes(card.purpose, "pc-card-purpose"),
              '<div class="pc-card-section">Summary</div>', _quotes(card.summary, "pc-card-summary"),
              f'<div class="pc-card-section">Outline ({len(card.outline)} parts)</div>']
    outline = "".join(f"<li><strong>{esc(o.title)}</strong>" + (f" — {esc(o.first.quote)}" if o.first else "")
                      + "</li>" for o in card.outline)
    parts.append(f'<ol class="pc-card-outline">{outline}</ol>' if outline else NONE_FOUND)
    parts.append(f'<div class="pc-card-section">Key figures ({len(card.figures)})</div>')
    if card.figures:
        rows = "".join(f"<tr><td>{esc(f.type)}</td><td><strong>{esc(f.value)}</strong></td><td>{esc(f.quote)} "
                       f"{_where(f)}</td></tr>" for f in card.figures)
        parts.append(f'<table class="pc-card-figures"><tbody>{rows}</tbody></table>')
    else:
        parts.append(NONE_FOUND)
    edges = [*card.relations_out, *card.relations_in]
    parts.append(f'<div class="pc-card-section">Relations ({len(edges)})</div>')
    items = "".join(_relation(edge, ident.id) for edge in edges)
    parts.append(f'<ul class="pc-card-relations">{items}</ul>' if items else NONE_FOUND)
    return "".join(parts) + "</div>"


def provision_rows(card: SourceCard) -> list[list[object]]:
    """The provisions table, soonest deadline first (no deadline last): days, deadline, actor, action, offsets."""
    ordered = sorted(card.provisions, key=lambda p: (p.deadline_days is None, p.deadline_days or 0, p.start))
    return [[p.deadline_days, p.deadline, p.actor, p.action, f"{p.start}–{p.end}"] for p in ordered]


CSS = """
.pc-card .pc-card-head { display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; }
.pc-card .pc-title { font-size: 1.08rem; }
.pc-status { display: inline-block; font-size: .74rem; font-weight: 700; text-transform: uppercase;
  letter-spacing: .04em; border-radius: 6px; padding: 1px 7px; vertical-align: 1px; margin-left: 4px; }
.pc-status-bad { background: #fde2e0; color: #9b1c13; border: 1px solid #f3a9a2; }
.pc-status-ok { background: #e3f4e8; color: #1e6b3a; border: 1px solid #a9d8b8; }
.pc-status-warn { background: #fff3d6; color: #7a5300; border: 1px solid #efd28c; }
.pc-card-status { margin: 6px 0; padding: 6px 10px; border-left: 3px solid #f3a9a2; background: #fff7f6;
  font-size: .9rem; }
.pc-card-section { font-size: .78rem; text-transform: uppercase; letter-spacing: .08em; color: #6b7386;
  font-weight: 650; margin: 12px 0 4px; }
.pc-card ul, .pc-card ol { margin: 0; padding-left: 1.2em; font-size: .9rem; }
.pc-card li { margin: 2px 0; }
.pc-card-eval { font-size: .85rem; color: #4a5160; margin: 2px 0 4px; }
.pc-card-at { font-family: ui-monospace, monospace; font-size: .72rem; color: #8a91a3; }
.pc-card-evidence { color: #4a5160; font-size: .85rem; margin: 2px 0 4px; }
table.pc-card-figures { font-size: .85rem; border-collapse: collapse; width: 100%; }
table.pc-card-figures td { border-bottom: 1px solid #eceef4; padding: 3px 6px; vertical-align: top; }
a.pc-card-link { color: #303a9a !important; font-weight: 600; cursor: pointer; }
"""
