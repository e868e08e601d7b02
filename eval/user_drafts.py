"""Draft gold questions a reviewer would keep, for documents a user adds (``policychat eval generate``).

:mod:`eval.drafting` writes many template questions per document to train the answer
selector; this module writes fewer, phrased the way analysts ask, across the kinds a
review needs. Per document, from its stored sentences and card:

* dates: when it takes effect, when it was adopted or signed ("本法自…起施行", "THE WHITE HOUSE, <date>");
* deadlines: "Within how many days must <actor> <action>?", "<主体>应当在多长时间内<行为>？";
* amounts: the fine range of a penalty clause ("处…以上…以下罚款"), money and percentages in the text;
* who: "Which department is responsible for …?" ("…部门负责…"), who chairs a body, who must act;
* a definition, a list ("…应当履行下列…：（一）…" → "…应当履行哪些…？"), a yes/no question;
* a summary, one near-miss (:mod:`eval.nearmiss`) and one question in the other language.

Every answerable draft's ``must_include`` is checked to occur in its evidence quote, and the
quote is exact stored text. Items are ``reviewed: false``, ``split: dev``, one kind tag each
plus detail tags (``date``, ``deadline``, ``number``, ``cross-lingual``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from functools import partial

from assistant.retrieval.knowledge import display_name
from eval import nearmiss
from eval.dataset import Evidence, GoldItem
from eval.draft_phrases import (
    GENERIC,
    STOP,
    action_phrase,
    content_words,
    copies_evidence,
    definition,
    key_words,
    with_article,
)
from eval.drafting import DraftBuilder, NewDocument, quotable_sentences, relation_drafts, spread
from ingest.card_items import CardItem
from ingest.relations import Relation

CAPS = {"topic": 2, "date": 2, "deadline": 2, "amount": 2, "who": 2, "definition": 1, "list": 1, "yesno": 1,
        "summary": 1,
        "near-miss": 1, "other-language": 1, "status": 2}
"""The most drafts of each group per document (a reviewer reads about a dozen per document)."""

MONTHS = nearmiss.MONTHS
_ZH_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_EN_DATE = re.compile(r"(?:" + "|".join(MONTHS) + r")\s+\d{1,2},\s+\d{4}")
_ARTICLE = re.compile(r"^第[一二三四五六七八九十百零〇]+条\s*")
_ZH_SCOPE = r"本(?:法|条例|办法|规定|决定|标准|细则|措施)"
_ZH_NUMERAL = r"[\d一二三四五六七八九十百千万两零〇]+"
_ZH_PERIOD = re.compile(rf"(?P<actor>[^，。；、：]{{2,24}}?)应当(?P<mid>[^，。；]{{0,16}}?)(?:在|于)?"
                        rf"(?P<period>{_ZH_NUMERAL}个?(?:工作日|日|天|月|年))内(?P<action>[^，。；]{{2,30}})")
_ZH_FINE = re.compile(r"处(?P<low>[^，。；处]{1,14}?)以上(?P<high>[^，。；]{1,14}?)以下(?:的)?罚款")
_ZH_BODY = re.compile(r"(?P<body>[\u4e00-\u9fff]{2,16}?(?:部门|机构|委员会|办公室|部|局))(?:[^，。；]{0,8}?)"
                      r"负责(?P<duty>[^，。；]{4,30})")
_ZH_LIST_HEAD = re.compile(r"^(?P<head>[^：:]{4,60}?)下列(?P<noun>[^：:，。]{0,20})[：:]$")
_EN_LIST_HEAD = re.compile(r"^(?:\(\w{1,4}\)\s*)?(?P<subject>[A-Z][^:]{3,80}?)\s+(?:shall|must|will|should)\s+"
                           r"(?P<verb>[^:]{2,60}?)\s+"
                           r"(?:the\s+)?following(?P<noun>[\w\s-]{0,40}):$")
_ITEM_MARK = re.compile(r"^\s*(?:[（(][一二三四五六七八九十\d]+[)）]|\([ivxlc]+\)|\([a-z]\)|\d+[.、])\s*")
_CHAIR = re.compile(r"(?P<who>(?:The |the )?[A-Z][^.;:]{4,80}?)\s+shall\s+(?:be|serve as)\s+(?:the\s+)?"
                    r"(?P<role>Chair|Co-Chair|Vice Chair|Executive Director|Director)\s+of\s+(?:the\s+)?"
                    r"(?P<body>[^.;,()]{3,60})")
_SIGNED = re.compile(r"THE WHITE HOUSE,?\s*(?P<d>" + _EN_DATE.pattern + ")")
_EN_EFFECTIVE = re.compile(r"(?:effective|take effect|takes effect|shall apply)\s+(?:on\s+|as of\s+|beginning\s+)?"
                           r"(?P<d>" + _EN_DATE.pattern + ")", re.I)
_MONEY = re.compile(r"\$\s?\d[\d,.]*(?:\s*(?:million|billion|trillion))?")
_PERCENT = re.compile(r"\d[\d.]*\s?(?:%|percent\b)")
_NO_ACTOR = re.compile(r"^(?:nothing|this order|this section|it|such|any|each|all|these|those)\b", re.I)
_BINDING_ACTION = re.compile(r"^(?:shall|is directed to|are directed to)\s+(?!be\b|not\b)\w|^应当?(?!不)", re.I)
_LABEL_ONLY = re.compile(r"^(?:sec(?:tion)?\.?\s*\d+|article\s+\d+|appendix\s*\w?\b.*|annex\b.*|general provisions|"
                         r"introduction|definitions?|purpose|scope|background|总则|附则|范围|前言|引言)$", re.I)
_HEADING_NUMBER = re.compile(r"^(?:Sec(?:tion)?\.?\s*\d+\.|第[一二三四五六七八九十]+[章节条]|[IVX]+\.|"
                             r"[一二三四五六七八九十]+、|\d+(?:\.\d+)*\s)\s*")
_PUBLISHER_ZH = {"White House": "白宫", "National Security Council": "美国国家安全委员会",
                 "Bureau of Industry and Security": "美国商务部工业与安全局",
                 "U.S. Department of Commerce": "美国商务部", "Department of Commerce": "美国商务部", "G7": "七国集团",
                 "National Institute of Standards and Technology": "美国国家标准与技术研究院",
                 "United Nations General Assembly": "联合国大会", "United Nations": "联合国"}
_TYPE_ZH = {"statement": "声明", "fact-sheet": "情况说明书", "executive-order": "行政令", "standard": "准则",
            "news": "报道", "resolution": "决议", "memorandum": "备忘录", "plan": "计划", "rule": "规则",
            "report": "报告", "framework": "框架"}
_COMMON_CAPITALS = frozenset(
    "the this that these today in on at for by as a an it its we our president united states u.s. us prc china "
    "chinese american america white house department secretary administration government federal national".split())
_ZH_VAGUE_BODY = re.compile(r"^(?:有关|相关|其他|各|本|该|主管|国家有关)")


def _flat(text: str) -> str:
    return "".join(text.split()).lower()


def english_name(doc: NewDocument) -> str:
    """How an English question names the document ("China's Data Security Law", "Executive Order 14277" …)."""
    meta = doc.meta
    if meta.language == "zh":
        inner = re.search(r"\(([A-Za-z][^()]*)\)", meta.title)
        name = (inner.group(1) if inner else meta.title).split(",")[0].strip()
        if re.search(r"of the People's Republic of China", name):
            return "China's " + re.sub(r"\s*of the People's Republic of China", "", name).strip()
        return name if name.lower().startswith("china") else f"China's {name}"
    short = display_name(meta)
    if short != re.sub(r"\s*\([^()]*\)", "", meta.title).strip() and not short.endswith("…") and \
            short != "Executive Order":
        # the title's own short name: "Executive Order 14110", "AI RMF 1.0", "the National Security Memorandum on AI"
        generic = re.search(r"\b(?:rule|plan|memorandum|measures|profile|framework|order)\b", short, re.I)
        needs_article = generic and not re.search(r"\d|'s\b|’s\b", short) and not short.lower().startswith("the ")
        return f"the {short}" if needs_article else short
    title = re.sub(r"\s*\([^()]*\)", "", meta.title).strip()
    headline = meta.doc_type in ("news", "statement", "fact-sheet", "press-release", "readout")
    if len(title.split()) <= 12 and not headline:
        if meta.doc_type == "executive-order":
            return f"the executive order “{title}”"
        head = title.split(" for ")[0]
        return f"the {head}" if len(title.split()) >= 8 and len(head.split()) >= 4 and head != title else title
    when = _month_year(meta.date)
    publisher = (meta.publisher or "").split("(")[0].split(",")[-1].strip() or "official"
    publisher = re.sub(r"^The\s+", "", publisher)
    kind = title.split()[0].lower() if title.split()[0] in ("Memorandum", "Proclamation") else \
        (meta.doc_type or "statement").replace("-", " ")
    return f"the {when + ' ' if when else ''}{publisher} {kind}"


def chinese_name(doc: NewDocument) -> str:
    """How a Chinese question names the document: 《数据安全法》 (中华人民共和国 dropped), 美国第14277号行政令."""
    meta = doc.meta
    if meta.language == "zh":
        title = re.match(r"[^(（,，]+", meta.title)
        return "《" + re.sub(r"^中华人民共和国", "", (title.group() if title else meta.title).strip()) + "》"
    number = re.search(r"\(Executive Order (\d+)\)", meta.title)
    if number:
        return f"美国第{number.group(1)}号行政令"
    publisher = (meta.publisher or "").split("(")[0].split(",")[-1].strip().removeprefix("The ").strip()
    date_match = re.match(r"(\d{4})-(\d{2})", meta.date or "")
    kind = _TYPE_ZH.get(meta.doc_type or "")
    if publisher in _PUBLISHER_ZH and date_match and kind:
        return f"{_PUBLISHER_ZH[publisher]}{date_match.group(1)}年{int(date_match.group(2))}月发布的{kind}"
    return f"“{english_name(doc).removeprefix('the ')}”"


def _month_year(value: str) -> str:
    match = re.match(r"(\d{4})-(\d{2})", value or "")
    return f"{MONTHS[int(match.group(2)) - 1]} {match.group(1)}" if match else ""


def _zh_date_spellings(value: str) -> list[str]:
    """"2021年9月1日" and its English spellings ("September 1, 2021", "1 September 2021", "2021-09-01")."""
    match = _ZH_DATE.search(value)
    if match is None:
        return [value]
    day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    return [value, *nearmiss.date_spellings(day)[:3]]


def _en_date_spellings(value: str) -> list[str]:
    """"April 23, 2025" and its Chinese spelling "2025年4月23日" (a Chinese answer writes it so)."""
    parsed = nearmiss.parse_date(value)
    return [value] if parsed is None else [value, f"{parsed.year}年{parsed.month}月{parsed.day}日"]


def _chinese_number(text: str) -> float | None:
    """The value of a Chinese amount such as "五十万" or "二百万" or "10万" (None when it is not one)."""
    digits = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9}
    units = {"十": 10, "百": 100, "千": 1000}
    text = text.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?万?", text):
        return float(text.rstrip("万")) * (10_000 if text.endswith("万") else 1)
    total, section, number = 0.0, 0.0, 0.0
    for ch in text:
        if ch in digits:
            number = digits[ch]
        elif ch in units:
            section += (number or 1) * units[ch]
            number = 0
        elif ch == "万":
            total += (section + number) * 10_000
            section = number = 0
        else:
            return None
    return total + section + number


class _Drafts:
    """Numbers, checks and assembles the drafts of one document."""

    def __init__(self, doc: NewDocument, prefix: str) -> None:
        self.doc, self.prefix, self.count = doc, prefix, 0
        self.zh = doc.meta.language == "zh"
        self.en_name, self.zh_name = english_name(doc), chinese_name(doc)
        self.sentences = quotable_sentences(doc)

    def quote(self, item: CardItem) -> str:
        return self.doc.text[item.source_start : item.source_end]

    def make(self, kind: str, question: str, evidence: list[str], must: list[list[str]], reference: str,
             detail: tuple[str, ...] = (), answerable: bool = True) -> GoldItem | None:
        """A draft, or None when its key facts are not in its evidence or the question gives them away."""
        if answerable:
            if not evidence or not must or any(copies_evidence(question, e) for e in evidence):
                return None
            joined = _flat(" ".join(evidence))
            if any(not any(_flat(alt) in joined for alt in group) for group in must):
                return None
            if any(_flat(alt) in _flat(question) for group in must for alt in group if len(_flat(alt)) > 1):
                return None
        self.count += 1
        meta = self.doc.meta
        language = "zh" if re.search(r"[\u4e00-\u9fff]", question) else "en"
        tags = [kind, *detail, "generated", meta.country] + (["zh"] if language == "zh" else [])
        if language != ("zh" if self.zh else "en"):
            tags.append("cross-lingual")
        return GoldItem(
            id=f"{self.prefix}-{meta.id[:40]}-{self.count}", question=question, answerable=answerable,
            gold_sources=[meta.id] if answerable else [],
            evidence=[Evidence(source_id=meta.id, quote=e) for e in evidence] if answerable else [],
            must_include=must if answerable else [], reference_answer=reference, tags=tags, reviewed=False,
            split="dev")


_PREPOSITIONS = frozenset("to of for on in by with from as at under into over about".split())


def _short_action(action: str) -> str | None:
    """A provision's action cut to at most eight words, before a preposition.

    A question that repeats the whole clause copies its evidence.
    """
    phrase = action_phrase(action)
    if phrase is None or re.search(r"[\u4e00-\u9fff]", phrase):
        return phrase
    words = phrase.split()
    if len(words) > 8:
        words = words[:8]
        cut = max((i for i, w in enumerate(words) if i >= 3 and w.lower() in _PREPOSITIONS), default=len(words))
        words = words[:cut]
    while words and words[-1].lower().strip(",.") in _PREPOSITIONS | {"the", "a", "an", "and", "or"}:
        words = words[:-1]
    return " ".join(words) if len(words) >= 2 else None


def _body(item: CardItem) -> str:
    """A sentence's text without its article number ("第五十五条 本法自…" -> "本法自…"), whitespace collapsed."""
    return _ARTICLE.sub("", " ".join(item.text.split()))


