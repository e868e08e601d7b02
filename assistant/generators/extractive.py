"""The default backend: an answer composed from the passages' own sentences (no LLM).

:mod:`assistant.compose` analyses what the question asks for and opens with the
asked-for fact (a date, a number, a name, "Yes"/"No" with the deciding clause, a
definition, the enumerated items, a summary from the document's card), then adds
at most three supporting quotes. Deterministic and fast; every content word is
copied from a retrieved chunk and cited.
"""

from __future__ import annotations

from collections.abc import Iterator

from assistant.compose import compose
from assistant.generators import GenerationInput, register
from assistant.models import Draft
from policychat.settings import Settings


class ExtractiveGenerator:
    """Answers with the passages' own words, the direct answer first."""

    name = "extractive"

    def draft(self, data: GenerationInput) -> Draft:
        """Compose the answer for the question kind (see :func:`assistant.compose.compose`)."""
        return compose(data)

    def stream(self, data: GenerationInput) -> Iterator[str]:
        """Yield the draft one sentence at a time, the lead first."""
        for sentence in self.draft(data).sentences:
            yield f"{sentence.prefix} {sentence.text} ".lstrip()


@register("extractive")
def _factory(settings: Settings) -> ExtractiveGenerator:
    return ExtractiveGenerator()
