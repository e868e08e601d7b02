"""English questions about Chinese-language sources: a policy glossary that adds Chinese search terms.

The embedding model is English-only and BM25 matches words, so an English
question cannot find a passage that exists only in Chinese (TC260 standards,
State Council opinions). :func:`chinese_terms` maps the question's policy
vocabulary to the terms Chinese official texts use; retrieval adds them to the
BM25 query, and sentence scoring matches Chinese sentences against them. Names
and numbers (APEC, G20, 2027, 5%) are written the same way in both languages and
need no entry.
"""

from __future__ import annotations

import re
from functools import lru_cache

# English phrase (lower case; a trailing "s" is optional) -> Chinese terms used in PRC official texts.
GLOSSARY: dict[str, tuple[str, ...]] = {
    "artificial intelligence": ("人工智能",),
    "ai": ("人工智能",),
    "generative": ("生成式",),
    "large model": ("大模型",),
    "foundation model": ("基础模型", "大模型"),
    "model": ("模型",),
    "training data": ("训练数据", "训练语料"),
    "corpus": ("语料",),
    "corpora": ("语料",),
    "data": ("数据",),
    "illegal": ("违法",),
    "harmful": ("不良", "有害"),
    "illegal and harmful": ("违法不良",),
    "content": ("内容",),
    "information": ("信息",),
    "security": ("安全",),
    "safety": ("安全",),
    "governance": ("治理",),
    "framework": ("框架",),
    "risk": ("风险",),
    "label": ("标识",),
    "labelling": ("标识",),
    "labeling": ("标识",),
    "watermark": ("水印", "标识"),
    "algorithm": ("算法",),
    "filing": ("备案",),
    "registration": ("备案", "登记"),
    "keyword": ("关键词",),
    "keyword library": ("关键词库",),
    "refuse": ("拒答", "拒绝"),
    "refusal": ("拒答", "拒绝"),
    "question": ("题",),
    "test question": ("测试题", "题库"),
    "question bank": ("题库",),
    "sample": ("抽样", "抽取"),
    "sampled": ("抽样", "抽取"),
    "random": ("随机",),
    "pass rate": ("合格率",),
    "adoption rate": ("普及率", "应用普及率"),
    "penetration rate": ("普及率",),
    "intelligent terminal": ("智能终端",),
    "next generation": ("新一代",),
    "agent": ("智能体",),
    "target": ("目标",),
    "international cooperation": ("国际合作",),
    "cooperation": ("合作",),
    "multilateral": ("多边",),
    "mechanism": ("机制",),
    "open source": ("开源",),
    "computing power": ("算力",),
    "compute": ("算力",),
    "chip": ("芯片",),
    "data center": ("数据中心",),
    "data centre": ("数据中心",),
    "personal information": ("个人信息",),
    "privacy": ("隐私",),
    "intellectual property": ("知识产权",),
    "copyright": ("著作权", "知识产权"),
    "minor": ("未成年人",),
    "provider": ("提供者",),
    "user": ("使用者", "用户"),
    "service": ("服务",),
    "ethics": ("伦理",),
    "supervision": ("监管",),
    "oversight": ("监管",),
    "regulation": ("监管", "规定"),
    "regulatory": ("监管",),
    "inclusive and prudent": ("包容审慎",),
    "tiered": ("分类分级",),
    "classified and graded": ("分类分级",),
    "deep synthesis": ("深度合成",),
    "national security": ("国家安全",),
    "cybersecurity": ("网络安全",),
    "take effect": ("施行",),
    "measures": ("办法", "措施"),
    "opinion": ("意见",),
    "state council": ("国务院",),
    "standard": ("标准",),
    "evaluation": ("评估",),
    "assessment": ("评估",),
    "accuracy": ("准确性",),
    "transparency": ("透明度",),
    "innovation": ("创新",),
    "industry": ("产业",),
    "real economy": ("实体经济",),
    "economy": ("经济",),
    "talent": ("人才",),
    "education": ("教育",),
    "healthcare": ("医疗", "健康"),
    "manufacturing": ("制造",),
    "science": ("科学",),
    "employment": ("就业",),
    "infrastructure": ("基础设施",),
    "share": ("比例",),
    "proportion": ("比例",),
    "percentage": ("比例",),
    "at least": ("不少于", "不低于"),
    "minimum": ("不少于", "不低于"),
    "every week": ("每周",),
    "weekly": ("每周",),
    "monthly": ("每月",),
    "update": ("更新",),
    "scale": ("规模",),
    "size": ("规模",),
    "development": ("发展",),
    "application": ("应用",),
    "human": ("人类",),
    "control": ("控制",),
    "military": ("军事",),
    "weapon": ("武器",),
    "export control": ("出口管制",),
    "sovereignty": ("主权",),
    "united nations": ("联合国",),
    "global": ("全球",),
    "developing countries": ("发展中国家",),
    "capacity building": ("能力建设",),
    "by 2027": ("到2027年",),
    "by 2030": ("到2030年",),
    "by 2035": ("到2035年",),
}


_TOO_COMMON = frozenset({"人工智能"})
MIN_SPECIFIC_TERMS = 2


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern[str]:
    phrases = sorted(GLOSSARY, key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(re.escape(p) for p in phrases) + r")s?\b", re.IGNORECASE)


def has_chinese(text: str) -> bool:
    """Whether ``text`` contains Chinese characters."""
    return re.search(r"[\u3400-\u9fff]", text) is not None


def chinese_terms(question: str) -> str:
    """Chinese search terms for the policy vocabulary of an English question ("" for a Chinese one).

    Example: "share of illegal content in training data" -> "比例 违法 内容 训练数据 训练语料".
    """
    if has_chinese(question):
        return ""
    terms: list[str] = []
    for match in _pattern().finditer(re.sub(r"(?<=\w)-(?=\w)", " ", question)):
        for term in GLOSSARY[match.group(1).lower()]:
            if term not in terms:
                terms.append(term)
    # "AI" alone (or with one other word) matches every Chinese passage equally: no signal, only noise.
    if len([t for t in terms if t not in _TOO_COMMON]) < MIN_SPECIFIC_TERMS:
        return ""
    return " ".join(terms)