def _dates(d: _Drafts) -> list[tuple[GoldItem | None, Callable[[], GoldItem | None] | None]]:
    """(draft in the document's language, the same question in the other language) for each dated event."""
    out: list[tuple[GoldItem | None, Callable[[], GoldItem | None] | None]] = []
    for item in d.sentences:
        text, quote = _body(item), d.quote(item)
        effective = re.search(_ZH_SCOPE + r"自(?P<d>\d{4}年\d{1,2}月\d{1,2}日)起施行", text)
        if effective:
            value = effective.group("d")
            out.append((d.make("factoid", f"{d.zh_name}自什么时候起施行？", [quote], [[value]],
                               f"{d.zh_name}自{value}起施行。", ("date",)),
                        partial(d.make, "factoid", f"When does {d.en_name} take effect?", [quote],
                                [_zh_date_spellings(value)], f"It takes effect on {_zh_date_spellings(value)[1]}.",
                                ("date",))))
            continue
        adopted = re.search(r"(?P<d>\d{4}年\d{1,2}月\d{1,2}日)\s*(?:第[^\s，。]{2,20}?次?)?"
                            r"(?P<body>[\u4e00-\u9fff]{4,24}?)"
                            r"第[^\s，。]{1,10}次会议(?:修订)?通过", text)
        if adopted:
            value = adopted.group("d")
            out.append((d.make("factoid", f"{d.zh_name}是哪一天通过的？", [quote], [[value]],
                               f"{d.zh_name}于{value}通过。", ("date",)), None))
            continue
        found = None if d.zh else _EN_EFFECTIVE.search(text)
        if found:
            value = found.group("d")
            out.append((d.make("factoid", f"When does {d.en_name} take effect?", [quote], [[value]], f"{value}.",
                               ("date",)),
                        partial(d.make, "factoid", f"{d.zh_name}是哪天生效的？", [quote], [_en_date_spellings(value)],
                                f"{value}。", ("date",))))
    signed = _SIGNED.search(d.doc.text)
    if signed and not d.zh:
        quote, value = signed.group(), signed.group("d")
        out.append((d.make("factoid", f"When was {d.en_name} signed?", [quote], [[value]], f"{value}.", ("date",)),
                    partial(d.make, "factoid", f"{d.zh_name}是哪天签署的？", [quote], [_en_date_spellings(value)],
                            f"{value}。", ("date",))))
    return out


