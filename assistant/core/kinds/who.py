"""Who-is questions: "Who is David Sacks?" — a person or office named by the question, and their role.

Detected by "who is / who was …" naming someone (not "who is responsible for",
which asks for a body: a factoid). The lead is "Name, role" from an apposition in
the top-ranked candidate ("X, Director of …") or "Name: title" from the title
before the name; otherwise the candidate itself answers.
"""

from __future__ import annotations

import re

from assistant.core.kinds import BaseKind, Reading, register
from assistant.core.kinds.factoid import typed_lead
from assistant.core.parts import Lead, PartContext, PartDraft, answer_with

MAX_NAME_WORDS = 6
_LEADING = re.compile(r"^(?:who(?:'s| is| was| are)\s+)", re.I)
_TRAILING = re.compile(r"\s+(?:in|under|according to|per|from)\s+(?:the\s+)?[A-Z][\w .'’-]*$")
_ARTICLE_WORDS = frozenset({"The", "This", "That", "In", "On", "At", "By"})


def _name(text: str) -> list[str]:
    """The words of the name a who-is part asks about."""
    name = _LEADING.sub("", text.strip())
    name = re.sub(r"\s*\(.*?\)|[?？。.]+$", "", name).strip()
    name = _TRAILING.sub("", name).strip()
    name = re.sub(r"^(?:the|a|an)\s+", "", name, flags=re.I)
    return [w for w in re.findall(r"[\w'’-]+", name) if len(w) > 1]


def who_lead(context: PartContext) -> Lead | None:
    """"Name, role" from the top-ranked candidate, when it names the person with a role beside them."""
    words = _name(context.part.text)
    if not words or len(words) > MAX_NAME_WORDS or not context.ranked:
        return None
    best = context.ranked[0].candidate
    match = re.search(r"\b" + r"\s+".join(re.escape(w) for w in words) + r"\b", best.text, re.I)
    if not match:
        return None
    found = best.text[match.start() : match.end()]
    after = re.match(r"\s*,\s*((?:the\s+|former\s+|a\s+)?[A-Z][^,;.]{3,120})", best.text[match.end() :])
    if after:
        return Lead(best, f"{found}, {after.group(1).strip()}")
    holder = re.search(r"((?:the\s+)?[A-Z][\w .'’&-]{2,80}),\s+(?:acting\s+)?as\s+(?:the\s+)?$",
                       best.text[: match.start()])
    if holder:
        return Lead(best, f"{found}: {holder.group(1).strip()}")
    before = re.search(r"((?:[A-Z][\w.&’'-]*\s+(?:(?:and|of|for|on|the)\s+)?){1,8})$", best.text[: match.start()])
    if before and not before.group(1).strip().endswith((".", ",")):
        title = before.group(1).strip().split()
        if title and title[0] in _ARTICLE_WORDS:
            title = title[1:]
        if title:
            return Lead(best, f"{found}: {' '.join(title)}")
    return None


class Who(BaseKind):
    """A part asking who a named person or office is."""

    name = "who"
    priority = 4

    def detect(self, reading: Reading) -> float:
        """"Who is <name>?" (a body asked for is a factoid instead)."""
        if not reading.lang.who_is.search(reading.text):
            return 0.0
        return 0.3 if reading.types[:1] == ("body",) else 0.65

    def compose(self, context: PartContext) -> PartDraft | None:
        """The role beside the name, else the typed lead (a person or office), then the candidate."""
        if not context.ranked:
            return None
        lead = who_lead(context) or typed_lead(context)
        return answer_with(lead, context.ranked[0].candidate, context)


register(Who())
