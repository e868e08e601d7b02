"""Training the answer selector: examples from the dev split and from the library's own structure, one command.

``policychat eval train-selector`` (:func:`train_selector`) runs every training
question through the real analyze and retrieve stages on the library in
``POLICYCHAT_DATA_DIR`` (the shared corpus), turns every candidate sentence into
its feature row (:func:`assistant.core.select.featurize`) and labels it from the
item's key facts and evidence. The questions are

* the gold set's **dev** split and the extra dev questions of ``eval/data/dev_extra.jsonl`` (never the
  test split, never the held-out or unseen sets);
* questions drafted from the library's documents by :mod:`eval.drafting` (card
  provisions, figures, definitions, dates, relations, summaries, and near-miss
  variants whose asked fact the document does not state).

A candidate model is fitted (its regularisation chosen by cross-validation with
documents held out); a part model is fitted on the cross-validated candidate
scores to tell answerable parts from those the library does not answer; an
isotonic curve maps its cross-validated score to the observed rate at which the
answer was right (the reported confidence); and the answer threshold is the part
score below which at most ``MAX_FALSE_REFUSALS`` of the dev split's answerable
questions fall. Everything is seeded and deterministic: the same library gives
the same model file byte for byte. The cross-validation figures go
into the model's ``info``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from assistant.core.features import FEATURES, PART_FEATURES, part_summary
from assistant.core.selector import MODEL_FILE, LinearModel, SelectorModel
from assistant.core.turn import Turn
from assistant.models import AnswerRequest
from assistant.service import AnswerService
from eval.dataset import DEFAULT_DATASET, EXTRA_DEV, GoldItem, load_gold

SEED = 20261207
FOLDS = 5
PENALTIES = (3.0, 10.0, 30.0, 100.0)
"""L2 penalties tried for the candidate model (the one with the best cross-validated top-1 is kept)."""
PART_CS = (0.001, 0.003, 0.01, 0.03)
"""Regularisation tried for the part model (few examples, one per part, and many correlated features): the one
that refuses most unanswerable dev questions at the threshold, cross-validated, is kept."""
MAX_FALSE_REFUSALS = 0.10
CALIBRATION_POINTS = 40
DRAFTS_PER_KIND = 8
"""Drafted questions per kind and document (every kind the drafter writes, up to this many)."""
EVIDENCE_OVERLAP = 30
"""Characters (whitespace removed) a candidate must share with a gold evidence quote to count as quoting it."""


@dataclass
class Example:
    """One part of one training question: its candidates' feature rows and labels."""

    item_id: str
    group: str
    """The document the question is about: cross-validation holds documents out, not questions."""
    origin: str
    """"dev" (gold dev split) or "drafted" (from the library's structure)."""
    answerable: bool
    rows: np.ndarray
    labels: np.ndarray
    context: np.ndarray | None = None
    """The part's features measured on the passages as a whole."""
    texts: list[str] | None = None
    """The candidates' sentences (for inspecting the training data; not used to fit)."""
    question: str = ""


def _compact(text: str) -> str:
    return "".join(text.split()).lower()


def label_candidates(texts: list[str], sources: list[str], item: GoldItem, parts: int) -> np.ndarray:
    """1 for a candidate that answers the item, else 0.

    A candidate answers when it holds every key-fact group; or, for a list with three or more
    groups, at least half of them from a gold source; or some key fact while quoting a gold
    evidence passage. In a question of several parts, a candidate of a gold source holding any
    key fact answers its part. Unanswerable items have no answering candidate.
    """
    labels = np.zeros(len(texts))
    if not item.answerable:
        return labels
    groups = item.must_include
    quotes = [_compact(e.quote) for e in item.evidence]
    gold = set(item.gold_sources)
    for i, (text, source) in enumerate(zip(texts, sources, strict=True)):
        compact = _compact(text)
        hits = sum(any(_compact(alt) in compact for alt in group) for group in groups)
        quoting = any(
            len(q) >= EVIDENCE_OVERLAP and (q[:EVIDENCE_OVERLAP] in compact or compact[:EVIDENCE_OVERLAP] in q)
            for q in quotes
        )
        if parts > 1:
            labels[i] = float(hits >= 1 and source in gold)
        elif hits == len(groups) or (len(groups) >= 3 and hits * 2 >= len(groups) and source in gold):
            labels[i] = 1.0
        elif hits >= 1 and quoting:
            labels[i] = 1.0
    return labels