def _deadlines(d: _Drafts) -> list[GoldItem | None]:
    out: list[GoldItem | None] = []
    if d.zh:
        for item in d.sentences:
            found = _ZH_PERIOD.search(_body(item))
            if found is None or _ZH_VAGUE_BODY.match(found.group("actor")):
                continue
            actor = re.sub(r"^(?:[^，。]{0,12}[，,])", "", found.group("actor"))
            action = found.group("action").strip()
            question = f"根据{d.zh_name}，{actor}应当在多长时间内{action}？"
            out.append(d.make("factoid", question, [d.quote(item)], [[found.group("period")]],
                              " ".join(item.text.split()), ("deadline",)))
        return out
    for provision in d.doc.card.provisions:
        action = _short_action(provision.action)
        period = re.search(r"(\d+|[a-z]+)\s*(?:calendar\s+|business\s+)?(days?|months?|years?)", provision.deadline,
                           re.I)
        if action is None or period is None or _NO_ACTOR.match(provision.actor):
            continue
        unit = period.group(2).lower().rstrip("s") + "s"
        question = f"How many {unit} does {with_article(provision.actor)} have to {action} under {d.en_name}?"
        out.append(d.make("factoid", question, [d.quote(provision.item)], [[period.group(0)]],
                          " ".join(provision.item.text.split()), ("deadline",)))
    return out


