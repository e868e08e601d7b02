"""Names a user may call a source by: short titles, numbers and aliases derived from its metadata.

"EO 14110", "Executive Order 14110", "AI RMF", "NIST AI 600-1", "TC260-003",
"暂行办法", "the Interim Measures" … all name catalogued sources. Question
analysis resolves such references to source ids with the aliases derived here
(from the title, its parenthetical and colon segments, document numbers, the
publisher's own short name) plus any given explicitly in ``catalog.csv``
(``aliases`` column, ``;``-separated), which weigh most.

Each alias has a weight: explicit and whole-name aliases 3, a title segment
after a colon 2, other derived forms 1. When a question matches one alias shared
by several sources, the sources with the highest weight for it win.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from ingest.models import SourceMeta

EXPLICIT, NAME, SEGMENT, DERIVED = 4, 3, 2, 1
_SMALL_WORDS = frozenset("of the and on for to in a an with by at from".split())
_NUMBERED = re.compile(
    r"\b(Executive Order|E\.?O\.?|Order No\.|Resolution|NIST AI|NIST SP|A/RES/|TC260-|"
    r"Guo Fa)\s*([\w/\-\[\] .]*\d[\w/\-]*)",
    re.I,
)
_CJK = re.compile(r"[\u3400-\u9fff]")
_CN_TYPE_WORDS = (
    "暂行办法", "办法", "规定", "意见", "框架", "基本要求", "要求", "条例", "通知", "决定", "标准", "指南",
)
_GENERIC = frozenset({
    "ai", "fact sheet", "executive order", "the executive order", "memorandum", "statement", "readout", "order",
    "framework", "opinion", "opinions", "measures", "rule", "plan", "report", "chinese original",
    "意见", "办法", "框架",
})


def normalize_name(text: str) -> str:
    """Lower-cased, accent-free form used to match aliases in questions.

    "Artificial Intelligence" becomes "ai", possessives and quotes go, punctuation
    other than ``/ - + .`` becomes a space, and Chinese keeps its characters.
    """
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"artificial intelligence", "ai", text)
    text = re.sub(r"\bunited nations\b", "un", text)
    text = re.sub(r"\bgenerative ai\b|\bgen ?ai\b", "generative ai", text)
    text = re.sub(r"[’']s\b", "", text)
    text = re.sub(r"\bu\.s\.?(?=\s|$)", "us", text)
    text = re.sub(r"[“”\"'‘’《》〈〉「」()\[\],:;!?]", " ", text)
    text = re.sub(r"(?<=[\u3400-\u9fff+])\s+(?=[\u3400-\u9fff\d+])|(?<=\d)\s+(?=[\u3400-\u9fff])", "", text)
    return " ".join(text.split())


def _acronym(name: str) -> str:
    """Initials of the capitalised words ("Risk Management Framework" -> "RMF"); "" when under 3 letters."""
    words = [w for w in re.findall(r"[A-Za-z][\w-]*", name) if w.lower() not in _SMALL_WORDS]
    if len(words) < 3 or not all(w[0].isupper() for w in words):
        return ""
    return "".join(w[0] for w in words).upper()


_KIND_WORDS = re.compile(r"\b(opinions?|action|plan|measures|rules?|guidelines?|framework|strategy|initiative|"
                         r"program(?:me)?|regulations?|provisions)\b", re.I)


def _quoted_term_variants(name: str) -> list[tuple[str, int]]:
    """'the "AI+" Action' in a name gives "AI+ action", "AI+ opinions", "AI+ opinion".

    The quoted term with each of the name's document-kind words, singular too.
    """
    out = []
    for term in re.findall(r"[\"“]([^\"”]{1,24})[\"”]", name):
        for word in {w.lower() for w in _KIND_WORDS.findall(name)}:
            out += [(f"{term} {word}", DERIVED), (f"{term} {word.rstrip('s')}", DERIVED)]
    return out


def _english_variants(name: str, weight: int) -> list[tuple[str, int]]:
    """A name, its form without version/series tails, and acronym forms ("AI RMF")."""
    out = [(name, weight)]
    bare = re.sub(r"\s*(?:,?\s*version\s*)?\d+(?:\.\d+)+\s*$|\s+1\.0$", "", name, flags=re.I).strip()
    if bare != name:
        out.append((bare, weight))
    simplified = re.sub(r"\binterim final rule\b", "rule", bare, flags=re.I)
    if simplified != bare:
        out.append((simplified, weight))
    # "Artificial Intelligence Risk Management Framework" -> "AI Risk Management Framework" -> "AI RMF"
    ai_form = re.sub(r"Artificial Intelligence", "AI", bare)
    if ai_form.startswith("AI ") and ":" not in ai_form and _acronym(ai_form[3:]):
        out.append((f"AI {_acronym(ai_form[3:])}", weight if weight >= NAME else DERIVED))
    country = re.match(r"^(?:America['’]s|American|U\.?S\.?|China['’]s|Chinese)\s+(?=\S+\s)", bare)
    if country:  # "America's AI Action Plan" -> "AI Action Plan"
        out.append((bare[country.end():], weight))
    head = re.split(r"\s+(?:on|of|for)\s+", bare, maxsplit=1)
    titled = re.search(r"\b(Memorandum|Framework|Plan|Order|Act|Strategy|Profile)$", head[0])
    # "National Security Memorandum on AI" -> "NSM", "NSM on AI"
    if len(head) == 2 and titled and ":" not in bare and _acronym(head[0]):
        out += [(_acronym(head[0]), DERIVED), (f"{_acronym(head[0])} on {head[1]}", DERIVED)]
    if re.search(r"\bmemorandum\b", bare, re.I):
        out.append((re.sub(r"\bmemorandum\b", "memo", bare, flags=re.I), weight))
    return out


def _numbered_variants(text: str) -> list[tuple[str, int]]:
    """Document numbers in a title with their usual spellings ("Executive Order 14110" -> "EO 14110")."""
    out: list[tuple[str, int]] = []
    for match in re.finditer(r"Executive Order\s+(\d{5})", text):
        number = match.group(1)
        out += [(f"Executive Order {number}", NAME), (f"EO {number}", NAME), (f"E.O. {number}", NAME),
                (f"EO{number}", NAME), (f"order {number}", DERIVED), (f"{number}号行政令", NAME)]
    for match in re.finditer(r"\b(NIST AI|NIST SP)\s+(\d{3}-\d+)", text):
        out += [(f"{match.group(1)} {match.group(2)}", NAME), (f"AI {match.group(2)}", NAME)]
    for match in re.finditer(r"A/RES/(\d+)/(\d+)", text):
        number = f"{match.group(1)}/{match.group(2)}"
        out += [(f"A/RES/{number}", NAME), (f"resolution {number}", NAME), (number, NAME), (f"{number}号决议", NAME)]
    for match in re.finditer(r"\bTC260-(\d{3})", text):
        out += [(f"TC260-{match.group(1)}", NAME), (f"TC260 {match.group(1)}", NAME)]
    for match in re.finditer(r"Guo Fa \[(\d{4})\] No\. (\d+)", text):
        out += [(match.group(0), NAME), (f"国发〔{match.group(1)}〕{match.group(2)}号", NAME)]
    return out


def _chinese_variants(name: str) -> list[tuple[str, int]]:
    """A Chinese title and its short forms ("生成式人工智能服务管理暂行办法" -> "暂行办法").

    "国务院关于深入实施“人工智能+”行动的意见" also yields what follows "关于 … 实施" and its
    form without "的" ("人工智能+行动意见").
    """
    name = re.sub(r"\s*\d+(?:\.\d+)*\s*版$|\s+", "", name)
    out = [(name, NAME)]
    about = re.search(r"关于(?:深入|全面|进一步|加快)?(?:实施|推进|开展|做好|加强)?(.{4,30})$", name)
    if about:
        core = about.group(1)
        out += [(core, DERIVED), (core.replace("的", ""), DERIVED)]
    quoted = re.search(r"[“\"]([^”\"]{1,12})[”\"]", name)
    for word in _CN_TYPE_WORDS:
        if name.endswith(word) and len(name) > len(word) + 2:
            if len(word) >= 4:
                out.append((word, DERIVED))
            if quoted:  # 国务院关于深入实施“人工智能+”行动的意见 -> 人工智能+意见, AI+意见
                term = quoted.group(1)
                out += [(term + word, DERIVED), (term.replace("人工智能", "AI") + word, DERIVED)]
            elif len(name) > len(word) + 4:  # 人工智能安全治理框架 -> 安全治理框架
                out.append((name[-(len(word) + 4):], DERIVED))
            break
    return out


def derive_aliases(meta: SourceMeta) -> dict[str, int]:
    """Every alias of a source with its weight (keys are :func:`normalize_name` forms).

    Args:
        meta: the source's metadata (title, publisher, explicit ``aliases``).

    Returns:
        ``{normalised alias: weight}``; generic words ("AI", "Fact Sheet") are left out.
    """
    found: list[tuple[str, int]] = [(meta.id, NAME), (meta.title, NAME)]
    found += [(a.strip(), EXPLICIT) for a in meta.aliases.split(";") if a.strip()]
    title = meta.title
    found += _numbered_variants(title)
    parentheticals = re.findall(r"\(([^()]{3,160})\)", title)
    main = re.sub(r"\s*\([^()]*\)", "", title).strip()
    main = re.split(r",\s*(?:NIST|Chinese original|Guo Fa|Articles)", main)[0].strip()
    names: list[tuple[str, int]] = []
    if _CJK.search(main):
        cjk_part = re.match(r"^(?:TC260-\d+\s*)?([^\x00-\x7f][^()]*?)\s*$", main)
        if cjk_part:
            found += _chinese_variants(cjk_part.group(1))
    elif meta.doc_type not in ("statement", "news"):
        names.append((main, NAME))
        if ":" in main:
            before, after = (part.strip() for part in main.split(":", 1))
            names += [(after, SEGMENT), (before, DERIVED)]
    for whole in parentheticals:
        inner = re.split(r",|;", whole)[0].strip()
        if inner.lower().startswith(("english translation", "report citing", "chinese original")):
            continue
        if re.fullmatch(r"Executive Order", inner):
            continue
        if _CJK.search(inner):
            found += _chinese_variants(inner)
        elif meta.doc_type in ("statement", "news"):
            place = re.match(r"^([A-Z][a-z]+(?: [A-Z][a-z]+)?), [A-Z]", whole)
            if place:  # "(Woodside, California)" names the readout of that meeting
                names.append((place.group(1), SEGMENT))
            elif len(inner.split()) >= 2:  # "(AI Diffusion interim final rule)"
                names.append((inner, NAME))  # "(Woodside, California)" -> "Woodside" names the readout
        else:
            names.append((inner, NAME))
    for name, weight in names:
        found += _english_variants(name, weight)
        found += _quoted_term_variants(name)
        if re.search(r"\bInterim Measures\b", name):
            found.append(("Interim Measures", SEGMENT))
    publisher = re.split(r",| as relayed", meta.publisher)[0].strip()
    if meta.doc_type == "news" and publisher:
        found.append((publisher, SEGMENT))
    # "NIST RMF", "UNGA resolution": the issuer's short name with the document's acronym or type.
    issuer = _acronym(publisher)
    if issuer:
        found += [(f"{issuer} {alias.split()[-1]}", w) for alias, w in found if re.fullmatch(r"AI [A-Z]{3,}", alias)]
        if meta.doc_type in ("resolution", "standard", "regulation", "strategy"):
            found.append((f"{issuer} {meta.doc_type}", DERIVED))
            # "the UN General Assembly resolution": the issuer's own name with the document's type.
            found.append((f"{publisher} {meta.doc_type}", DERIVED))
            if issuer.startswith("UN"):
                found += [(f"UN {meta.doc_type}", DERIVED), (f"UN AI {meta.doc_type}", DERIVED)]
    return _collect(found)


def _collect(found: Iterable[tuple[str, int]]) -> dict[str, int]:
    aliases: dict[str, int] = {}
    expanded = list(found)
    for alias, _weight in list(expanded):
        key = normalize_name(alias)
        if key.startswith("ai ") and len(key.split()) >= 3 and not re.search(r"\d", key):
            expanded.append((key[3:], DERIVED))  # users drop the "AI": "the diffusion rule", "the action plan"
    for alias, weight in expanded:
        key = normalize_name(alias)
        if len(key) < 3 or key in _GENERIC or (not _CJK.search(key) and len(key) < 4 and not key.isupper()):
            if not (len(alias) >= 3 and alias.isupper()):
                continue
        aliases[key] = max(weight, aliases.get(key, 0))
    return aliases
