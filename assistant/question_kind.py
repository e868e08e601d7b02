"""What kind of answer a question wants: its kind, the answer types of a factoid, a requested count.

The rules behind :func:`assistant.question.analyze_question`. :func:`question_kind` picks the kind
(definition, who-is, list, factoid, status, yes/no, summary, comparison, procedure, why, describe),
:func:`answer_types` the expected answer types of a factoid (date, duration, number, percentage, money,
quantity, body, person, place, document, product) in the order the question asks for them, and
:func:`requested_count` a count the question names ("four functions", "三个方面"). English and
Chinese; the rules are ordered, and the first that matches decides.
"""

from __future__ import annotations

import re
from typing import Literal

from assistant.numerals import chinese_number

Kind = Literal[
    "definition", "who", "list", "factoid", "status", "yesno", "summary", "comparison", "procedure", "why", "describe"
]
AnswerType = Literal[
    "date", "duration", "number", "percentage", "money", "quantity", "body", "person", "place", "document", "product"
]

_NUMBER_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "twenty": 20,
}


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I)


# Kind rules, English then Chinese, tried in this order.
_SUMMARY = _rx(
    r"\b(summari[sz]e|summary|overview|overveiw|overiew|sumary|summery|main (points|ideas|provisions|takeaways)|"
    r"key (points|takeaways)|gist|"
    r"tl;?dr|in a nutshell|brief me|highlights? of)\b|\bwhat(?:'s| is| was)\s+(?:the\s+)?.{3,80}?\s+about\b|"
    r"概括|总结|概述|主要内容|主要讲|讲了什么|讲的是什么|讲些什么|简要介绍|简单介绍|介绍一下|要点|核心内容|主旨"
)
# Comparing words; also what makes :func:`assistant.question.is_comparison` see a comparison.
COMPARISON = re.compile(
    r"\b(compar\w*|differ\w*|versus|vs\.?|contrast|both|similar\w*|between)\b|相比|比较|对比|区别|异同|"
    r"有何不同|有什么不同|一样吗|差异(?!化)|"
    r"^\s*how do\b.+\band\b",  # "How do the US plan and China's measures treat X?" asks for both sides
    re.I,
)
# A question opening with who/when/where/how many asks for a fact, even when it names two sides.
FACTOID_OPENING = re.compile(r"^\s*(?:who|whom|whose|when|where|how (?:many|much|long|soon))\b|^\s*谁", re.I)
_STATUS = _rx(
    r"\b(still (in force|in effect|valid|active|current|applicable|apply|stand|binding|enforced)|in force|"
    r"revok(?:e|es|ed)|rescind(?:s|ed)?|repeal(?:s|ed)?|supersed(?:e|es|ed)|replaced|overturned|withdrawn|no longer|"
    r"what replaced|"
    r"status of|currently (valid|in force|in effect)|being replaced|going to be replaced|still the law|"
    r"still (suspended|in place|pending|on hold|around|there)|companion to|reaffirms?|what happened to|"
    r"what became of)\b|"
    r"还有效|还在施行|仍在施行|还在实施|是否有效|仍然有效|仍有效|现在有效|失效|废止|被撤销|撤销了吗|被取代|取代了|还适用|现行有效|仍在执行|还在执行"
)
_WHY = _rx(r"^\s*why\b|\bfor what reason\b|\bwhat (was|is|were) the (reason|rationale|motivation)|为什么|为何|原因|"
           r"理由")
