"""Browser-side behaviour of the thread panel and citations: page images, "Copy with sources", and their CSS.

Chat messages are sanitised by Gradio (no ``data-*`` attributes, no scripts), so
answers carry plain links: ``a.pc-page-link`` (a cited PDF page, loaded into the
footnote when it opens) and ``a.pc-copy`` (the answer's Markdown export, copied
to the clipboard instead of followed). The page's ``X-Highlight`` header decides
the note under the image; the outcome is also set as ``data-highlight`` on the
``.pc-page`` box.
"""

from __future__ import annotations

SCRIPT = """
<script>
(function () {
  var NOTES = {
    found: "The quoted passage is highlighted on the page.",
    partial: "The quote continues on the next page; its first part is highlighted.",
    none: "The quote could not be located on this page, so the page is shown without a highlight."
  };
  function keyed() {  // the API key field's value, for servers that protect reads (POLICYCHAT_API_KEY_READS)
    var field = document.querySelector("#pc-api-key input");
    return field && field.value ? {headers: {"X-API-Key": field.value}} : {};
  }
  function loadPage(box) {
    if (box.getAttribute("data-highlight")) { return; }
    var link = box.querySelector("a.pc-page-link"), img = box.querySelector("img.pc-page-img");
    var note = box.querySelector(".pc-page-note");
    if (!link || !img) { return; }
    box.setAttribute("data-highlight", "loading");
    note.textContent = "Loading the page…";
    fetch(link.getAttribute("href"), keyed()).then(function (response) {
      if (!response.ok) {
        return response.json().then(function (body) { throw new Error(body.detail || ("HTTP " + response.status)); });
      }
      var state = response.headers.get("X-Highlight") || "none";
      return response.blob().then(function (blob) {
        img.onload = function () { box.setAttribute("data-highlight", state); };
        img.src = URL.createObjectURL(blob);
        img.classList.add("pc-page-shown");
        note.textContent = NOTES[state] || NOTES.none;
        note.classList.toggle("pc-page-nohl", state === "none");
      });
    }).catch(function (error) {
      box.setAttribute("data-highlight", "error");
      note.textContent = "The page image is unavailable: " + error.message;
    });
  }
  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (!details || !details.matches || !details.matches("details.pc-cite") || !details.open) { return; }
    var box = details.querySelector(".pc-page");
    if (box) { loadPage(box); }
  }, true);

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) { return navigator.clipboard.writeText(text); }
    var area = document.createElement("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    document.execCommand("copy");
    area.remove();
    return Promise.resolve();
  }
  document.addEventListener("click", function (event) {
    var link = event.target && event.target.closest ? event.target.closest("a.pc-copy") : null;
    if (!link) { return; }
    event.preventDefault();
    event.stopPropagation();
    fetch(link.getAttribute("href"), keyed()).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.text();
    }).then(copyText).then(function () {
      link.textContent = "Copied with sources ✓";
      link.classList.add("pc-copied");
    }).catch(function (error) { link.textContent = "Copy failed (" + error.message + ")"; });
  }, true);
})();
</script>
"""

CSS = """
.gradio-container { max-width: 1560px !important; }
#pc-thread-panel { gap: 8px !important; }
.pc-panel-title { font-size: .78rem; text-transform: uppercase; letter-spacing: .08em; color: #6b7386;
  font-weight: 650; }
#pc-threads { max-height: 46vh; overflow-y: auto; }
#pc-threads .wrap { flex-direction: column; gap: 4px !important; }
#pc-threads label { width: 100%; font-size: .86rem; }
.pc-export { font-size: .86rem; }
.pc-export-title { color: #6b7386; }
.pc-confirm-text { font-size: .9rem; color: #7a1d1d; }
.pc-stale { font-size: .88rem; }
.pc-page { margin: 6px 0; }
.pc-page-note { font-size: .8rem; color: #6b7386; }
.pc-page-note.pc-page-nohl { color: #8a4b00; font-weight: 600; }
img.pc-page-img { display: none; width: 100% !important; max-width: 100% !important; height: auto !important;
  max-height: none !important; object-fit: contain;
  margin-top: 6px; border: 1px solid #d5d9e6; border-radius: 6px; }
img.pc-page-img.pc-page-shown { display: block; }
a.pc-copy { color: #4953a8 !important; font-weight: 600; }
a.pc-copy.pc-copied { color: #1f7a3a !important; }
.pc-feedback-title { font-weight: 650; }
.pc-feedback-status { font-size: .88rem; color: #1f5a33; }
.pc-source-card .pc-meta { font-size: .85rem; }
ul.pc-ingest-errors { margin: 0; padding-left: 1.1em; font-size: .86rem; }
"""