def _amounts(d: _Drafts) -> list[GoldItem | None]:
    out: list[GoldItem | None] = []
    for item in d.sentences:
        text = _body(item)
        fine = _ZH_FINE.search(text)
        if d.zh and fine and _chinese_number(fine.group("high").rstrip("元")) is not None:
            head = text[: fine.start()]
            condition = re.split(r"[，。；]", head)[0] if "的，" in head else ""
            condition = re.sub(r"^[^，。]{2,20}?(?:者|人|机构|组织|单位|企业)(?=未|不|违反|拒|擅自)", "", condition)
            if not condition or len(condition) > 30 or not re.search(r"违反|未|不|拒|擅自", condition):
                continue  # "情节严重的" names a tier, not the violation: the question would be ambiguous
            question = f"根据{d.zh_name}，{condition}，罚款幅度是多少？"
            out.append(d.make("factoid", question, [d.quote(item)], [[fine.group("low")], [fine.group("high")]],
                              " ".join(item.text.split()), ("number",)))
            continue
        if d.zh:
            continue
        for pattern, label in ((_MONEY, "How much money"), (_PERCENT, "What percentage")):
            value = pattern.search(text)
            if value is None:
                continue
            after = text[value.end():].split(",")[0].split(";")[0]
            thing = " ".join(after.split()[:9]).strip(" .")
            if len(content_words(thing)) < 2 or re.search(r"\d", thing):
                continue
            question = f"{label} does {d.en_name} mention {thing}?" if thing.startswith(("to ", "for ", "in ")) \
                else f"{label} does {d.en_name} give for the {thing}?"
            out.append(d.make("factoid", question, [d.quote(item)], [[value.group().strip()]],
                              " ".join(item.text.split()), ("number",)))
            break
    return out


