"""Chinese: the cue words of questions and the messages of answers."""

from __future__ import annotations

import re

from assistant.core.lang import LanguageData, Messages

_NEVER = re.compile(r"(?!x)x")
"""A pattern that matches nothing: a cue this language does not have."""

CHINESE = LanguageData(
    code="zh",
    type_cues=(
        ("duration", re.compile(
            r"多久|多长时间|多少天|几天|多少个?月|多少个?工作日|期限|多长|频率|多久一次|每.{0,3}多少|有效期|几年|多少年|"
            r"几个月|几个工作日"
        )),
        ("date", re.compile(r"何时|什么时候|哪天|哪一天|哪年|哪一年|几月|什么时间|日期|哪个月|截止|起施行|"
                            r"自何时|何日")),
        ("percentage", re.compile(r"比例|百分之|占比|合格率|普及率|拒答率|比率|百分比|%|多少成")),
        ("money", re.compile(r"多少钱|罚款|罚多少|金额|多少(亿|万)?元|多少美元|投资多少|多少补贴|多少资金|费用|"
                             r"罚金|处.{0,6}罚")),
        ("number", re.compile(
            r"多少(个|项|家|名|条|种|题|次|款|部|类|人)|(?<!哪)几(个|项|家|名|条|种|类|次|部)|多少|第几|数量"
        )),
        ("quantity", re.compile(r"规模|阈值|门槛|上限|下限|多大")),
        ("product", re.compile(r"哪(个|款|一款|些)(大)?(模型|芯片|产品|处理器)")),
        ("body", re.compile(
            r"哪个部门|哪些部门|哪个机构|哪些机构|什么部门|什么机构|由谁|谁负责|主管部门|哪个单位|向谁|报给谁|谁来|"
            r"(机构|部门|单位)是哪|由哪|哪一级|哪级|谁审批|谁批准|谁监管|谁主管|报送.{0,6}哪|哪个主管"
        )),
        ("person", re.compile(r"哪位|谁")),
        ("place", re.compile(r"哪里|在哪|何地|哪个国家|哪次会|哪次会晤|哪个城市|哪座城市")),
        ("document", re.compile(
            r"哪个文件|哪部|哪项|哪一项|哪个倡议|哪个规定|哪个标准|哪个法|发文字号|文号|哪号|什么文件|哪份|"
            r"什么(框架|文件|规定|标准|机制|倡议|法律)|第几号令"
        )),
    ),
    counts_days=re.compile(r"多少天|几天|多少个?月|多少个?工作日|几年|几个月"),
    units=re.compile(r"吨|算力门槛|阈值|千瓦|兆瓦|用户"),
    count=re.compile(r"([两二三四五六七八九十]|\d{1,2})\s*(?:个|项|条|大|种|类|名|点|方面|部分|方)"),
    summary=re.compile(
        r"概括|总结|概述|主要内容|主要讲|讲了什么|讲的是什么|讲些什么|简要介绍|简单介绍|介绍一下|要点|核心内容|主旨|"
        r"是关于什么"
    ),
    comparison=re.compile(r"相比|比较|对比|区别|异同|有何不同|有什么不同|一样吗|差异(?!化)|不同之处|相同之处"),
    compared_pair=re.compile(
        r"^(?:请)?(?:比较|对比)?(?P<a>[^，,？?和与同跟及]{2,40}?)(?:和|与|同|跟|及)(?P<b>[^，,？?]{2,40}?)"
        r"(?:在|对于|对|关于|就|之间|的|有何|有什么|相比|比较|对比|[，,？?])"
    ),
    document_name=re.compile(r"(办法|规定|条例|法|框架|决议|准则|标准|意见|规划|宣言|倡议|指南|公约|协议|守则|战略|计划|行政令)》?$"),
    factoid_opening=re.compile(r"^\s*谁"),
    who_opening=re.compile(r"谁"),
    status=re.compile(
        r"还有效|还在施行|仍在施行|还在实施|是否有效|仍然有效|仍有效|现在有效|失效|废止|被撤销|撤销了吗|被取代|取代了|"
        r"还适用|现行有效|仍在执行|还在执行"
    ),
    in_force=re.compile(r"有效|废止|撤销|取代|施行|适用|失效"),
    status_acting=re.compile(r"(?:撤销|废止|取代|支撑|实施)了?(?:哪些|什么)"),
    library_wide=re.compile(r"哪些文件|哪些文件已|哪些政策"),
    why=re.compile(r"为什么|为何|原因|理由|目的是"),
    procedure=re.compile(r"如何(?!定义|界定|看待|评价)|怎么(?!定义|界定|讲|说|看|样的)|怎样|步骤|流程|程序是"),
    definition=re.compile(
        r"是指什么|指什么|什么是|是什么意思|的定义|的含义|怎么定义|如何定义|如何界定|怎么界定|指的是|"
        r"^[^，,？?]{2,14}是什么[?？]?\s*$|包括哪些人|属于什么"
    ),
    value_words=_NEVER,
    who_is=re.compile(r"谁是|是谁"),
    yes_no=re.compile(r"是否|能不能|可不可以|要不要|有没有|是不是|必须.{0,20}吗|吗[?？]?\s*$|可以.{0,20}吗"),
    yes_no_opening=re.compile(r"是否|能不能|可不可以|要不要|有没有|是不是|吗[?？]?\s*$"),
    listing=re.compile(
        r"哪些|哪几|哪[两二三四五六七八九十]|有哪|包括什么|包括哪|列举|都有什么|[两二三四五六七八九十\d]大.{0,12}(是什么|有哪)|"
        r"什么义务|什么要求|哪些义务"
    ),
    embedded_question=_NEVER,
    plural_ask=re.compile(r"哪些"),
    which_noun=_NEVER,
    asks_company=re.compile(r"哪家|哪些(?:公司|企业)|什么(?:公司|企业)"),
    asks_city=re.compile(r"哪个城市|哪座城市"),
    government=re.compile(r"部$|委员会|国务院|办公室|政府|局$|部门"),
    country_like=re.compile(r"国$|共和国|省$|海$|洲$"),
    asks_signer=re.compile(r"谁签署|谁签发|签署人|由谁签署"),
    asks_requirement=re.compile(r"要求|义务|必须|应当|职责|负责什么"),
    asks_issued=re.compile(r"印发|发布|公布|通过|签署|出台|颁布"),
    parts_of_document=re.compile(r"构成|组成|哪几部分|几个部分|哪些部分|框架结构|章节|结构"),
    part_split=re.compile(
        r"[，,；;？?]\s*(?:以及|并且|同时|还有|另外|而且|那么)?\s*(?=[^，,；;？?]{0,30}(?:什么|哪|多少|几|谁|何时|何地|"
        r"是否|吗|怎么|如何|为什么|多久|多长))"
    ),
    asks=re.compile(r"什么|哪|多少|几|谁|何|是否|吗|如何|怎么|怎样|为什么|多久|多长|是不是|有没有|能否|可否|概括|介绍"),
    predicate=_NEVER,
    anaphora=re.compile(r"^\s*(?:它|其|该|这|那|此|上述|前者|后者)|它的|它们|该(?:法|条例|办法|规定|文件|标准|意见|框架)|"
                        r"这(?:部|项|个|份)|其中"),
    ellipsis=re.compile(r"^\s*(?:那|还有|另外|以及|和|而|那么)|呢[?？]?\s*$"),
    historical=re.compile(r"当时|原先|最初"),
    author=re.compile(r"(拜登|特朗普)(?:政府|的)"),
    provenance=re.compile(r"据.{1,12}?(?:报道|称|说)|那篇报道"),
    question_words=re.compile(
        r"什么时候|何时|什么|哪些|哪个|哪几|哪一|哪|多少|几|是否|吗|呢|怎么|怎样|如何|为什么|为何|谁|有何|是不是|有没有|"
        r"请问|一下|要求|规定|提出|具体|主要|分别|的是|是指|指的"
    ),
    politeness=re.compile(r"^(请问|请|麻烦|想问一下|想知道)\s*"),
    opposites={"强制": ("自愿",), "强制性": ("自愿",), "必须": ("可以", "鼓励"), "禁止": ("允许",)},
    negation=re.compile(r"不得|不|无需|无须|未|非|禁止|没有|除外|豁免"),
    cues={
        "why": re.compile(r"因为|为了|由于|以便|旨在|目的"),
        "procedure": re.compile(r"应当|应|须|提交|申请|备案|报送"),
        "requirement": re.compile(r"应当|必须|不得|须"),
        "status": re.compile(r"施行|废止|撤销|失效|生效"),
        "list": re.compile(r"[：:；;、]|（[一二三四五六七八九十]+）|包括|以下"),
    },
    defining=re.compile(r"是指|指的是|，是指|是.{0,4}的(?:模型|技术|组织|个人|行为)|包括"),
    countries={
        "US": re.compile(r"美国|中美|美中|拜登|特朗普|白宫"),
        "CN": re.compile(r"中国|我国|中美|美中|国务院"),
        "INTL": re.compile(r"联合国|联大"),
    },
    defined_term=re.compile(r"(?:^|[“\"])(?P<term>[\u4e00-\u9fff]{2,16})[”\"]?\s*[，,]?\s*(?:是指|指的是|，是指)"),
    counted=re.compile(r"(?:多少|几)(?:个|款|项|家|条|名|种|类|部|件|次|位|批|所)?(?P<noun>[\u4e00-\u9fff]{1,3})"),
    messages=Messages(
        refusal=("资料库中没有足够的依据来回答这个问题。已在 {n} 个来源{filters}中检索:“{query}”。"
                 "可以换个问法、放宽筛选条件，或添加涵盖这一主题的来源。"),
        not_stated={"": "资料库中没有说明这一点。"},
        not_stated_which="资料库中没有说明这一点。",
        not_stated_who="资料库中没有说明这一点。",
        unsure="我不确定资料库是否确切回答了这个问题。",
        unsure_part="我不确定资料库是否确切回答了“{part}”，最接近的内容:",
        closest="资料库中与此最相关的内容:",
        unsupported_part="资料库中没有回答“{part}”的内容。",
        missing_side="注意:资料库中没有支持这一比较中{sides}一方的段落。",
        absent_side="注意:资料库中没有{sides}，因此比较的这一方无法回答。",
        or_word="或",
        yes="是:",
        no="否:",
        translation_label="中文原文：",
        country_names={"US": "美国", "CN": "中国", "INTL": "联合国"},
        status_note="注意:{stater}{when}称{name}已{status} [{marker}]。",
        relation_note="{stated}称{target}已{status}。",
        acts_note="{stated}{verb}{target}。",
        words={"revoked": "撤销", "rescinded": "废止", "superseded": "被取代", "amended": "修订",
               "implements": "实施", "supports": "支撑", "responds_to": "回应", "translation_of": "翻译"},
        none_not_in_force="资料库中没有文件被称为已撤销、废止或被取代。",
        not_acting="资料库中没有说明{names}撤销、取代或修订了其他文件。",
        not_revoked="资料库中没有文件称{names}已被撤销、废止、取代或修订。",
        in_force_as_of="截至{as_of}，{name}仍然有效：资料库中该日及以前的文件均未撤销、废止或取代它。",
        not_issued_as_of="截至{as_of}，{name}尚未发布：其日期为{date}。",
        not_in_force_as_of="截至{as_of}，{name}已不再有效（{status}）。",
    ),
)