def drafted_items(service: AnswerService) -> list[GoldItem]:
    """Questions drafted from every document of the library (its card, chunks and relations)."""
    from eval.drafting import PER_KIND, NewDocument, doc_name, draft_document

    snap = service.retriever.snapshot()
    docs = []
    for source_id in sorted(snap.metas):
        chunks = sorted((c for c in snap.chunks.values() if c.source_id == source_id), key=lambda c: c.position)
        if chunks:
            text = service.library.catalog.source(source_id).text
            docs.append(NewDocument(snap.metas[source_id], text, chunks, service.knowledge.card(snap, source_id)))
    relations = service.knowledge.relations(snap)
    names = {d.meta.id: doc_name(d.meta) for d in docs}
    caps = {kind: DRAFTS_PER_KIND for kind in PER_KIND}
    return [draft.item for doc in docs for draft in draft_document(doc, relations, names, "syn", caps)]


def examples_of(service: AnswerService, item: GoldItem, origin: str) -> list[Example]:
    """The item's question analysed and retrieved as in an answer; one :class:`Example` per part."""
    from assistant.core.select import featurize
    from ingest.sentence_vectors import sentence_vectors_for

    turn = service.read.invoke(
        Turn(request=AnswerRequest(question=item.question, history=item.history), generator="extractive")
    )
    assert turn.analysis is not None
    snap = service.retriever.snapshot()
    pool, measured = featurize(
        turn.analysis,
        turn.passages,
        snap.idf,
        service.library.embeddings,
        bilingual=service.knowledge.bilingual(snap),
        sentence_vectors=partial(sentence_vectors_for, service.library.sentence_vectors, service.library.embeddings),
    )
    if not pool:
        return []
    group = (
        item.gold_sources[0] if item.gold_sources else (turn.passages[0].chunk.source_id if turn.passages else "none")
    )
    texts, sources = [c.text for c in pool], [c.source_id for c in pool]
    labels = label_candidates(texts, sources, item, len(measured))
    return [
        Example(item.id, group, origin, item.answerable, part.rows, labels, part.context, texts, part.part.text)
        for part in measured
    ]


def _fit(rows: np.ndarray, labels: np.ndarray, c: float) -> LinearModel:
    from sklearn.linear_model import LogisticRegression

    mean = rows.mean(axis=0)
    scale = rows.std(axis=0)
    scale[scale < 1e-9] = 1.0
    fitted = LogisticRegression(C=c, max_iter=2000, random_state=SEED).fit((rows - mean) / scale, labels)
    return LinearModel((), mean, scale, fitted.coef_[0], float(fitted.intercept_[0]))


def _folds(groups: list[str]) -> list[int]:
    """A fold per example: documents dealt round-robin in sorted order (deterministic), so a document is in one fold."""
    fold_of = {g: i % FOLDS for i, g in enumerate(sorted(set(groups)))}
    return [fold_of[g] for g in groups]


