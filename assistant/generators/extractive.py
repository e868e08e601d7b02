"""The default backend: an answer composed from the passages' own sentences (no LLM).

:mod:`assistant.core.compose` answers each part of the question from the
selector's ranking: the asked-for fact first when the top-ranked sentence holds it
(a date, a number, a name, "No:" with the deciding clause, the enumerated items, a
summary from the document's card), then the sentence and at most two supporting
quotes; a part the library does not support is said to be unsupported.
Deterministic and fast; every content word is copied from a retrieved chunk and cited.
"""

from __future__ import annotations

from collections.abc import Iterator

from assistant.core.compose import compose
from assistant.generators import GenerationInput, register
from assistant.models import Draft
from policychat.settings import Settings


class ExtractiveGenerator:
    """Answers with the passages' own words, the direct answer first."""

    name = "extractive"

    def draft(self, data: GenerationInput) -> Draft:
        """Compose the answer part by part (see :func:`assistant.core.compose.compose`)."""
        return compose(data)

    def stream(self, data: GenerationInput) -> Iterator[str]:
        """Yield the draft one sentence at a time, the lead first."""
        for sentence in self.draft(data).sentences:
            yield f"{sentence.prefix} {sentence.text} ".lstrip()


@register("extractive")
def _factory(settings: Settings) -> ExtractiveGenerator:
    return ExtractiveGenerator()
