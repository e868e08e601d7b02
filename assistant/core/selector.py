"""The learned selector: which candidate sentence answers a part, and how confident the answer is.

Two small logistic models, trained by ``policychat eval train-selector``
(:mod:`eval.selector_training`) and stored in ``selector_model.json`` beside this
module:

* the **candidate model** scores every candidate sentence of a part from its
  features (:data:`assistant.core.features.FEATURES`). It is a conditional logit
  (trained listwise: which of a part's candidates answers it), so a candidate's
  softmax share among the part's candidates is the probability that it is the
  answering one. Candidates are ranked by it;
* the **part model** reads the part's best candidates (:func:`assistant.core.features.part_summary`:
  the best score, whether a candidate near the focus holds the asked type of
  fact, how much of the focus the passages cover at all, names they lack …) and
  scores how likely the library answers the part. An isotonic curve fitted on
  cross-validated scores maps that score to the part's **confidence**: the rate at
  which parts scored alike were answered right.

A part is answered when its score reaches ``threshold`` (chosen on the dev split
for at most 5 % false refusals) and refused otherwise. Nothing here is tuned by hand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from assistant.core.features import FEATURES, PART_FEATURES, part_summary
from policychat.errors import ConfigError

MODEL_FILE = Path(__file__).with_name("selector_model.json")


@dataclass(frozen=True)
class LinearModel:
    """Logistic weights over standardised features."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def raw(self, rows: np.ndarray) -> np.ndarray:
        """The linear score per row (columns in ``features`` order)."""
        if rows.size == 0:
            return np.zeros(0)
        return ((rows - self.mean) / self.scale) @ self.coef + self.intercept

    def predict(self, rows: np.ndarray) -> np.ndarray:
        """The logistic probability per row."""
        return 1.0 / (1.0 + np.exp(-np.clip(self.raw(rows), -30, 30)))

    def to_json(self) -> dict[str, Any]:
        """The weights as JSON (rounded: the file stays small and diffs stay readable)."""
        return {
            "features": list(self.features),
            "mean": [round(float(v), 8) for v in self.mean],
            "scale": [round(float(v), 8) for v in self.scale],
            "coef": [round(float(v), 8) for v in self.coef],
            "intercept": round(float(self.intercept), 8),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], expected: tuple[str, ...], source: str) -> LinearModel:
        """Read weights; ConfigError when they were trained on other features than ``expected``."""
        features = tuple(data["features"])
        if features != expected:
            raise ConfigError(f"{source}: trained on other features than this code computes; retrain it with "
                              "`policychat eval train-selector`.")
        return cls(features, np.asarray(data["mean"], dtype=np.float64), np.asarray(data["scale"], dtype=np.float64),
                   np.asarray(data["coef"], dtype=np.float64), float(data["intercept"]))


@dataclass(frozen=True)
class SelectorModel:
    """The candidate model, the part model with its calibration curve, and the answer threshold."""

    candidate: LinearModel
    part: LinearModel
    calibration_x: np.ndarray
    calibration_y: np.ndarray
    threshold: float
    info: dict[str, Any]

    def scores(self, rows: np.ndarray) -> np.ndarray:
        """The candidate model's score per candidate row (:data:`FEATURES` columns); softmax gives shares."""
        return self.candidate.raw(rows)

    def calibrate(self, raw: float) -> float:
        """The part model's raw probability as a calibrated confidence."""
        return float(np.interp(raw, self.calibration_x, self.calibration_y))

    def part_score(self, rows: np.ndarray, scores: np.ndarray, context: np.ndarray | None = None) -> float:
        """The part model's score: how likely the library answers the part (compared with ``threshold``).

        ``context``: the part's features measured on the passages as a whole.
        """
        if len(scores) == 0:
            return 0.0
        return float(self.part.predict(part_summary(rows, scores, context)[None, :])[0])

    def answers(self, part_score: float) -> bool:
        """Whether a part with this score is answered."""
        return part_score >= self.threshold

    def to_json(self) -> dict[str, Any]:
        """The model as the JSON object :func:`model_from_json` reads."""
        return {
            "candidate": self.candidate.to_json(),
            "part": self.part.to_json(),
            "calibration": {"x": [round(float(v), 6) for v in self.calibration_x],
                            "y": [round(float(v), 6) for v in self.calibration_y]},
            "threshold": round(float(self.threshold), 6),
            "info": self.info,
        }


def model_from_json(data: dict[str, Any], source: str = "selector model") -> SelectorModel:
    """Build a :class:`SelectorModel` from its JSON object; ConfigError when it does not fit this code."""
    try:
        calibration = data["calibration"]
        return SelectorModel(
            candidate=LinearModel.from_json(data["candidate"], FEATURES, source),
            part=LinearModel.from_json(data["part"], PART_FEATURES, source),
            calibration_x=np.asarray(calibration["x"], dtype=np.float64),
            calibration_y=np.asarray(calibration["y"], dtype=np.float64),
            threshold=float(data["threshold"]),
            info=dict(data.get("info", {})),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{source}: not a selector model ({type(exc).__name__}: {exc})") from exc


CONFIDENCE_LEVELS = ((0.75, "high"), (0.5, "medium"), (0.0, "low"))
"""Calibrated confidence at or above which a part reads as high / medium / low confidence."""


def confidence_label(confidence: float) -> str:
    """"high", "medium" or "low" for a part's calibrated confidence (see :data:`CONFIDENCE_LEVELS`)."""
    return next(label for floor, label in CONFIDENCE_LEVELS if confidence >= floor)


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_FILE) -> SelectorModel:
    """The selector model stored at ``path`` (read once per process)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the selector model ({exc}); retrain it with "
                          "`policychat eval train-selector`.") from exc
    return model_from_json(data, str(path))