_PROCEDURE = _rx(
    r"^\s*how (do|can|should|must|would|could) (i|we|you|one)\b|"
    r"^\s*how (does|do|can|should|must|would|could) (a|an|the|my|our)?\s*(provider|company|companies|"
    r"organi[sz]ation|agency|agencies|firm|developer|user|exporter|applicant|deployer|business|consortium|"
    r"consortia|government|state|member state|country|countries|someone)s?\b|"
    r"\bhow (do|does|can|should|must|would) .{1,60}\b(apply|file|register|obtain|submit|comply|request|join|"
    r"qualify|participate|notify|appeal)\b|\bhow to\b|\bwhat (are the )?steps\b|\bprocess (for|to)\b|"
    r"如何(?!定义|界定|看待|评价)|怎么(?!定义|界定|讲|说|看|样的)|怎样|步骤|流程|程序是"
)
_DEFINITION = _rx(
    r"^\s*(what(?:'s| is| are| was)\s+(?:a |an |the )?(?:term |concept of |notion of )?['\"“‘]?(?P<term>[^?]{2,80}?)"
    r"['\"”’]?\s*(?:\((?:in )?[^)]*\)|\s(?:in|under|according to|per|as used in) [^?]{3,80})?\s*\??\s*$)|"
    r"\bdefin(e|es|ed|ition)\b|\bwhat does .{2,60} mean\b|\bmeaning of\b|\bwhat is meant by\b|\bwhat counts as\b|"
    r"\bwho counts as\b|\bstand for\b|是指什么|指什么|什么是|是什么意思|的定义|的含义|怎么定义|如何定义|如何界定|"
    r"怎么界定|指的是|^[^，,？?]{2,14}是什么[?？]?\s*$"
)
_VALUE_WORDS = _rx(
    r"^(the )?(\S+ ){0,2}(tariff|deadline|threshold|date|number|percentage|share|rate|amount|size|cap|limit|fine|"
    r"budget|penalty|"
    r"price|cost|duration|period|timeline|target|goal|role|purpose|status|scope|basis|legal basis|authority|"
    r"difference|relationship|name|title|level|value|term of|time)\b"
)
_WHO = _rx(r"^\s*who(?:'s|\s+is|\s+was|\s+are)\s+(?!a\b|an\b|in\b|responsible\b|required\b|supposed\b)|谁是|是谁")
_YESNO = _rx(
    r"^\s*(is|are|was|were|does|do|did|can|could|should|will|would|has|have|had|must|may|might)\b|"
    r"是否|能不能|可不可以|要不要|有没有|是不是|必须.{0,20}吗|吗[?？]?\s*$"
)
_LIST = _rx(
    r"^\s*(list|name|enumerate|give me)\b|\b(what|which) (are|were) the\b|"
    r"\b(what|which)\s+(?:\w+\s+){0,3}(steps|functions|pillars|categories|principles|areas|measures|risks|"
    r"requirements|obligations|types|elements|characteristics|chips|countries|companies|entities|departments|"
    r"agencies|bodies|references|actions|documents|tools|sectors|industries|things|items|priorities|goals|"
    r"rules|considerations|tasks|fields|issues|topics|kinds|minerals|officials|parties|models)\b|"
    r"\bwhat (does|do|did|must|should|will) .{2,80}\b(include|consist of|comprise|contain|cover)\b|"
    r"\b(what|which)\s+(?:\w+\s+){0,2}\w+s\s+(are|were|does|do|did|will|have|has|must|should|can)\b|"
    r"哪些|哪几|哪[两二三四五六七八九十]|有哪|包括什么|包括哪|列举|都有什么|[两二三四五六七八九十\d]大.{0,12}(是什么|有哪)"
)
# Expected answer types of factoids.
_TYPES: list[tuple[AnswerType, re.Pattern[str]]] = [
    ("duration", _rx(
        r"\bhow long\b|\bwithin how (many|much)\b|\bhow many (days|weeks|months|years|hours|business days)\b|"
        r"\bhow (soon|quickly|fast)\b(?! .*\b(network|speed|interconnect))|\bhow often\b|\b(what|which) "
        r"(deadline|timeframe|time frame|time limit|period|frequency|interval)\b|\bwhat (is|was|'s) the (\S+ ){0,3}"
        r"(deadline|timeframe|period)\b|多久|多长时间|多少天|几天|多少个?月|多少个?工作日|期限|多长|频率|多久一次|每.{0,3}多少"
    )),
    ("date", _rx(
        r"^\s*when\b|\bwhen (was|were|did|does|do|will|is)\b|\b(what|which) (date|day|year|month)\b|"
        r"\bin (what|which) year\b|\bsince when\b|\buntil when\b|\bby when\b|\bwhat time\b|"
        r"\b(effective|compliance|publication|adoption|signing|release|issue) date\b|\bdate\?|"
        r"何时|什么时候|哪天|哪一天|哪年|哪一年|几月|什么时间|日期|哪个月|截止"
    )),
    ("percentage", _rx(
        r"\bwhat (percentage|percent|share|proportion|fraction)\b|\bhow much of\b|\bwhat %|\bpercent(age)?\b|"
        r"\bhow (big|large) (a|is the) (share|cut)\b|\bwhat (refusal |pass |adoption )?rate\b|"
        r"\b(what|how much) (is |was |'s )?(the )?tariff\b|\bwhat (\S+ ){0,3}(rate|share|percentage)\b|"
        r"\b(refusal|pass|adoption|penetration|error|acceptance|approval) rate\b|"
        r"比例|百分之|占比|合格率|普及率|拒答率|比率|百分比|%"
    )),
    ("money", _rx(
        r"\bhow much (money|funding|funds|investment|did .{1,40} (pay|invest|spend|allocate|commit))\b|"
        r"\b(what|how big|how large) (is |was )?(the )?(amount|budget|fine|penalty|price|cost|investment)\b|"
        r"\bhow much .{0,40}\b(cost|fund|invest|spend|pay|dollars|worth|investment|prize|grant|subsid\w*)\b|"
        r"\bhow (big|large|much) is .{0,40}\binvestment\b|"
        r"多少钱|罚款|罚多少|金额|多少(亿|万)?元|多少美元|投资多少|多少补贴|多少资金"
    )),
    ("number", _rx(
        r"\bhow many\b|\bwhat (number|count)\b|\bnumber of\b|多少(个|项|家|名|条|种|题|次|款|部|类|人)|"
        r"(?<!哪)几(个|项|家|名|条|种|类|次|部)|多少|第几|数量"
    )),
    ("quantity", _rx(
        r"\bhow (much|large|big|high|fast|many)\b|\bwhat (size|threshold|speed|capacity|level|amount|scale|"
        r"quantity|volume|cap|limit)\b|\bthreshold\b|规模|阈值|门槛|上限|下限"
    )),
    ("product", _rx(
        r"\bwhich (specific |particular )?(\S+ ){0,2}(models?|chips?|gpus?|accelerators?|llms?|processors?|"
        r"semiconductors?|products?)(?=\s+(did|does|do|is|are|was|were|has|have|had|will|can|could|would|should|"
        r"shall|that|which|from|in|by|on|does)\b|\s*[?,])|哪(个|款|一款|些)(大)?(模型|芯片|产品|处理器)"
    )),
    ("body", _rx(
        r"\b(which|what) (\w+ )?(department|agency|office|body|organi[sz]ation|ministry|bureau|institution|committee|"
        r"council|entity|group|unit|regulator|institute|administration|center|centre|company|firm|developer|"
        r"vendor|manufacturer|organisation|lab|laboratory)(s|es)?\b|\b(which|what) (\w+ )?(agencies|bodies|"
        r"ministries|entities|companies|laboratories)\b|"
        r"\bwho (chairs|co-chairs|leads|is responsible|oversees|must|shall|will|has to|should|coordinates|runs|"
        r"heads|issued|published|enforces|administers|manages|would|is in charge|handles|does|decides|"
        r"approves|negotiates)\b|\bwhose\b|"
        r"哪个部门|哪些部门|哪个机构|什么部门|什么机构|由谁|谁负责|主管部门|哪个单位|向谁|报给谁|谁来|"
        r"(机构|部门|单位)是哪"
    )),
    ("person", _rx(
        r"\b(which|what) ((?!does|do|did|is|are|was|were|will|can)\S+ ){0,2}(official|person|people|officials|leader|"
        r"economist|laureate|president|secretary|"
        r"director|minister|translator|author)\b|^\s*who\b|哪位|谁"
    )),
    ("place", _rx(
        r"^\s*where\b|\bwhere (did|was|were|is|will)\b|\b(which|what) (\S+ ){0,2}(country|countries|city|cities|"
        r"place|location|venue|meeting|summit|talks|(?<!member )states?|provinces?|regions?)\b|"
        r"哪里|在哪|何地|哪个国家|哪次会|哪次会晤"
    )),
    ("document", _rx(
        r"\b(which|what) (\w+ )?(executive order|order|law|framework|act|statute|rule|regulation|provision|section|"
        r"memorand(um|a)|"
        r"document|standard|resolution|treaty|agreement|plan|guidance|guideline|article|legal "
        r"authority|authority|five-year plan)\b|\bunder (which|what) (authority|law|statute|provision)\b|"
        r"\b(which|what) ((?!does|do|did|is|are|was|were|will|can)\S+ ){0,3}(memo|memorandum|guide|rule|rules|law|"
        r"order|act|standard|resolution|category|"
        r"provision|framework|plan|report|guidance|statute|agreement)\b|"
        r"\b(what is|what's|what was) the (full |official |exact )?(title|name) of (the |its |china's |\w+'s )?"
        r"(\w+ ){0,4}(resolution|order|law|act|rule|plan|report|standard|framework|document|guidance|measures)\b|"
        r"哪个文件|哪部|哪项|哪一项|哪个倡议|哪个规定|哪个标准|哪个法|发文字号|文号|哪号|什么文件|哪份|"
        r"什么(框架|文件|规定|标准|机制|倡议|法律)"
    )),
]
_UNITS = _rx(
    r"\b(tons?|tonnes?|mmt|bushels|gbit|gigabits?|flops?|operations|parameters|gigawatts?|gw|mw|terabytes?|"
    r"petaflops?|exaflops?)\b|吨|算力门槛|阈值"
)
_COUNT_EN = re.compile(
    rf"\b(\d{{1,2}}|{'|'.join(_NUMBER_WORDS)})\s+(?:main\s+|key\s+|primary\s+|core\s+|major\s+|other\s+)?"
    r"([a-z]+(?:s|ies|ria)|people|criteria)\b",
    re.I,
)
_COUNT_ZH = re.compile(r"([两二三四五六七八九十]|\d{1,2})\s*(?:个|项|条|大|种|类|名|点|方面|部分|方)")


