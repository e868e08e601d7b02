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
from collections import Counter
from collections.abc import Callable
from functools import lru_cache

from assistant.retrieval.dictionary import chinese_words, english_words
from assistant.retrieval.numerals import chinese_number

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
    "semiconductor": ("半导体",),
    "semiconductor manufacturing equipment": ("半导体制造设备",),
    "manufacturing equipment": ("制造设备",),
    "license": ("许可",),
    "licence": ("许可",),
    "licensing": ("许可",),
    "export": ("出口",),
    "import": ("进口",),
    "tariff": ("关税",),
    "entity list": ("实体清单",),
    "executive order": ("行政令",),
    "action plan": ("行动计划",),
    "memorandum": ("备忘录",),
    "resolution": ("决议",),
    "united states": ("美国",),
    "china": ("中国",),
    "country": ("国家",),
    "countries": ("国家",),
    "president": ("总统",),
    "department of commerce": ("商务部",),
    "commerce": ("商务部",),
    "talks": ("对话", "会谈"),
    "meeting": ("会晤", "会见"),
    "leader": ("领导人",),
    "nuclear": ("核",),
    "nuclear weapons": ("核武器",),
    "skills": ("技能",),
    "workforce": ("劳动力", "就业"),
    "deepfake": ("深度伪造",),
    "leaderboard": ("排行榜",),
    "performance gap": ("差距",),
    "stanford": ("斯坦福",),
    "report": ("报告",),
    "publish": ("发布", "公布"),
    "published": ("发布", "公布"),
    "issued": ("印发", "发布"),
    "effective date": ("施行",),
    "fine": ("罚款",),
    "penalty": ("处罚", "罚款"),
    "warning": ("警告",),
    "provider obligations": ("提供者义务",),
    "obligation": ("义务",),
    "responsibility": ("责任",),
    "annotation": ("标注",),
    "labeling rules": ("标注规则",),
    "minors": ("未成年人",),
    "complaint": ("投诉",),
    "report illegal content": ("举报",),
    "test question bank": ("测试题库",),
    "sampling": ("抽样", "抽检"),
    "pass rate of sampling": ("抽样合格率",),
    "security assessment": ("安全评估",),
    "filing procedures": ("备案手续",),
    "public opinion": ("舆论",),
    "social mobilization": ("社会动员",),
    "supply chain": ("供应链",),
    "hallucination": ("幻觉",),
    "self-replication": ("自我复制",),
    "computing infrastructure": ("算力设施", "算力基础设施"),
    "model weights": ("模型参数", "模型权重"),
    "international governance": ("国际治理",),
    "ai for good": ("人工智能造福人类",),
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


# --------------------------------------------------------------------------- the library's own term table

_ARTICLE_ZH = re.compile(r"第([一二三四五六七八九十百零〇]{1,6})条")
_ARTICLE_EN = re.compile(r"\bArticle\s+(\d{1,3})\b")
MIN_PAIR_COUNT = 2
MIN_DICE = 0.75
MAX_ZH_WORD_UNITS = 10


def _articles(text: str, pattern: re.Pattern[str]) -> dict[int, str]:
    found = list(pattern.finditer(text))
    return {
        chinese_number(m.group(1)): text[m.end() : found[i + 1].start() if i + 1 < len(found) else len(text)]
        for i, m in enumerate(found)
    }


def derive_term_pairs(parallel: list[tuple[str, str]]) -> dict[str, str]:
    """Chinese word -> English token, learned from the library's own parallel texts.

    The Chinese and English versions of a work are cut into articles ("第十六条" / "Article
    16"); a Chinese word and an English token that occur in the same articles are a pair when
    their Dice coefficient is high (at least :data:`MIN_DICE` over at least :data:`MIN_PAIR_COUNT`
    articles) and no other English token ties with it. Common words appear everywhere and pair
    with nothing.

    Args:
        parallel: ``(Chinese text, English text)`` of each translated work.
    """
    from ingest.keywords import tokenize
    from ingest.segment import default_segmenter

    units: list[tuple[set[str], set[str]]] = []
    for zh_text, en_text in parallel:
        zh_articles, en_articles = _articles(zh_text, _ARTICLE_ZH), _articles(en_text, _ARTICLE_EN)
        for number, zh in zh_articles.items():
            if number not in en_articles:
                continue
            words = {w for run in re.findall(r"[\u4e00-\u9fff]+", zh) for w in default_segmenter().words_of(run)}
            tokens = {t for t in tokenize(en_articles[number]) if len(t) >= 3 and not t.isdigit()}
            units.append(({w for w in words if len(w) >= 2}, tokens))
    zh_count: Counter[str] = Counter(w for words, _ in units for w in words)
    en_count: Counter[str] = Counter(t for _, tokens in units for t in tokens)
    together: Counter[tuple[str, str]] = Counter((w, t) for words, tokens in units for w in words for t in tokens)
    scored: dict[str, list[tuple[float, str]]] = {}
    for (word, token), n in together.items():
        if n < MIN_PAIR_COUNT or zh_count[word] > MAX_ZH_WORD_UNITS:
            continue
        dice = 2 * n / (zh_count[word] + en_count[token])
        if dice >= MIN_DICE:
            scored.setdefault(word, []).append((dice, token))
    # Keep mutual best matches only: the word's best token has that word as its own best.
    best_token = {w: max(options) for w, options in scored.items()}
    best_word: dict[str, tuple[float, str]] = {}
    # Sorted, so a tie is always won by the same word: set and hash order differ from process to process.
    for word, (dice, token) in sorted(best_token.items()):
        if token not in best_word or (dice, -len(word)) > (best_word[token][0], -len(best_word[token][1])):
            best_word[token] = (dice, word)
    return {word: token for token, (_dice, word) in sorted(best_word.items()) if best_token[word][1] == token}


