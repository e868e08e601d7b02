"""The Library tab's timeline: every dated source on a time axis, relations drawn as arrows between them.

A pure function of the sources' metadata, the relations and the standings, drawn
with matplotlib's object API (no pyplot state, so concurrent requests are safe) into
a PNG image. Sources not in force are red, in force green, the rest grey; an arrow
runs from the stating source to the one it revokes, rescinds, implements, supports….
"""

from __future__ import annotations

import glob
import io
import re
import threading
from collections.abc import Iterable, Mapping
from datetime import date

from PIL import Image

from assistant.retrieval.knowledge import display_name
from ingest.models import SourceMeta
from ingest.relations import NOT_IN_FORCE, Relation, Standing

ARROW_COLORS = {"revokes": "#c0392b", "rescinds": "#e67e22", "supersedes": "#7b241c", "amends": "#d4ac0d",
                "implements": "#2e86c1", "supports": "#28b463", "responds_to": "#7d3c98", "translation_of": "#7f8c8d"}
CJK_FONT = "Noto Sans CJK SC"
_FONT_LOCK = threading.Lock()
_font_state: dict[str, bool] = {}


def _cjk_font() -> bool:
    """Register the system's Noto Sans CJK font with matplotlib once; False when it is not installed."""
    with _FONT_LOCK:
        if "cjk" not in _font_state:
            from matplotlib import font_manager

            paths = sorted(glob.glob("/usr/share/fonts/**/NotoSansCJK-Regular.ttc", recursive=True))
            for path in paths[:1]:
                font_manager.fontManager.addfont(path)
            _font_state["cjk"] = bool(paths)
        return _font_state["cjk"]


def _day(value: str) -> date | None:
    """``YYYY[-MM[-DD]]`` as a date (missing month or day: the first); None when undated."""
    match = re.match(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", value or "")
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2) or 1), int(match.group(3) or 1))
    except ValueError:
        return None


def _label(meta: SourceMeta, cjk: bool, width: int = 48) -> str:
    name = display_name(meta)
    if not cjk and re.search(r"[\u3400-\u9fff]", name):
        name = meta.id
    return name if len(name) <= width else name[: width - 1] + "…"


def timeline_png(
    metas: Iterable[SourceMeta], relations: Iterable[Relation], standings: Mapping[str, Standing]
) -> bytes:
    """The timeline as PNG bytes (an image saying so when no source is dated)."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    cjk = _cjk_font()
    dated = sorted(((float(date2num(d)), m) for m in metas if (d := _day(m.date)) is not None),
                   key=lambda p: (p[0], p[1].id))
    rows = {meta.id: i for i, (_d, meta) in enumerate(dated)}
    fig = Figure(figsize=(11, max(2.8, 0.34 * len(dated) + 1.7)), dpi=100)
    ax = fig.add_subplot()
    fonts = ["DejaVu Sans", CJK_FONT] if cjk else ["DejaVu Sans"]
    if not dated:
        ax.text(0.5, 0.5, "No dated sources in the library yet.", ha="center", va="center", fontfamily=fonts)
        ax.set_axis_off()
    else:
        for when, meta in dated:
            status = standings.get(meta.id)
            name = status.status if status else "unknown"
            color = "#c0392b" if name in NOT_IN_FORCE else "#1e8449" if name == "in force" else "#5d6d7e"
            ax.plot([when], [rows[meta.id]], "o", color=color, markersize=7, zorder=3)
            ax.annotate(_label(meta, cjk), (when, rows[meta.id]), xytext=(8, 0), textcoords="offset points",
                        va="center", fontsize=8, fontfamily=fonts, color="#1f2430", zorder=4)
        days = {meta.id: when for when, meta in dated}
        drawn: set[str] = set()
        for relation in relations:
            source, target = relation.stated_in, relation.target_id
            if source not in rows or target not in rows or source == target:
                continue
            ax.annotate("", xy=(days[target], rows[target]), xytext=(days[source], rows[source]), zorder=2,
                        arrowprops={"arrowstyle": "-|>", "color": ARROW_COLORS.get(relation.type, "#7f8c8d"),
                                    "lw": 1.4, "connectionstyle": "arc3,rad=0.25", "shrinkA": 5, "shrinkB": 5})
            drawn.add(relation.type)
        ax.set_yticks([])
        ax.set_ylim(-1, len(dated))
        ax.invert_yaxis()
        locator = AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        first, last = dated[0][0], dated[-1][0]
        pad = max(60.0, (last - first) / 10)
        ax.set_xlim(first - pad / 3, last + pad * 3)
        ax.grid(axis="x", color="#e3e6ef")
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        handles = [Line2D([0], [0], color=ARROW_COLORS[t], lw=1.6, label=t.replace("_", " ")) for t in sorted(drawn)]
        handles += [Line2D([0], [0], marker="o", color="w", markerfacecolor=c, markersize=7, label=label)
                    for c, label in (("#c0392b", "not in force"), ("#1e8449", "in force"), ("#5d6d7e", "unknown"))]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0, -0.08), fontsize=7, frameon=False,
                  ncol=min(8, len(handles)))
        ax.set_title(f"{len(dated)} dated sources, {len(drawn)} relation type(s) between them", fontsize=9,
                     loc="left", color="#5b6375")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def timeline_image(metas: Iterable[SourceMeta], relations: Iterable[Relation],
                   standings: Mapping[str, Standing]) -> Image.Image:
    """:func:`timeline_png` as a PIL image (what ``gr.Image`` shows)."""
    return Image.open(io.BytesIO(timeline_png(metas, relations, standings)))
