"""Rendering a streaming answer: verified ticks, unverified tokens, the footer's generator and model (no browser)."""

from __future__ import annotations

from assistant.models import Answer, AnswerPart, Citation, DroppedSentence, Timings
from assistant.ui.progress import FALLBACK_NOTICE, StreamProgress
from assistant.ui.render import CHECK, answer_check, render_answer, render_partial


def _citation(marker: int) -> Citation:
    return Citation(marker=marker, source_id="s", title="T", publisher="P", country="US", date="2024-01-01", url=None,
                    page=None, chunk_id="s:0", quote="q", start=0, end=1)


def test_each_cited_sentence_of_a_confident_part_gets_one_tick_and_the_footer_names_generator_and_model() -> None:
    text = "One claim. [1] Two sources. [1] [2]"
    answer = Answer(answer=text + "\n\nNote: the library gave no passage.",
                    abstained=False, citations=[_citation(1), _citation(2)], retrieved=[],
                    parts=[AnswerPart(question="q", kind="factoid", confidence=0.9, supported=True, text=text)],
                    generator="extractive (fallback from openai)", timings_ms=Timings(total=2500), model="smollm2",
                    dropped=[DroppedSentence(text="The moon <b>signed</b> it.", reason="not supported")],
                    fallback_reason="verification withheld 2 of the model's 3 sentences")
    html = render_answer(answer, lambda _: None, "t")
    body = html.split('<div class="pc-sources">')[0]
    tick = answer_check(0.9)
    assert body.count(tick) == 2 and CHECK not in body
    assert '[2]</a>' + tick in body and '[1]</a>' + tick in body
    assert "Note: the library gave no passage." in body and "high confidence" in body
    # the same sentences with low confidence, or with no part to say how sure they are: verified, not ticked
    unsure = answer.model_copy(update={"parts": [answer.parts[0].model_copy(update={"confidence": 0.4})]})
    for shown in (unsure, answer.model_copy(update={"parts": []})):
        body = render_answer(shown, lambda _: None, "t").split('<div class="pc-sources">')[0]
        assert "✓" not in body and '[2]</a>' in body
    # an LLM answer: parts with the selector's confidence but no text; its own sentences are the body
    drafted_whole = answer.model_copy(update={"parts": [answer.parts[0].model_copy(update={"text": ""})]})
    body = render_answer(drafted_whole, lambda _: None, "t").split('<div class="pc-sources">')[0]
    assert "One claim." in body and body.count(tick) == 2
    drafted_unsure = drafted_whole.model_copy(update={"parts": [drafted_whole.parts[0].model_copy(
        update={"confidence": 0.4})]})
    body = render_answer(drafted_unsure, lambda _: None, "t").split('<div class="pc-sources">')[0]
    assert "One claim." in body and "✓" not in body
    footer = html.split('class="pc-timing">')[1]
    assert footer.startswith("extractive (fallback from openai) · ")
    assert "smollm2" in footer and "2.5 s" in footer and "1 model sentence withheld" in footer
    assert "The moon &lt;b&gt;signed&lt;/b&gt; it. — not supported" in footer and "<b>" not in footer
    assert "fallback: verification withheld 2" in footer


def test_partial_answer_shows_ticked_sentences_then_greyed_tokens() -> None:
    html = render_partial([("Verified claim. [1]", True), ("Note of ours.", False)], "The model <i>writes", "Hi")
    assert html.count(CHECK) == 1 and "Verified claim. [1]" + CHECK in html
    assert '<span class="pc-draft" title="Not verified yet">The model &lt;i&gt;writes</span>' in html
    assert '<div class="pc-stream-note">Hi</div>' in html


def test_progress_follows_tokens_sentences_withholdings_and_resets() -> None:
    progress = StreamProgress()
    assert progress.update({"event": "token", "text": "Providers must"})
    assert not progress.update({"event": "token", "text": " label."})  # too soon after the last redraw
    assert progress.pending == "Providers must label."
    assert progress.update({"event": "sentence", "text": "Providers must label. [1]", "verified": True,
                            "pending": " The"})
    assert progress.sentences == [("Providers must label. [1]", True)] and progress.pending == " The"
    assert progress.update({"event": "withheld", "reason": "not supported", "pending": ""})
    assert progress.pending == "" and "pc-draft" not in progress.render()
    assert progress.update({"event": "reset", "reason": "lost"})
    assert progress.sentences == [] and progress.notice == FALLBACK_NOTICE and "pc-stream-note" in progress.render()
    assert not progress.update({"event": "answer", "data": {}})
