# ruff: noqa: E501  (the fixture documents keep their lines as written)
"""Drafts a reviewer would keep, from two documents written here: a Chinese law and an English order."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from testsupport import make_settings

from eval.dataset import GoldItem
from eval.newsources import draft_questions
from eval.user_drafts import chinese_name, english_name

LAW = """# 中华人民共和国算力登记法

2030年3月1日第十五届全国人民代表大会常务委员会第九次会议通过

第一条 为了规范算力设施登记，保障算力安全，促进算力产业健康发展，制定本法。

第二条 本法所称算力设施，是指部署人工智能加速卡并对外提供计算服务的数据中心及其配套系统。

第三条 国家算力管理部门负责统筹协调全国算力设施登记和相关监督管理工作。

第四条 算力设施运营者应当自投入运行之日起三十日内向所在地算力管理部门办理登记。

第五条 算力设施运营者应当履行下列安全保护义务：
（一）建立算力设施安全管理制度；
（二）定期开展安全风险评估；
（三）按照规定报送运行情况。

第六条 算力设施运营者未按照本法第四条规定办理登记的，由算力管理部门责令改正，给予警告，可以并处五万元以上五十万元以下罚款。

第七条 本法自2030年7月1日起施行。
"""

ORDER = """Strengthening Compute Resilience (Executive Order 15001)

By the authority vested in me as President by the Constitution and the laws of the United States of America, it is hereby ordered:

Section 1. Purpose. Reliable compute underpins research, commerce and national security, and the Federal Government must plan for outages of large data centers.

Sec. 2. Definitions. (a) The term “covered data center” means a facility that hosts more than 4,096 AI accelerators for commercial customers.

Sec. 3. Compute Resilience Board. (a) There is hereby established the Compute Resilience Board (Board).
(b) The Secretary of Energy shall serve as Chair of the Compute Resilience Board.
(c) The Board shall consist of the following members:
(i) the Secretary of Commerce;
(ii) the Secretary of Homeland Security; and
(iii) the Director of the Office of Science and Technology Policy.

Sec. 4. Reporting. (a) Within 60 days of the date of this order, the Secretary of Commerce shall publish guidance on outage reporting for covered data centers.
(b) Within 120 days of the date of this order, the Board shall submit a report on regional compute reserves to the President.

Sec. 5. General Provisions. (a) Nothing in this order shall be construed to impair or otherwise affect the authority granted by law to an executive department or agency.

