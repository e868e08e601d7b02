"""Training the answer selector: one command, deterministic, and the packaged model is what it produces.

Retrains on the session's fresh ingest of the shared corpus (the library the packaged model was trained on)
and compares the result with ``assistant/core/selector_model.json``: a change to features or training
data that was not followed by ``policychat eval train-selector`` fails here.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

from assistant.core.features import FEATURES, PART_FEATURES
from assistant.core.selector import MODEL_FILE, load_model
from assistant.service import AnswerService
from eval.dataset import DEFAULT_DATASET, load_gold
from eval.selector_training import train_selector, training_items


def _close(a: Any, b: Any, path: str = "") -> list[str]:
    """Where two JSON values differ (floats within 1e-4: BLAS builds may differ in the last bits)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return [f"{path}: keys {sorted(set(a) ^ set(b))}"]
        return [d for k in a for d in _close(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: length {len(a)} != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _close(x, y, f"{path}[{i}]")]
    if isinstance(a, float) or isinstance(b, float):
        return [] if math.isclose(float(a), float(b), abs_tol=1e-4) else [f"{path}: {a} != {b}"]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def test_training_on_the_corpus_reproduces_the_packaged_model(ingested: Any, tmp_path: Path) -> None:
    service = AnswerService(ingested.settings, ingested.library)
    out = tmp_path / "selector.json"
    seen: list[tuple[int, int]] = []
    model = train_selector(service, DEFAULT_DATASET, out, progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1][0] == seen[-1][1] > 200  # dev items and drafted ones
    assert model.candidate.features == FEATURES and model.part.features == PART_FEATURES
    assert 0.0 < model.threshold < 1.0
    trained = json.loads(out.read_text(encoding="utf-8"))
    packaged = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    differences = _close(trained, packaged)
    assert not differences, f"retrain with `policychat eval train-selector`: {differences[:10]}"
    cv = model.info["cross_validation"]
    assert cv["held_out"] == "documents" and cv["top1_answers"] > 0.6 and cv["part_auc_answerable"] > 0.7
    assert math.isclose(load_model(out).threshold, model.threshold, abs_tol=1e-6)  # stored to six places


def test_training_reads_dev_and_drafted_questions_only(ingested: Any) -> None:
    items = training_items(AnswerService(ingested.settings, ingested.library))
    origins = Counter(origin for _, origin in items)
    assert origins["dev"] > 300 and origins["drafted"] > 50
    assert {item.split for item, origin in items if origin == "dev"} == {"dev"}
    test_questions = {i.question for i in load_gold(DEFAULT_DATASET) if i.split == "test"}
    assert test_questions and not test_questions & {item.question for item, _ in items}