def requested_count(question: str) -> int | None:
    """The count the question asks for ("four functions", "三个方面"), 2 to 30, or None."""
    match = _COUNT_ZH.search(question)
    if match:
        value = match.group(1)
        return chinese_number(value)
    for match in _COUNT_EN.finditer(question):
        value, noun = match.group(1).lower(), match.group(2).lower()
        if noun in {"days", "months", "years", "weeks", "hours", "percent", "times"}:
            continue
        number = int(value) if value.isdigit() else _NUMBER_WORDS.get(value)
        if number is not None and 2 <= number <= 30:
            return number
    return None


def answer_types(question: str) -> list[AnswerType]:
    """Answer types in the order their trigger words appear in the question."""
    found: list[tuple[int, AnswerType]] = []
    for answer_type, pattern in _TYPES:
        match = pattern.search(question)
        if match and not any(t == answer_type for _, t in found):
            found.append((match.start(), answer_type))
    # The more specific type wins over a generic one the same words triggered.
    kinds = {t for _, t in found}
    drop: set[AnswerType] = set()
    counts_days = re.search(r"\bhow many (days|weeks|months|years)|多少天|几天|多少个?月|多少个?工作日", question, re.I)
    if "duration" in kinds and counts_days:
        drop.add("number")
    if kinds & {"percentage", "money"}:
        drop |= {"number", "quantity"}
    if "body" in kinds:
        drop |= {"person", "place"}
    if "number" in kinds and _UNITS.search(question):
        drop.add("number")
        if "quantity" not in kinds:
            found.append((_UNITS.search(question).start(), "quantity"))  # type: ignore[union-attr]
    elif kinds & {"money", "percentage", "number", "duration"} and not _UNITS.search(question):
        drop.add("quantity")
    found = [(p, t) for p, t in found if t not in drop]
    found.sort(key=lambda f: f[0])  # stable: at one position the more specific type (earlier in _TYPES) stays first
    return [t for _, t in found]