def fit_listwise(examples: list[Example], penalty: float) -> LinearModel:
    """The conditional logit over candidates.

    Maximises, per part with an answering candidate, the softmax share of its answering candidates (L2
    ``penalty`` on the standardised weights; L-BFGS from zero: deterministic).
    """
    from scipy.optimize import minimize

    parts = [e for e in examples if e.labels.any()]
    every = np.vstack([e.rows for e in parts])
    mean = every.mean(axis=0)
    scale = every.std(axis=0)
    scale[scale < 1e-9] = 1.0
    rows = [(e.rows - mean) / scale for e in parts]
    answers = [e.labels > 0 for e in parts]

    def loss(weights: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = penalty * float(weights @ weights), 2 * penalty * weights
        for x, positive in zip(rows, answers, strict=True):
            z = x @ weights
            shares = np.exp(z - z.max())
            shares /= shares.sum()
            total -= math.log(float(shares[positive].sum()) + 1e-12)
            target = np.where(positive, shares, 0.0) / shares[positive].sum()
            grad -= x.T @ (target - shares)
        return total, grad

    weights = minimize(loss, np.zeros(every.shape[1]), jac=True, method="L-BFGS-B").x
    return LinearModel((), mean, scale, weights, 0.0)


def cross_validated_scores(examples: list[Example], penalty: float) -> list[np.ndarray]:
    """Each example's candidate scores from a candidate model trained without its document."""
    folds = _folds([e.group for e in examples])
    scores: list[np.ndarray] = [np.zeros(0)] * len(examples)
    for fold in range(FOLDS):
        model = fit_listwise([e for e, f in zip(examples, folds, strict=True) if f != fold], penalty)
        for i, (e, f) in enumerate(zip(examples, folds, strict=True)):
            if f == fold:
                scores[i] = model.raw(e.rows)
    return scores


def answered_right(example: Example, scores: np.ndarray) -> float:
    """1 when answering the part with its best-scored candidate is right (an answerable part, an answering sentence)."""
    return float(example.answerable and example.labels[int(np.argmax(scores))] > 0)


def _part_rows(examples: list[Example], scores: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Each part's :data:`PART_FEATURES` row and whether it is answerable (the part model's label)."""
    rows = np.vstack([part_summary(e.rows, s, e.context) for e, s in zip(examples, scores, strict=True)])
    return rows, np.array([float(e.answerable) for e in examples])


def cross_validated_parts(examples: list[Example], scores: list[np.ndarray], c: float) -> np.ndarray:
    """Each part's raw score, from a part model trained without its document.

    The score is the part model's probability that the part is answerable.
    """
    rows, labels = _part_rows(examples, scores)
    folds = np.array(_folds([e.group for e in examples]))
    raw = np.zeros(len(examples))
    for fold in range(FOLDS):
        model = _fit(rows[folds != fold], labels[folds != fold], c)
        raw[folds == fold] = model.predict(rows[folds == fold])
    return raw


def _top1(examples: list[Example], scores: list[np.ndarray]) -> float:
    """Share of answerable parts with an answering candidate whose top-scored candidate answers."""
    hits = [answered_right(e, s) for e, s in zip(examples, scores, strict=True) if e.answerable and e.labels.any()]
    return float(np.mean(hits)) if hits else 0.0


def _auc(labels: np.ndarray, scores: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores)) if 0 < labels.sum() < len(labels) else 0.5


def _calibration(raw: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An isotonic map from the part model's raw probability to the observed rate of right answers."""
    from sklearn.isotonic import IsotonicRegression

    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(raw, right)
    xs = np.unique(np.quantile(raw, np.linspace(0, 1, CALIBRATION_POINTS)))
    return xs, iso.predict(xs)


def _item_confidence(examples: list[Example], confidence: np.ndarray, origin: str) -> dict[str, tuple[bool, float]]:
    """Per item of ``origin``: whether it is answerable, and its best part's score (it abstains below the threshold)."""
    found: dict[str, tuple[bool, float]] = {}
    for e, c in zip(examples, confidence, strict=True):
        if e.origin == origin:
            found[e.item_id] = (e.answerable, max(found.get(e.item_id, (e.answerable, 0.0))[1], float(c)))
    return found


def _threshold(items: dict[str, tuple[bool, float]]) -> float:
    """The confidence below which at most 5 % of the answerable items fall."""
    confidences = sorted(c for answerable, c in items.values() if answerable)
    if not confidences:
        return 0.0
    return confidences[math.floor(MAX_FALSE_REFUSALS * len(confidences))]


def _verdicts(items: dict[str, tuple[bool, float]], threshold: float) -> dict[str, float]:
    answerable = [c < threshold for a, c in items.values() if a]
    unanswerable = [c < threshold for a, c in items.values() if not a]
    return {
        "false_refusal": round(float(np.mean(answerable)), 4) if answerable else 0.0,
        "refusal_accuracy": round(float(np.mean(unanswerable)), 4) if unanswerable else 0.0,
    }


def _reliability(confidence: np.ndarray, right: np.ndarray, buckets: int = 5) -> list[dict[str, float]]:
    """Predicted confidence against the observed rate of right answers, per confidence bucket (CV)."""
    out = []
    edges = np.linspace(0, 1, buckets + 1)
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        inside = (confidence >= low) & ((confidence < high) | (high == 1.0))
        if inside.any():
            out.append(
                {
                    "from": round(float(low), 2),
                    "to": round(float(high), 2),
                    "parts": int(inside.sum()),
                    "predicted": round(float(confidence[inside].mean()), 3),
                    "observed": round(float(right[inside].mean()), 3),
                }
            )
    return out


def training_items(service: AnswerService, dataset: Path = DEFAULT_DATASET) -> list[tuple[GoldItem, str]]:
    """What the selector learns from; never the test split, never held-out documents.

    ``(item, "dev")`` for the dataset's dev split (and, for the gold set, the extra dev questions), then
    ``(item, "drafted")`` for questions drafted from the library's own structure.
    """
    items = [(item, "dev") for item in load_gold(dataset) if item.split == "dev"]
    if dataset == DEFAULT_DATASET and EXTRA_DEV.is_file():
        items += [(item, "dev") for item in load_gold(EXTRA_DEV) if item.split == "dev"]
    return items + [(item, "drafted") for item in drafted_items(service)]


def train_selector(
    service: AnswerService,
    dataset: Path = DEFAULT_DATASET,
    out: Path = MODEL_FILE,
    progress: Callable[[int, int], None] | None = None,
) -> SelectorModel:
    """Train the selector on the dev split and drafted questions; write it to ``out``; return it.

    Args:
        service: an answer service over the library to train on (the shared corpus).
        dataset: the gold set (only its dev split is read).
        out: where the model JSON goes.
        progress: called with (done, total) as questions are processed.
    """
    items = training_items(service, dataset)
    examples: list[Example] = []
    for done, (item, origin) in enumerate(items, start=1):
        examples += examples_of(service, item, origin)
        if progress is not None:
            progress(done, len(items))
    labels = np.concatenate([e.labels for e in examples])
    trials = {c: cross_validated_scores(examples, c) for c in PENALTIES}
    best_c = max(PENALTIES, key=lambda c: (round(_top1(examples, trials[c]), 4), c))
    scores = trials[best_c]
    part_rows, answerable = _part_rows(examples, scores)
    right = np.array([answered_right(e, s) for e, s in zip(examples, scores, strict=True)])
    part_trials = {c: cross_validated_parts(examples, scores, c) for c in PART_CS}

    def refusals(c: float) -> tuple[float, float]:
        items = _item_confidence(examples, part_trials[c], "dev")
        return _verdicts(items, _threshold(items))["refusal_accuracy"], _auc(answerable, part_trials[c])

    part_c = max(PART_CS, key=refusals)
    raw = part_trials[part_c]
    xs, ys = _calibration(raw, right)
    confidence = np.interp(raw, xs, ys)
    dev_items = _item_confidence(examples, raw, "dev")
    threshold = _threshold(dev_items)
    candidate = fit_listwise(examples, best_c)
    part = _fit(part_rows, answerable, part_c)
    dev = [i for i, e in enumerate(examples) if e.origin == "dev"]
    info = {
        "trained_on": {
            "dev_items": sum(1 for _, o in items if o == "dev"),
            "drafted_items": sum(1 for _, o in items if o == "drafted"),
            "parts": len(examples),
            "candidates": int(len(labels)),
            "positives": int(labels.sum()),
            "documents": len({e.group for e in examples}),
            "library_sources": len(service.retriever.snapshot().metas),
        },
        "regularisation": {"candidate_l2_penalty": best_c, "part_c": part_c},
        "cross_validation": {
            "folds": FOLDS,
            "held_out": "documents",
            "candidate_auc": round(_auc(labels, np.concatenate(scores)), 4),
            "top1_answers": round(_top1(examples, scores), 4),
            "top1_answers_dev": round(_top1([examples[i] for i in dev], [scores[i] for i in dev]), 4),
            "top1_by_penalty": {str(c): round(_top1(examples, trials[c]), 4) for c in PENALTIES},
            "part_auc_answerable": round(_auc(answerable, raw), 4),
            "dev_refusal_by_part_c": {str(c): round(refusals(c)[0], 4) for c in PART_CS},
            "part_auc_right": round(_auc(right, raw), 4),
            "dev_at_threshold": _verdicts(dev_items, threshold),
            "drafted_at_threshold": _verdicts(_item_confidence(examples, raw, "drafted"), threshold),
            "reliability": _reliability(confidence, right),
        },
        "seed": SEED,
    }
    model = SelectorModel(
        LinearModel(FEATURES, candidate.mean, candidate.scale, candidate.coef, candidate.intercept),
        LinearModel(PART_FEATURES, part.mean, part.scale, part.coef, part.intercept),
        xs,
        ys,
        threshold,
        info,
    )
    out.write_text(json.dumps(model.to_json(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return model
