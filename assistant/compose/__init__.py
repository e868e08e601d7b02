"""Extractive answer composition: candidates → question-aware lead → support (see :mod:`assistant.compose.answer`)."""

from assistant.compose.answer import compose, not_stated_message
from assistant.compose.candidates import Candidate, candidate_sentences

__all__ = ["Candidate", "candidate_sentences", "compose", "not_stated_message"]