def _who(d: _Drafts) -> list[GoldItem | None]:
    out: list[GoldItem | None] = []
    for item in d.sentences:
        text = _body(item)
        if d.zh:
            adopted = re.search(r"第[^\s，。]{1,6}届(?P<body>[\u4e00-\u9fff]{4,24}?)第[^\s，。]{1,10}次会议"
                                r"(?:修订)?通过", text)
            if adopted:
                out.append(d.make("who", f"{d.zh_name}是由哪个机构通过的？", [d.quote(item)],
                                  [[adopted.group("body")]], f"{adopted.group('body')}。"))
                continue
            found = _ZH_BODY.search(text)
            if found and not _ZH_VAGUE_BODY.match(found.group("body")):
                duty = re.split(r"和|及|以及|等", found.group("duty"))[0][:14]
                question = f"根据{d.zh_name}，哪个部门负责{duty}？"
                out.append(d.make("who", question, [d.quote(item)], [[found.group("body")]],
                                  " ".join(item.text.split())))
            continue
        chair = _CHAIR.search(text)
        if chair:
            who = re.sub(r"^\(\w{1,4}\)\s*", "", chair.group("who")).strip()
            role = "chairs" if "Chair" in chair.group("role") else "directs"
            body = chair.group("body").strip()
            question = f"Who {role} the {body} under {d.en_name}?"
            core = re.sub(r"^(?:The|the)\s+", "", who)
            out.append(d.make("who", question, [d.quote(item)], [[core]],
                              " ".join(item.text.split())))
    for provision in d.doc.card.provisions:
        if d.zh or _NO_ACTOR.match(provision.actor) or not _BINDING_ACTION.match(provision.action):
            continue
        action = action_phrase(provision.action)
        if action is None or re.match(r"^(?:be|been|construed|not|also|chair|serve)\b", action) or \
                action.split()[1:2] == ["of"]:
            continue
        question = f"Under {d.en_name}, who must {action}?"
        out.append(d.make("who", question, [d.quote(provision.item)], [[provision.actor]],
                          " ".join(provision.item.text.split())))
    return out