THE WHITE HOUSE,
March 9, 2030.
"""


@pytest.fixture(scope="module")
def drafts(tmp_path_factory: pytest.TempPathFactory) -> list[GoldItem]:
    folder = tmp_path_factory.mktemp("new-docs")
    (folder / "compute-law-zh.md").write_text(LAW, encoding="utf-8")
    (folder / "eo-15001-compute.md").write_text(ORDER, encoding="utf-8")
    with (folder / "catalog.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "file", "title", "publisher", "country", "date", "doc_type"])
        writer.writerow(["cn-compute-law-zh", "compute-law-zh.md",
                         "中华人民共和国算力登记法 (Compute Registration Law of the People's Republic of China)",
                         "全国人民代表大会常务委员会", "CN", "2030-03-01", "law"])
        writer.writerow(["us-eo-15001-compute", "eo-15001-compute.md",
                         "Strengthening Compute Resilience (Executive Order 15001)", "The White House", "US",
                         "2030-03-09", "executive-order"])
    return draft_questions(folder, known_sources=set(), settings=make_settings(folder.parent / "data"))


def _by_question(drafts: list[GoldItem]) -> dict[str, GoldItem]:
    return {item.question: item for item in drafts}


def test_each_document_gets_drafts_of_many_kinds(drafts: list[GoldItem]) -> None:
    for source in ("cn-compute-law-zh", "us-eo-15001-compute"):
        mine = [d for d in drafts if d.id.startswith(f"new-{source}-")]
        assert len(mine) >= 8, [d.question for d in mine]
        assert len({d.kind for d in mine}) >= 6
        assert [d.id for d in mine] == [f"new-{source}-{n}" for n in range(1, len(mine) + 1)]
    assert all(not d.reviewed and d.split == "dev" for d in drafts)


def test_chinese_law_drafts_ask_what_its_articles_state(drafts: list[GoldItem]) -> None:
    asked = _by_question(drafts)
    assert asked["《算力登记法》自什么时候起施行？"].must_include == [["2030年7月1日"]]
    assert asked["《算力登记法》是哪一天通过的？"].must_include == [["2030年3月1日"]]
    assert asked["《算力登记法》是由哪个机构通过的？"].must_include == [["全国人民代表大会常务委员会"]]
    assert asked["根据《算力登记法》，哪个部门负责统筹协调全国算力设施登记？"].must_include == [
        ["国家算力管理部门"]]
    fine = next(d for d in drafts if "罚款幅度" in d.question)
    assert fine.must_include == [["五万元"], ["五十万元"]] and "未按照本法第四条规定办理登记的" in fine.question
    listed = asked["根据《算力登记法》，算力设施运营者应当履行哪些安全保护义务？"]
    assert listed.kind == "list" and listed.must_include == [["建立算力设施安全"], ["定期开展安全风险"]]
    deadline = next(d for d in drafts if "多长时间内" in d.question)
    assert deadline.must_include == [["三十日"]]
    assert asked["《算力登记法》主要规定了什么？"].must_include == [["规范算力设施登记"], ["保障算力安全"]]
    assert asked["《算力登记法》是否要求算力设施运营者向所在地算力管理部门办理登记？"].kind == "yesno"
    english = asked["When does China's Compute Registration Law take effect?"]
    assert "cross-lingual" in english.tags and "July 1, 2030" in english.must_include[0]


def test_english_order_drafts_read_like_questions_people_ask(drafts: list[GoldItem]) -> None:
    asked = _by_question(drafts)
    assert asked["When was Executive Order 15001 signed?"].must_include == [["March 9, 2030"]]
    assert asked["Who chairs the Compute Resilience Board under Executive Order 15001?"].must_include[0][0] == \
        "Secretary of Energy"
    deadline = asked["How many days does the Secretary of Commerce have to publish guidance on outage reporting under "
                     "Executive Order 15001?"]
    assert deadline.must_include == [["60 days"]]
    assert any(q.startswith("How does Executive Order 15001 define “covered data center”") for q in asked)
    assert "美国第15001号行政令是哪天签署的？" in asked
    # the general-provisions boilerplate is never turned into a question
    assert not any("construed" in q or "Nothing" in q for q in asked)


def test_every_answerable_draft_holds_its_key_facts_in_its_quote(drafts: list[GoldItem]) -> None:
    texts = {"cn-compute-law-zh": LAW, "us-eo-15001-compute": ORDER}
    flat = lambda text: "".join(text.split()).lower()  # noqa: E731
    answerable = [d for d in drafts if d.answerable]
    assert len(answerable) >= 12
    for item in answerable:
        quotes = flat(" ".join(e.quote for e in item.evidence))
        assert all(e.quote in texts[e.source_id] for e in item.evidence), item.question
        assert all(any(flat(alt) in quotes for alt in group) for group in item.must_include), item.question
    near = [d for d in drafts if d.kind == "near-miss"]
    assert near and all(not d.answerable and not d.evidence for d in near)
    # the law states fines, so no near-miss may claim it states none
    assert not any("罚款" in d.question for d in near)


def test_document_names_are_the_ones_people_use(tmp_path: Path) -> None:
    from eval.drafting import NewDocument
    from ingest.cards import Card
    from ingest.models import SourceMeta

    def doc(title: str, language: str, doc_type: str, publisher: str = "The White House") -> NewDocument:
        meta = SourceMeta(id="x", title=title, language=language, doc_type=doc_type, publisher=publisher,
                          country="US", date="2024-05-15")
        return NewDocument(meta, "", [], Card(source_id="x", title=title, language=language))

    law = doc("中华人民共和国数据安全法 (Data Security Law of the People's Republic of China), Chinese original", "zh",
              "law")
    assert chinese_name(law) == "《数据安全法》" and english_name(law) == "China's Data Security Law"
    statement = doc("Statement from NSC Spokesperson on the U.S.-PRC Talks on AI Risk and Safety", "en", "statement",
                    "The White House, National Security Council")
    assert english_name(statement) == "the May 2024 National Security Council statement"
