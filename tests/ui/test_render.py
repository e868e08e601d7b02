"""The UI's HTML rendering: escaping, citation context, marker links (no browser needed)."""

from __future__ import annotations

from pathlib import Path

from assistant.models import Answer, Citation, RetrievedPassage, Timings
from assistant.serving.jobs import Job
from assistant.serving.uploads import SavedUpload, UploadFields
from assistant.ui.render import quote_in_context, render_answer, render_job, render_passages

TEXT = ("Preamble words here. " * 30) + "The <b>rule</b> & its quote sits here. " + ("Trailing words follow. " * 30)


def _citation(marker: int = 1, quote: str = "The <b>rule</b> & its quote sits here.") -> Citation:
    start = TEXT.index(quote) if quote in TEXT else 0
    return Citation(marker=marker, source_id="src-1", title="A <i>title</i>", publisher="Pub", country="US",
                    date="2024-01-02", url="javascript:alert(1)", page=3, chunk_id="src-1:0", quote=quote,
                    start=start, end=start + len(quote))


def test_quote_is_marked_inside_escaped_context_trimmed_to_words() -> None:
    html = quote_in_context(_citation(), TEXT)
    assert "<mark>The &lt;b&gt;rule&lt;/b&gt; &amp; its quote sits here.</mark>" in html
    before, after = html.split("<mark>")[0], html.split("</mark>")[1]
    assert before.startswith("…") and after.endswith("…")
    assert 250 <= len(before) <= 310 and 250 <= len(after) <= 310
    assert "<b>" not in html


def test_quote_without_matching_text_falls_back_to_the_quote() -> None:
    assert quote_in_context(_citation(), None) == "<mark>The &lt;b&gt;rule&lt;/b&gt; &amp; its quote sits here.</mark>"
    moved = _citation().model_copy(update={"start": 0, "end": 10})
    assert quote_in_context(moved, TEXT).startswith("<mark>")


def test_answer_links_only_cited_markers_and_escapes_everything() -> None:
    answer = Answer(answer="First <script>x</script> claim. [1] Second [2]\n\nNote: more.", abstained=False,
                    citations=[_citation()], retrieved=[], generator="extractive", timings_ms=Timings(total=1234))
    html = render_answer(answer, lambda _: TEXT, "tok")
    assert '<a class="pc-marker" href="#pc-tok-1"' in html and 'href="#pc-tok-2"' not in html
    assert '<details class="pc-cite" id="pc-tok-1">' in html
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "A &lt;i&gt;title&lt;/i&gt;" in html and "p. 3" in html
    assert "javascript:" not in html  # only http(s) links to originals
    assert "\n" not in html and html.count("<p>") == 2


def test_refusal_and_passages() -> None:
    refusal = Answer(answer="I could not find <enough>.", abstained=True, citations=[], retrieved=[],
                     generator="extractive", timings_ms=Timings())
    html = render_answer(refusal, lambda _: None, "t")
    assert "pc-refusal" in html and "&lt;enough&gt;" in html
    passages = render_passages([RetrievedPassage(chunk_id="c", source_id="s", score=0.0321, page=None,
                                                 text="<img src=x onerror=alert(1)>")], {"s": "<T>"})
    assert "0.0321" in passages and "&lt;img" in passages and "&lt;T&gt;" in passages


def _job(job_id: str, state: str, *names: str) -> Job:
    uploads = [SavedUpload(name, Path("/nowhere") / job_id / name, name.split(".")[0]) for name in names]
    return Job(job_id, uploads, UploadFields(), state=state)


def _title(html: str) -> str:
    return html.split("<strong>", 1)[1].split("</strong>", 1)[0]


def test_a_queued_upload_names_the_upload_ahead_of_it_only_when_one_runs() -> None:
    queued = _job("q1", "queued", "mine.pdf")
    assert _title(render_job(queued)) == "Queued"
    assert _title(render_job(queued, running=queued)) == "Queued"
    ahead = _job("r1", "running", "annex <one>.pdf", "b.txt", "c.txt", "d.txt")
    assert _title(render_job(queued, running=ahead)) == (
        "Waiting for the upload ahead of it (annex &lt;one&gt;.pdf, b.txt and 2 more)")
    assert _title(render_job(ahead, running=ahead)) == "Ingesting"
    assert _title(render_job(_job("d1", "done", "x.md"), running=ahead)) == "Done"
    assert "another upload" not in render_job(queued)
