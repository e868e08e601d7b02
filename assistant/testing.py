"""Test doubles that ship with the package: a fake answer backend, registered like the real ones.

``import assistant.testing`` registers the ``fake`` generator in the registry of
:mod:`assistant.generators` (``@register("fake")``, as every backend does), so
``AnswerRequest(generator="fake")`` or ``POLICYCHAT_GENERATOR=fake`` selects it in
that process. It lives outside the generators package on purpose: the
registry's discovery never imports it, so a server never offers it.

:class:`FakeGenerator` needs no model and no network and always writes the same
draft for the same passages: the first quotable sentence of the top passage (a
heading is skipped), cited to its span of the chunk. The draft then goes through verification like any other, so a
test sees the whole chain (retrieve → gate → generate → verify) with an answer it
can predict.
"""

from __future__ import annotations

from collections.abc import Iterator

from assistant.core.evidence import content_tokens
from assistant.generators import GenerationInput, register
from assistant.models import Draft, DraftSentence, Passage
from ingest.roles import NOT_QUOTED
from ingest.sentences import split_sentences
from policychat.settings import Settings

FAKE = "fake"
"""The registered name of :class:`FakeGenerator`."""
MIN_CONTENT_WORDS = 3
"""Without stored sentence roles, a quoted sentence has at least this many content words (headings are skipped)."""


def first_sentence(passage: Passage) -> tuple[int, int]:
    """The span (in the chunk's text) of the passage's first sentence that an answer may quote.

    That is the first sentence whose stored role is quotable (body text or a list item,
    see :data:`ingest.roles.NOT_QUOTED`), or, for a chunk stored without roles, the first
    with :data:`MIN_CONTENT_WORDS` content words; else the first sentence, else the whole chunk.
    """
    chunk = passage.chunk
    if chunk.sentences:
        quotable = [(start, end) for start, end, role in chunk.sentences if role not in NOT_QUOTED]
    else:
        quotable = [(start, end) for start, end in split_sentences(chunk.text)
                    if len(content_tokens(chunk.text[start:end])) >= MIN_CONTENT_WORDS]
    return (quotable or chunk.sentence_spans() or [(0, len(chunk.text))])[0]


class FakeGenerator:
    """A deterministic backend: quotes the first sentence of each of the top passages, with its citation.

    Attributes:
        name: ``fake``.
        passages: how many of the best passages are quoted (one sentence each).
        calls: the input of every :meth:`draft` call, oldest first (tests check what the chain passed).
    """

    name = FAKE

    def __init__(self, passages: int = 1) -> None:
        """Quote the first sentence of each of the ``passages`` best passages."""
        self.passages = passages
        self.calls: list[GenerationInput] = []

    def draft(self, data: GenerationInput) -> Draft:
        """The draft for ``data``: no sentence at all when there are no passages."""
        self.calls.append(data)
        sentences = []
        for passage in data.passages[: self.passages]:
            start, end = first_sentence(passage)
            sentences.append(DraftSentence(text=passage.chunk.text[start:end], chunk_id=passage.chunk_id,
                                           start=start, end=end))
        return Draft(sentences=sentences, generator=self.name)

    def stream(self, data: GenerationInput) -> Iterator[str]:
        """Yield the draft one sentence at a time (each followed by a space)."""
        for sentence in self.draft(data).sentences:
            yield f"{sentence.text} "


@register(FAKE)
def _factory(settings: Settings) -> FakeGenerator:
    return FakeGenerator()
