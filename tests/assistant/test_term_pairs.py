"""Term pairs learned from parallel texts are the same in every process (no hash-order tie-breaks)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from assistant.retrieval.crosslingual import derive_term_pairs

# Two Chinese words that occur in exactly the same articles tie for the same English tokens.
PARALLEL = [(
    "第一条 企业应当登记并备案模型。第二条 登记和备案应当在发布前完成。第三条 未登记或者未备案的，不得发布。"
    "第四条 主管部门公布名单。",
    "Article 1 Companies shall register models. Article 2 Register models before release. "
    "Article 3 Unregistered models shall not be released. Article 4 The authority publishes lists.",
)]
SCRIPT = ("import json, sys; from assistant.retrieval.crosslingual import derive_term_pairs; "
          "print(json.dumps(derive_term_pairs(json.loads(sys.argv[1]))))")


def test_tied_words_pair_the_same_way_whatever_the_hash_seed() -> None:
    here = derive_term_pairs(PARALLEL)
    assert here, "the parallel articles should give at least one pair"
    for seed in ("1", "2", "3", "4", "5", "6"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(PARALLEL)], env=env, capture_output=True,
                             text=True, check=True, timeout=120)
        # the same pairs in the same order (the order feeds the English-to-Chinese lists)
        assert list(json.loads(out.stdout).items()) == list(here.items()), f"PYTHONHASHSEED={seed}"