def _definitions(d: _Drafts) -> list[GoldItem | None]:
    out: list[GoldItem | None] = []
    for item in d.sentences:
        text = re.sub(_ZH_SCOPE + r"(?:中)?所称", "", _body(item))
        found = definition(text)
        if found is None:
            continue
        term, body = found
        refers_elsewhere = re.match(r"(?:has the meaning|the meaning)", body)
        if refers_elsewhere or (d.zh and (len(term) > 10 or re.search(r"[：:]", term))):
            continue
        if d.zh:
            phrase = next((r[:8] for r in re.findall(r"[\u4e00-\u9fff]{4,}", body) if r[:4] not in term), None)
            if phrase is None:
                continue
            out.append(d.make("definition", f"{d.zh_name}中的“{term}”是什么意思？", [d.quote(item)], [[phrase]],
                              " ".join(item.text.split())))
        else:
            must = [[w] for w in key_words([body], term)]
            out.append(d.make("definition", f"How does {d.en_name} define “{term}”?", [d.quote(item)], must,
                              " ".join(item.text.split())))
    return out


def _members(text: str, start: int, most: int = 12) -> list[str]:
    """The marked lines ("（一）…", "(i) …", "1. …") that follow offset ``start`` of ``text``, each verbatim."""
    out: list[str] = []
    for line in text[start:].lstrip("\n").split("\n")[: most + 1]:
        if not line.strip():
            if out:
                break
            continue
        if not _ITEM_MARK.match(line):
            break
        out.append(line.strip())
    return out


def _lists(d: _Drafts) -> list[GoldItem | None]:
    out: list[GoldItem | None] = []
    for item in d.sentences:
        text = _body(item)
        head = (_ZH_LIST_HEAD if d.zh else _EN_LIST_HEAD).match(text)
        if head is None:
            continue
        members = _members(d.doc.text, item.source_end)
        if len(members) < 2:
            continue
        names = [_ITEM_MARK.sub("", " ".join(m.split())) for m in members[:2]]
        if d.zh:
            must = [[re.split(r"[，；。、]", n)[0][:8]] for n in names]
            question = f"根据{d.zh_name}，{head.group('head').strip('，')}哪些{head.group('noun')}？"
        else:
            must = [[" ".join(content_words(n)[:3])] for n in names]
            if any(not group[0] for group in must):
                continue
            noun = head.group("noun").strip() or "items"
            subject = re.sub(r"^(?:\(\w{1,4}\)\s*)?(?:The|the)\s+", "", head.group("subject"))
            question = f"Which {noun} does {d.en_name} list for the {subject}?"
        evidence = [d.quote(item), *members[:2]]
        made = d.make("list", question, evidence, must, " ".join(" ".join(m.split()) for m in members))
        # The list's first two members only prove part of the answer; later members are in the reference.
        out.append(made)
    return out


def _topics(d: _Drafts) -> list[GoldItem | None]:
    """"What does <doc> say about <a part's heading>?" from the card's outline (prose documents have no provisions)."""
    out: list[GoldItem | None] = []
    for part in d.doc.card.outline:
        title = _ITEM_MARK.sub("", _HEADING_NUMBER.sub("", part.title)).strip(" .:：")
        cut_short = re.search(r"\b(?:and|or|of|in|to|for|the|with)$", title)
        if _LABEL_ONLY.match(title) or title in d.zh_name or title.isupper() or cut_short:
            continue
        sentences = [s for s in part.sentences if s is not None][:2]
        if not sentences or not (2 <= len(title.split()) <= 8 or (d.zh and 2 <= len(title) <= 16)):
            continue
        texts = [" ".join(s.text.split()) for s in sentences]
        if d.zh:
            question = f"{d.zh_name}关于“{title}”有哪些规定？"
            must = [[r[:6]] for r in re.findall(r"[\u4e00-\u9fff]{6,}", _ARTICLE.sub("", texts[0]))
                    if r[:6] not in title][:1]
        else:
            question = f"What does {d.en_name} say about “{title}”?"
            must = [[w] for w in key_words(texts, title + " " + d.en_name, 2)]
        out.append(d.make("describe", question, [d.quote(s) for s in sentences], must, " ".join(texts)))
    return out