class BilingualTable:
    """Policy vocabulary in both directions: the library's derived pairs plus the curated glossary.

    The glossary only adds what the parallel texts do not cover.
    """

    def __init__(
        self, derived: dict[str, str] | None = None, known: Callable[[str], int] | None = None
    ) -> None:
        """Combine ``derived`` (Chinese word -> English token) with :data:`GLOSSARY`.

        With ``known`` (in how many library chunks a BM25 token occurs), words neither covers are
        looked up in the dictionary (:mod:`assistant.retrieval.dictionary`), in both directions.
        """
        from ingest.keywords import tokenize

        self.known = known
        self.derived = dict(derived or {})
        self.en_to_zh: dict[str, list[str]] = {}
        for word, token in self.derived.items():
            self.en_to_zh.setdefault(token, []).append(word)
        self.zh_to_en: dict[str, list[str]] = {w: [t] for w, t in self.derived.items()}
        for phrase, terms in GLOSSARY.items():
            for term in terms:
                english = [t for t in tokenize(phrase)]
                if term not in self.zh_to_en:
                    self.zh_to_en[term] = english
                for token in english if len(english) == 1 else []:
                    if term not in self.en_to_zh.setdefault(token, []):
                        self.en_to_zh[token].append(term)

    def to_chinese(self, question: str) -> str:
        """Chinese search terms for an English question (the glossary's phrases, then derived pairs)."""
        from ingest.keywords import tokenize

        if has_chinese(question):
            return ""
        terms = chinese_terms(question).split()
        derived_tokens = set(self.derived.values())
        for token in tokenize(question):
            words = [w for w in self.en_to_zh.get(token, []) if token in derived_tokens]
            if not self.en_to_zh.get(token) and self.known is not None:
                words = chinese_words(token, self.known)
            for word in words:
                if word not in terms:
                    terms.append(word)
        if len([t for t in terms if t not in _TOO_COMMON]) < MIN_SPECIFIC_TERMS:
            return ""
        return " ".join(terms)

    def to_english(self, question: str) -> str:
        """English search terms for a Chinese question: its words the table knows."""
        if not has_chinese(question):
            return ""
        from ingest.segment import default_segmenter

        words = [w for run in re.findall(r"[\u4e00-\u9fff]+", question) for w in default_segmenter().words_of(run)]
        tokens: list[str] = []
        for word in words:
            english = self.zh_to_en.get(word)
            if english is None and self.known is not None and len(word) >= 2 and word not in _TOO_COMMON:
                english = english_words(word, self.known)
            for token in english or []:
                if token not in tokens:
                    tokens.append(token)
        tokens += [t for t in re.findall(r"[A-Za-z][A-Za-z0-9-]+|\d{2,}", question) if t not in tokens]
        return " ".join(tokens) if len(tokens) >= MIN_SPECIFIC_TERMS else ""

    def english_of(self, word: str) -> list[str]:
        """The English tokens the table gives a Chinese word ("标识" -> ["label", …]); [] when it knows none."""
        english = self.zh_to_en.get(word)
        if english is None and self.known is not None and len(word) >= 2 and word not in _TOO_COMMON:
            english = english_words(word, self.known)
        return list(english or [])

    def pairs_in(self, question: str) -> list[tuple[str, list[str]]]:
        """For an English question: ``(English token, its Chinese words)`` for every token the table knows."""
        from ingest.keywords import tokenize

        out = []
        for phrase in [m.group(1).lower() for m in _pattern().finditer(re.sub(r"(?<=\w)-(?=\w)", " ", question))]:
            out.append((" ".join(tokenize(phrase)), list(GLOSSARY[phrase])))
        for token in tokenize(question):
            if all(token != t for t, _ in out):
                words = self.en_to_zh.get(token) or (chinese_words(token, self.known) if self.known else [])
                if words:
                    out.append((token, words))
        return out
