"""English: the cue words of questions and the messages of answers."""

from __future__ import annotations

import re

from assistant.core.lang import LanguageData, Messages


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I)


_NUMBER_WORDS = "two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|twenty"

ENGLISH = LanguageData(
    code="en",
    type_cues=(
        ("duration", _rx(
            r"\bhow long\b|\bwithin how (many|much)\b|\bhow many (days|weeks|months|years|hours|business days)\b|"
            r"\bhow (soon|quickly|fast)\b(?! .*\b(network|speed|interconnect))|\bhow often\b|\b(what|which) "
            r"(deadline|timeframe|time frame|time limit|period|frequency|interval)\b|\bwhat (is|was|'s) the (\S+ ){0,3}"
            r"(deadline|timeframe|period)\b|\bvalid for\b|\bhow frequently\b"
        )),
        ("date", _rx(
            r"^\s*when\b|\bwhen (was|were|did|does|do|will|is|are|must|should|can)\b|\b(what|which) (date|day|year|"
            r"month)\b|\bin (what|which) year\b|\bsince when\b|\buntil when\b|\bby when\b|\bwhat time\b|"
            r"\b(effective|compliance|publication|adoption|signing|release|issue) date\b|\bdate\?|"
            r"\band when\b|\bfrom when\b"
        )),
        ("percentage", _rx(
            r"\bwhat (percentage|percent|share|proportion|fraction)\b|\bhow much of\b|\bwhat %|\bpercent(age)?\b|"
            r"\bhow (big|large) (a|is the) (share|cut)\b|\bwhat (refusal |pass |adoption )?rate\b|"
            r"\b(what|how much) (is |was |'s )?(the )?tariff\b|\bwhat ([^\s-]+[ -]){0,3}(rate|share|percentage)\b|"
            r"\b(above|below|over|under|beyond|exceed\w*|at) what (share|percentage|proportion|fraction|rate)\b|"
            r"\b(refusal|pass|adoption|penetration|error|acceptance|approval) rate\b"
        )),
        ("money", _rx(
            r"\bhow much (money|funding|funds|investment|did .{1,40} (pay|invest|spend|allocate|commit))\b|"
            r"\b(what|how big|how large|how much) (is |was |'s )?(the )?(amount|budget|fine|penalty|price|cost|"
            r"investment|fee)s?\b|"
            r"\bhow much .{0,40}\b(cost|fund|invest|spend|pay|dollars|worth|investment|prize|grant|subsid\w*|fine|"
            r"fined|penalt\w*|charge|fee)\b|\bhow (big|large|much) is .{0,40}\binvestment\b|"
            r"\bwhat(?:'s| is)? the fine\b"
        )),
        ("number", _rx(r"\bhow many\b|\bwhat (number|count)\b|\bnumber of\b")),
        ("quantity", _rx(
            r"\bhow (much|large|big|high|fast|many)\b|\bwhat (size|threshold|speed|capacity|level|amount|scale|"
            r"quantity|volume|cap|limit)\b|\bthreshold\b|\babove what\b"
        )),
        ("product", _rx(
            r"\bwhich (specific |particular )?(\S+ ){0,2}(models?|chips?|gpus?|accelerators?|llms?|processors?|"
            r"semiconductors?|products?)(?=\s+(did|does|do|is|are|was|were|has|have|had|will|can|could|would|should|"
            r"shall|that|which|from|in|by|on|does)\b|\s*[?,])"
        )),
        ("body", _rx(
            r"\b(which|what) (\w+ )?(department|agency|office|body|organi[sz]ation|ministry|bureau|institution|"
            r"committee|council|entity|group|unit|regulator|institute|administration|center|centre|company|firm|"
            r"developer|vendor|manufacturer|organisation|lab|laboratory|authority)(s|es)?\b|\b(which|what) (\w+ )?"
            r"(agencies|bodies|ministries|entities|companies|laboratories|authorities)\b|"
            r"\bwho (chairs|co-chairs|leads|is responsible|oversees|must|shall|will|has to|should|coordinates|runs|"
            r"heads|issued|published|enforces|administers|manages|would|is in charge|handles|does|decides|"
            r"approves|negotiates|gets|receives|issues|regulates|supervises|sets|grants)\b|\bwhose\b|\brun by\b|"
            r"\bto whom\b|\bwho (do|does|must|should) .{1,40}\b(report|submit|notify|apply)\b"
        )),
        ("person", _rx(
            r"\b(which|what) ((?!does|do|did|is|are|was|were|will|can)\S+ ){0,2}(official|person|people|officials|"
            r"leader|economist|laureate|president|secretary|director|minister|translator|author)\b|^\s*who\b"
        )),
        ("place", _rx(
            r"^\s*where\b|\bwhere (did|was|were|is|will|are)\b|\b(which|what) (\S+ ){0,2}(country|countries|city|"
            r"cities|place|location|venue|meeting|summit|talks|(?<!member )states?|provinces?|regions?)\b"
        )),
        ("document", _rx(
            r"\b(which|what) (\w+ )?(executive order|order|law|framework|act|statute|rule|regulation|provision|"
            r"section|memorand(um|a)|document|standard|resolution|treaty|agreement|plan|guidance|guideline|article|"
            r"legal authority|authority|five-year plan)\b|\bunder (which|what) (authority|law|statute|provision)\b|"
            r"\b(which|what) ((?!does|do|did|is|are|was|were|will|can)\S+ ){0,3}(memo|memorandum|guide|rule|rules|"
            r"law|order|act|standard|resolution|category|provision|framework|plan|report|guidance|statute|"
            r"agreement)\b|\b(what is|what's|what was) the (full |official |exact )?(title|name) of (the |its |"
            r"china's |\w+'s )?(\w+ ){0,4}(resolution|order|law|act|rule|plan|report|standard|framework|document|"
            r"guidance|measures)\b"
        )),
    ),
    counts_days=_rx(r"\bhow many (days|weeks|months|years)"),
    units=_rx(
        r"\b(tons?|tonnes?|mmt|bushels|gbit|gigabits?|flops?|operations|parameters|gigawatts?|gw|mw|megawatts?|"
        r"terabytes?|petaflops?|exaflops?|accelerators?|gpus?|chips?|users?)\b"
    ),
    count=_rx(
        rf"\b(\d{{1,2}}|{_NUMBER_WORDS})\s+(?:main\s+|key\s+|primary\s+|core\s+|major\s+|other\s+)?"
        r"([a-z]+(?:s|ies|ria)|people|criteria)\b"
    ),
    summary=_rx(
        r"\b(summari[sz]e|summary|overview|overveiw|overiew|sumary|summery|main (points|ideas|provisions|takeaways)|"
        r"key (points|takeaways)|gist|tl;?dr|in a nutshell|brief me|highlights? of)\b|"
        r"\bwhat(?:'s| is| was)\s+(?:the\s+)?.{3,80}?\s+(?:all\s+)?about\b|\bwhat does .{3,80} cover\s*\??$"
    ),
    comparison=_rx(
        r"\b(compar\w*|differ\w*|versus|vs\.?|contrast|similar\w*|in common|same as|as opposed to)\b|"
        r"^\s*how do\b.+\band\b.+\b(treat|handle|approach|address|regulate|deal with)\b|\bboth\b.+\band\b"
    ),
    compared_pair=_rx(
        r"(?:\bbetween|^\s*(?:how|in what ways?|where)\s+(?:do|does|did)|\bcompare)\s+(?:the\s+)?(?P<a>.{2,80}?)\s+"
        r"(?:and|with|to|vs\.?|versus)\s+(?:the\s+)?(?P<b>.{2,80}?)"
        r"(?:\s+(?:differ|compare|contrast|diverge|agree|on|in|regarding|about|when|over)\b|\s*[?,.]|$)"
    ),
    document_name=_rx(
        r"\b(codes? of (?:conduct|practice)|resolutions?|(?:executive )?orders?|act|law|rules?|regulations?|measures|"
        r"framework|principles|declaration|guidelines?|guidance|strategy|plan|memorand(?:um|a)|standards?|"
        r"convention|treaty|accord|agreement|charter|directive|bill|statute|communiqu[eé])\b"
    ),
    factoid_opening=_rx(r"^\s*(?:who|whom|whose|when|where|how (?:many|much|long|soon))\b"),
    who_opening=_rx(r"^\s*who(?:m|se)?\b"),
    status=_rx(
        r"\b(still (in force|in effect|valid|active|current|applicable|apply|stand|binding|enforced|the law)|"
        r"in force|revok(?:e|es|ed)|rescind(?:s|ed)?|repeal(?:s|ed)?|supersed(?:e|es|ed)|replaced|overturned|"
        r"withdrawn|no longer|what replaced|status of|currently (valid|in force|in effect)|being replaced|"
        r"going to be replaced|still (suspended|in place|pending|on hold|around|there)|companion to|reaffirms?|"
        r"what happened to|what became of)\b"
    ),
    in_force=_rx(
        r"\b(in force|in effect|still|revok\w*|rescind\w*|repeal\w*|supersed\w*|replac\w*|valid|current|"
        r"happened to|became of|status)\b"
    ),
    status_acting=_rx(
        r"\b(?:did|does|do|will)\s+(?P<doc>.{2,80}?)\s+(?:revoke|rescind|replace|supersede|amend|implement|support|"
        r"respond to|build on|fulfil+)"
    ),
    library_wide=_rx(
        r"\b(?:which|what)\s+(?:documents?|sources?|orders?|rules?|policies|texts?)\b|\bno longer in force\b|"
        r"\bin the library\b"
    ),
    why=_rx(r"^\s*why\b|\bfor what reason\b|\bwhat (was|is|were) the (reason|rationale|motivation)"),
    procedure=_rx(
        r"^\s*how (do|can|should|must|would|could) (i|we|you|one)\b|"
        r"^\s*how (does|do|can|should|must|would|could) (a|an|the|my|our)?\s*(provider|company|companies|"
        r"organi[sz]ation|agency|agencies|firm|developer|user|exporter|applicant|deployer|business|consortium|"
        r"consortia|government|state|member state|country|countries|someone|operator)s?\b|"
        r"\bhow (do|does|can|should|must|would) .{1,60}\b(apply|file|register|obtain|submit|comply|request|join|"
        r"qualify|participate|notify|appeal)\b|\bhow to\b|\bwhat (are the )?steps\b|\bprocess (for|to)\b"
    ),
    definition=_rx(
        r"^\s*(what(?:'s| is| are| was)\s+(?:a |an |the )?(?:term |concept of |notion of )?['\"“‘]?"
        r"(?P<term>[^?]{2,80}?)"
        r"['\"”’]?\s*(?:\((?:in )?[^)]*\)|\s(?:in|under|according to|per|as used in) [^?]{3,80})?\s*\??\s*$)|"
        r"\bdefin(e|es|ed|ition)\b|\bwhat does .{2,60} mean\b|\bmeaning of\b|\bwhat is meant by\b|"
        r"\bwhat counts as\b|\bwho counts as\b|\bstand for\b|\bwhat qualifies as\b"
    ),
    value_words=_rx(
        r"^(the )?(\S+ ){0,2}(tariff|deadline|threshold|date|number|percentage|share|rate|amount|size|cap|limit|fine|"
        r"budget|penalty|price|cost|duration|period|timeline|target|goal|role|purpose|status|scope|basis|"
        r"legal basis|authority|difference|relationship|name|title|level|value|term of|term|time|fee|maximum|minimum|"
        r"highest|lowest)\b"
    ),
    who_is=_rx(r"^\s*who(?:'s|\s+is|\s+was|\s+are)\s+(?!a\b|an\b|in\b|responsible\b|required\b|supposed\b)"),
    yes_no=_rx(r"^\s*(is|are|was|were|does|do|did|can|could|should|will|would|has|have|had|must|may|might)\b"),
    yes_no_opening=_rx(
        r"^\s*(is|are|was|were|does|do|did|can|could|should|will|would|has|have|had|must|may)\b(?!.*\bor\b)"
    ),
    listing=_rx(
        r"^\s*(list|name|enumerate|give me)\b|\b(what|which) (are|were) the\b|"
        r"\b(what|which)\s+(?:\w+\s+){0,3}(steps|functions|pillars|categories|principles|areas|measures|risks|"
        r"requirements|obligations|types|elements|characteristics|chips|countries|companies|entities|departments|"
        r"agencies|bodies|references|actions|documents|tools|sectors|industries|things|items|priorities|goals|"
        r"rules|considerations|tasks|fields|issues|topics|kinds|minerals|officials|parties|models|duties|rights|"
        r"commitments|exemptions|conditions|penalties|factors)\b|"
        r"\bwhat (does|do|did|must|should|will) .{2,80}\b(include|consist of|comprise|contain|cover)\b|"
        r"\b(what|which)\s+(?:\w+\s+){0,2}\w+s\s+(are|were|does|do|did|will|have|has|must|should|can)\b"
    ),
    embedded_question=_rx(
        r"^\s*(did|does|do|has|have|is there|was there)\b.{0,80}?\b(say|said|state|specify|specified|mention|give|"
        r"disclose|report|reveal|indicate|set|name|list)\s+(exactly\s+)?(how (many|much|long|soon)|when|which|"
        r"who|where|what)\b"
    ),
    plural_ask=_rx(
        r"\b(?:which|what)\s+(?:\S+\s+){0,2}(?:models|chips|gpus|accelerators|llms|processors|products|companies|"
        r"firms|agencies|bodies|departments|countries|cities|states|people|officials)\b"
    ),
    which_noun=_rx(
        r"\b(?:which|what)\s+(?:[\w-]+\s+){0,3}?(company|firm|agency|department|office|official|body|"
        r"organi[sz]ation|ministry|regulator|developer|lab|model|chip|product|processor|person|country|group|"
        r"council|committee)s?\b"
    ),
    asks_company=_rx(
        r"\b(?:which|what)\s+(?:\w+\s+){0,2}(?:compan(?:y|ies)|firms?|businesses|corporations?|chipmakers?|"
        r"vendors?|manufacturers?|developers?)\b"
    ),
    asks_city=_rx(r"\b(?:which|what)\s+(?:\S+\s+){0,2}cit(?:y|ies)\b"),
    government=re.compile(
        r"\b(?:Secretary|Department|Office|Agency|Council|Bureau|Commission|Ministry|Administration|Congress|"
        r"Government|President|Director|Committee|Assembly|Cabinet)\b"
    ),
    country_like=re.compile(
        r"\b(?:Republic|Kingdom|States|Peninsula|Sea|Ocean|Strait|China|Korea|Japan|Russia|India|Europe|Asia|Africa|"
        r"America|Macau|Taiwan)\b"
    ),
    asks_signer=_rx(r"\bwho\b.{0,40}\bsign(?:ed|s)?\b|\bsigned by\b"),
    asks_requirement=_rx(r"\b(require[sd]?|requirements?|obligations?|oblige[sd]?|mandate[sd]?|must|have to|has to|"
                         r"duties|duty|ask[s]? .{1,40} to do|tell[s]? .{1,40} to do|direct[s]?|"
                         r"order[s]? .{1,30} to)\b"),
    asks_issued=_rx(
        r"\b(sign|signed|issue|issued|adopt|adopted|publish|published|release|released|announce|announced|"
        r"come out|came out|put out|dated?)\b"
    ),
    parts_of_document=_rx(
        r"\b(parts?|sections?|pillars?|chapters?|components?|structure|outline|organi[sz]ed|made up of|"
        r"consists? of)\b"
    ),
    part_split=_rx(
        r"(?:,\s*|\s+|;\s*|\?\s+)(?:and|also|plus|as well as)\s+(?=(?:also\s+)?(?:what|when|which|who|whom|whose|"
        r"where|why|how|is|are|was|were|does|do|did|can|will|has|have|must|should)\b)|"
        r"\?\s+(?=(?:and\s+)?(?:what|when|which|who|whom|whose|where|why|how|is|are|was|were|does|do|did|can|"
        r"will|has|have|must|should)\b)|[;,]\s+(?=(?:what|when|which|who|whom|whose|where|how)\b)"
    ),
    asks=_rx(
        r"\b(what|when|which|who|whom|whose|where|why|how)\b|^\s*(is|are|was|were|does|do|did|can|could|should|"
        r"will|would|has|have|had|must|may|list|name|summari[sz]e|describe|explain|give)\b"
    ),
    predicate=_rx(
        r"^\s*(?:who|whom|which\s+\w+(?:\s+\w+)?|what\s+(?!is\b|are\b|was\b|were\b|does\b|do\b|did\b)\w+)\s+"
        r"(?:will|shall|must|would|should|can|could|may|does|did|do|has|have|had)?\s*(?:be\s+)?"
        r"(?P<verb>(?!the\b|a\b|an\b|to\b|in\b|of\b|for\b|is\b|are\b|was\b|were\b)[a-z]{3,})"
    ),
    anaphora=_rx(
        r"\b(it|its|it's|they|them|their|theirs|this|that|these|those|he|she|him|her|his|the same|"
        r"the (order|rule|rules|measure|measures|plan|document|framework|law|agency|body|memo|memorandum|"
        r"statement|notice|standard|regulation|regulations|resolution|fact sheet|readout|report|deal|policy|"
        r"program|programme|registry|guidance|act|agreement|initiative|scheme|license|licence))\b"
    ),
    ellipsis=_rx(r"^\s*(and|but|also|what about|how about|then|so|plus|or)\b|^\s*(same|ditto)\b"),
    historical=_rx(
        r"\b(originally|at the time|back then|historically|in its original|when it was issued|was it)\b"
    ),
    author=_rx(
        r"\b([A-Z][a-z]+)['’]s\s+(?:[\w-]+\s+){0,2}(?:order|executive order|eo|administration|plan|rule|memo|"
        r"memorandum|polic(?:y|ies)|government|white house|deal|team|statement)\b"
    ),
    provenance=_rx(
        r"\b(?:did|does|do|has|have)\s+(?:the\s+)?[\w' .’-]{2,40}?\s+(?:say|said|state|states|stated|report|claim|"
        r"write|note)\b|\b(?:according to|as stated in|as reported (?:by|in)|per|mentioned in|cited in|in)\s+"
        r"(?:the\s+)?[\w' .’-]{0,40}?\b(?:report|piece|article|fact sheet|readout|announcement|statement|story|"
        r"press release)\b|\b(?:January|February|March|April|May|June|July|August|September|October|November|"
        r"December)\s+\d{4}\s+(?=[A-Z])"
    ),
    question_words=_rx(
        r"\b(what|which|who|whom|whose|when|where|why|how|is|are|was|were|does|do|did|can|could|should|would|will|"
        r"many|much|long|often|soon|mean|means|meant|define|defined|definition|say|says|said|tell|explain|describe|"
        r"summarize|summarise|summary|overview|list|name|give|main|key|point|points|still|force|according|"
        r"exactly|actually|specifically|ok|okay|different|topic|quick|question)\b"
    ),
    politeness=_rx(r"^(can you|could you|please|tell me|i want to know|do you know|quick question)\s+"),
    opposites={
        "mandatory": ("voluntary", "optional"), "required": ("voluntary", "optional"), "binding": ("voluntary",),
        "compulsory": ("voluntary",), "obligatory": ("voluntary",), "voluntary": ("mandatory", "required"),
        "legal": ("illegal", "prohibited"), "allowed": ("prohibited",), "permitted": ("prohibited",),
        "banned": ("permitted", "allowed"), "prohibited": ("permitted", "allowed"), "free": ("fee", "charge"),
        "exempt": ("required", "must"),
    },
    negation=_rx(
        r"\b(?:not|no|never|neither|nor|none|without|cannot|can't|doesn't|don't|isn't|aren't|won't|shall not|"
        r"may not|must not|does not|do not|is not|are not|will not|non-\w+|exempt(?:ed)?|except)\b"
    ),
    cues={
        "why": _rx(r"\b(because|due to|in order to|so that|to ensure|to protect|to prevent|as a result|given|"
                   r"since|reason|would have|undermin|threat|risk|aim|aims|purpose)\w*"),
        "procedure": _rx(r"\b(shall|must|should|submit|apply|file|register|request|notify|may)\b"),
        "requirement": _rx(r"\b(shall|must|required?|requiring|obligat\w+|mandat\w+|prohibit\w*)\b"),
        "status": _rx(r"\b(revok|rescind|rescission|supersed|replac|repeal|in force|in effect|suspend|"
                      r"amend|take effect|effective|expire)\w*"),
        "list": _rx(r"[:;]|\b(including|such as|namely|as follows|the following)\b|\(\w\)|\b\w+, \w+,? and\b"),
    },
    defining=_rx(
        r"\b(?:means|mean|refers? to|(?:is |are |–\s*|-\s*|, )?defined as|is (?:a|an|the|any)|are (?:a|an|the|any)|"
        r"is intended to|describes?|consists? of|denotes|shall include)\b|“[^”]{2,60}”\s*(?:or\s+“[^”]{1,20}”\s*)?"
        r"(?:means|has the meaning)"
    ),
    countries={
        "US": _rx(r"\b(u\.?s\.?a?|united states|america|american|washington|biden|trump|white house|federal)\b"),
        "CN": _rx(r"\b(china|chinese|prc|beijing|xi)\b"),
        "INTL": _rx(r"\b(un|united nations|general assembly)\b"),
    },
    defined_term=_rx(
        r"(?:^|\bthe term\s+)[“\"‘']?(?P<term>[^“”\"‘’,;:]{2,60}?)[”\"’']?\s*(?:\([^)]{1,40}\)\s*)?(?:,\s*)?"
        r"(?:–\s*|-\s*)?"
        r"(?:means|refers? to|is defined as|are defined as|defined as|denotes|has the meaning)\b"
    ),
    counted=_rx(r"\bhow many\s+(?:\w+\s+){0,2}?(?P<noun>[a-z]+s)\b"),
    messages=Messages(
        refusal=('I could not find enough support in the library to answer this. Searched {n} source{s}{filters} '
                 'for: "{query}". Try rephrasing, widening the filters, or adding a source that covers it.'),
        not_stated={
            "date": "The library does not give a date for this.",
            "duration": "The library does not give that time period.",
            "number": "The library does not give that number.",
            "quantity": "The library does not give that figure.",
            "percentage": "The library does not give that percentage.",
            "money": "The library does not give that amount.",
            "body": "The library does not say which body that is.",
            "person": "The library does not say who that is.",
            "place": "The library does not say where.",
            "document": "The library does not name that document.",
            "product": "The library does not name that model or product.",
            "": "The library does not state this.",
        },
        not_stated_which="The library does not say which {noun} that is.",
        not_stated_who="The library does not say who.",
        unsure="I am not sure the library answers this exactly.",
        unsure_part='I am not sure the library answers "{part}" exactly; the closest it comes:',
        closest="What it does say:",
        unsupported_part='The library does not answer "{part}".',
        missing_side="Note: the library gave no supporting passage on the {sides} side of this comparison.",
        absent_side="Note: the library does not hold the {sides}, so that side of the comparison is not answered.",
        or_word=" or ",
        yes="Yes:",
        no="No:",
        translation_label="English translation:",
        country_names={"US": "United States", "CN": "China", "INTL": "United Nations"},
        status_note="Note: {name} is referred to as {status} in {stater}{when} [{marker}].",
        relation_note="{target} is referred to as {status} in {stated}.",
        acts_note="{stated} {verb} {target}.",
        words={"revoked": "revoked", "rescinded": "rescinded", "superseded": "superseded", "amended": "amended",
               "implements": "implements", "supports": "supports", "responds_to": "responds to",
               "translation_of": "translates"},
        none_not_in_force="No document in the library is referred to as revoked, rescinded or superseded.",
        not_acting="The library does not say that {names} revokes, replaces or amends another document.",
        not_revoked="No document in the library says that {names} has been revoked, rescinded, superseded or amended.",
        in_force_as_of="As of {as_of}, {name} was in force: no document in the library dated on or before that day "
                       "revokes, rescinds or supersedes it.",
        not_issued_as_of="As of {as_of}, {name} had not been issued: it is dated {date}.",
        not_in_force_as_of="As of {as_of}, {name} was no longer in force ({status}).",
    ),
    stop_focus=frozenset(
        "say says said require requires required need needs ask asks asked want wants set sets put get gets use "
        "used make makes take takes have has include includes included mention mentions mentioned do does did "
        "tell tells call calls called give gives given go goes happen happens happened document documents "
        "library according per regard regarding about specifically exactly actually fact sheet piece article "
        "readout page story website text announcement mentioned ok okay different topic quick".split()
    ),
)