def _yes_no(d: _Drafts) -> list[GoldItem | None]:
    out: list[GoldItem | None] = []
    for provision in d.doc.card.provisions:
        if _NO_ACTOR.match(provision.actor) or not _BINDING_ACTION.match(provision.action) or \
                provision.item.text.rstrip().endswith(("：", ":")):
            continue
        action = _short_action(provision.action)
        if action is None or (not d.zh and re.match(r"^(?:be|been|construed|not|chair|serve)\b", action)):
            continue
        quote = d.quote(provision.item)
        if d.zh:
            action = re.sub(r"^(?:自[^，。]{1,15}?起)?(?:[^，。]{0,15}?内)?", "", action)[:16]
            if len(action) < 4:
                continue
            question = f"{d.zh_name}是否要求{provision.actor}{action}？"
            must = [["应当", "须"]]
        else:
            question = f"Does {d.en_name} require {with_article(provision.actor)} to {action}?"
            must = [["shall", "must", "yes"]]
        out.append(d.make("yesno", question, [quote], must, "Yes. " + " ".join(provision.item.text.split())))
    return out


def _summary_sentences(d: _Drafts) -> list[CardItem]:
    """The sentences a summary answer stands on: where the document states its purpose, else its card summary.

    Datelines, adoption lines, headings and list heads (ending in a colon) are left out.
    """
    def usable(item: CardItem) -> bool:
        text = item.text.strip()
        return len(text) >= 20 and not text.endswith((":", "：")) and not re.search(
            r"会议通过|\d{4}年\d{1,2}月\d{1,2}日|^(?:WASHINGTON|BEIJING)\b", text)

    stated = [i for i in d.sentences if re.match(r"为了.{4,}制定本", _body(i))]
    chosen = [i for i in stated + d.doc.card.purpose if usable(i)][:2]
    chosen += [i for i in d.doc.card.summary if usable(i) and i not in chosen][: 3 - len(chosen)]
    return chosen


def _zh_clauses(text: str, exclude: str) -> list[str]:
    """The clauses of a Chinese sentence that read as topics ("规范数据处理活动"), not in ``exclude``.

    "为了规范数据处理活动，保障数据安全，……制定本法。" -> ["规范数据处理活动", "保障数据安全", …].
    """
    body = re.sub(r"^为了|，?制定本(?:法|条例|办法|规定)。?$", "", _ARTICLE.sub("", " ".join(text.split())))
    clauses = [c.strip() for c in re.split(r"[，；。,;]", body)]
    clauses = [c for c in clauses if not re.search(r"制定本|提出如下|特制定|现就|如下意见", c)]
    return [c for c in clauses if 4 <= len(c) <= 16 and re.fullmatch(r"[\u4e00-\u9fff]+", c) and c not in exclude]


def _recurring_phrases(d: _Drafts, texts: list[str], exclude: str, n: int = 2) -> list[str]:
    """Two-word phrases of ``texts`` the whole document repeats most ("AI education", "export controls").

    Phrases of words every policy text uses, or already in ``exclude`` (the question), are left out.
    """
    whole = " ".join(d.doc.text.split()).lower()
    banned = {w.lower() for w in re.findall(r"[A-Za-z][\w'’-]*", exclude)}
    counts: dict[str, int] = {}
    for text in texts:
        tokens = re.findall(r"[A-Za-z][\w'’-]*", text)
        for first, second in zip(tokens, tokens[1:], strict=False):
            pair = [first.lower(), second.lower()]
            if any(w in STOP or w in GENERIC or w in banned or len(w) < 3 for w in pair) or \
                    pair == ["artificial", "intelligence"]:  # the library's own subject decides nothing
                continue
            phrase = f"{first} {second}"
            if phrase.lower() not in {p.lower() for p in counts}:
                counts[phrase] = whole.count(phrase.lower())
    chosen: list[str] = []
    least = 3 if len(whole) > 5000 else 2  # a one-page statement says its subject twice, not three times
    for phrase, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        words = set(phrase.lower().split())
        if count >= least and not any(words & set(c.lower().split()) for c in chosen):
            chosen.append(phrase)
    if len(chosen) < n:  # a short text repeats little: fall back on the names it gives ("Nvidia H200", "Woodside")
        for name in re.findall(r"\b[A-Z][\w-]*[A-Za-z0-9](?:\s+[A-Z0-9][\w-]*[A-Za-z0-9])*", " ".join(texts)):
            words = {w.lower() for w in name.split()}
            if words <= banned | _COMMON_CAPITALS or any(words & set(c.lower().split()) for c in chosen):
                continue
            chosen.append(name)
    return chosen[:n]