def question_kind(question: str, types: list[AnswerType], count: int | None) -> Kind:
    """The kind of answer the question wants, given its :func:`answer_types` and :func:`requested_count`."""
    q = question.strip()
    if _SUMMARY.search(q) and not _DEFINITION_TERM_ONLY.search(q):
        return "summary"
    if _WHY.search(q):
        return "why"
    if COMPARISON.search(q) and not FACTOID_OPENING.match(q):
        return "comparison"
    if _STATUS.search(q):
        return "status"
    if _PROCEDURE.search(q):
        return "procedure"
    if re.match(r"^\s*what are the\b", q, re.I) and not types:
        return "list"
    if count and re.search(r"\b(which|what)\s+(\d+|two|three|four|five|six|seven|eight|nine|ten)\s", q, re.I):
        return "list"
    definition = _DEFINITION.search(q)
    if definition and not (definition.group("term") and _VALUE_WORDS.search(definition.group("term"))):
        if not (types and definition.group("term") is not None and _TYPES_STRONG.search(q)):
            return "definition"
    if _WHO.search(q) and not types[:1] == ["body"]:
        return "who"
    if types and _EMBEDDED_QUESTION.search(q):
        return "factoid"  # "Did NIST say how many comments it got?" asks for the number
    yes_no_opening = re.match(r"^\s*(is|are|was|were|does|do|did|can|could|should|will|would|has|have|had|must|"
                              r"may)\b", q, re.I)
    if yes_no_opening and not re.search(r"\bor\b", q, re.I):
        return "yesno"
    if _LIST.search(q) and (count or not types or types[0] in ("body", "document", "place", "person")):
        yes_no = re.search(r"^\s*(is|are|does|do|did|was|were|can)\b", q, re.I) or re.search(r"是否|吗[?？]?\s*$", q)
        if not yes_no:
            return "list"
    if types:
        return "factoid"
    if _YESNO.search(q):
        return "yesno"
    if _LIST.search(q):
        return "list"
    return "describe"


_EMBEDDED_QUESTION = _rx(
    r"^\s*(did|does|do|has|have|is there|was there)\b.{0,80}?\b(say|said|state|specify|specified|mention|give|"
    r"disclose|report|reveal|indicate|set|name|list)\s+(exactly\s+)?(how (many|much|long|soon)|when|which|who|where|"
    r"what)\b"
)
_DEFINITION_TERM_ONLY = _rx(r"^\s*what(?:'s| is)\s+(?:a|an)\s+\w+(?:\s+\w+)?\s*\??\s*$")
_TYPES_STRONG = _rx(r"\bhow (many|much|long)\b|\bwhen\b|多少|何时|什么时候|几")