def _summary(d: _Drafts) -> list[GoldItem | None]:
    items = _summary_sentences(d)
    if not items:
        return []
    texts = [" ".join(i.text.split()) for i in items]
    if d.zh:
        question = f"{d.zh_name}主要规定了什么？"
        clauses = [c for t in texts for c in _zh_clauses(t, d.zh_name)]
        must = [[c] for c in clauses[:2]]
    else:
        question = f"What is {d.en_name} about?"
        must = [[p] for p in _recurring_phrases(d, texts, f"{question} {d.doc.meta.title} applicable law")]
    if len(must) < 2:
        return []
    return [d.make("summary", question, [d.quote(i) for i in items], must, " ".join(texts))]


def _near_miss(d: _Drafts) -> list[GoldItem | None]:
    doc, found = d.doc, []
    name = d.zh_name.strip("《》") if d.zh else d.en_name
    found.append(nearmiss.missing_fine(doc.text, name, doc.meta.title, doc.meta.language))
    timed = [p for p in doc.card.provisions if re.search(r"\d+\s*(?:days?|months?|years?)", p.deadline, re.I)]
    if timed and not d.zh:
        middle = timed[len(timed) // 2]
        found.append(nearmiss.shifted_deadline(doc.text, name, with_article(middle.actor), middle.deadline))
    if doc.card.provisions:
        found.append(nearmiss.swapped_actor(doc.text, name, doc.meta.language, len(doc.meta.id)))
    return [d.make("near-miss", m.question, [], [], m.reference_answer, answerable=False)
            for m in found if m is not None][:1]


def _other_language(d: _Drafts, translated: list[Callable[[], GoldItem | None]]) -> list[GoldItem | None]:
    """One question in the other language: a dated event when there is one, else what the document is about."""
    for make in translated:
        made = make()
        if made is not None:
            return [made]
    items = _summary_sentences(d)
    texts = [" ".join(i.text.split()) for i in items]
    if d.zh:
        question = f"What does {d.en_name} cover?"
        must = [[c] for t in texts for c in _zh_clauses(t, d.zh_name)][:2]
    else:
        question = f"{d.zh_name}的主要内容是什么？"
        must = [[p] for p in _recurring_phrases(d, texts, f"{d.en_name} {d.doc.meta.title} applicable law")]
    if len(must) < 2 or d.zh_name.startswith("“"):
        return []  # a Chinese question that can only name the document in English reads badly
    return [d.make("summary", question, [d.quote(i) for i in items], must, " ".join(texts))]


def draft_for_review(
    doc: NewDocument, prefix: str = "new", caps: dict[str, int] | None = None,
    relations: list[Relation] | None = None, names: dict[str, str] | None = None,
) -> list[GoldItem]:
    """Drafts of every kind for one document, at most ``caps`` (default :data:`CAPS`) per group.

    Args:
        doc: the document with its chunks (sentence roles) and card.
        prefix: item id prefix (ids are ``<prefix>-<source id>-<n>``).
        caps: the most drafts per group.
        relations: relations among the new documents (for "What does it revoke?" drafts).
        names: how questions name each new document, by id (with ``relations``).

    Returns:
        Unreviewed dev items whose answerable ones each quote their evidence verbatim and hold their key facts.
    """
    caps = caps or CAPS
    d = _Drafts(doc, prefix)
    dated = _dates(d)
    groups: dict[str, list[GoldItem | None]] = {
        "date": [native for native, _ in dated], "deadline": _deadlines(d), "amount": _amounts(d), "who": _who(d),
        "definition": _definitions(d), "list": _lists(d), "topic": _topics(d), "yesno": _yes_no(d),
        "summary": _summary(d),
        "near-miss": _near_miss(d),
        "other-language": _other_language(d, [other for _, other in dated if other is not None]),
    }
    if relations is not None:
        builder = DraftBuilder(doc, prefix)
        builder.name = d.en_name if not d.zh else d.zh_name.strip("《》")
        groups["status"] = [draft.item for draft in relation_drafts(builder, relations, names or {})]
    out: list[GoldItem] = []
    seen: set[str] = set()
    for name, drafts in groups.items():
        kept = [g for g in drafts if g is not None and g.question not in seen]
        for item in spread(kept, caps.get(name, 1)):
            seen.add(item.question)
            out.append(item.model_copy(update={"id": f"{prefix}-{doc.meta.id[:40]}-{len(out) + 1}"}))
    return out
