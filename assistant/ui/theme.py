"""Look and behaviour of the UI: theme, CSS, and the small script that opens a footnote from its marker."""

from __future__ import annotations

from typing import Any

SANS = ["Inter", "ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Noto Sans", "Noto Sans CJK SC",
        "Helvetica Neue", "Arial", "sans-serif"]
MONO = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]


def make_theme() -> Any:
    """A calm Soft theme with local fonts only (nothing fetched from a font CDN)."""
    import gradio as gr

    return gr.themes.Soft(primary_hue="indigo", secondary_hue="slate", neutral_hue="slate", font=SANS,
                          font_mono=MONO, radius_size="md")


CSS = """
.gradio-container { max-width: 1280px !important; margin: 0 auto !important; }
body, .gradio-container { font-size: 15.5px; line-height: 1.6; color: #1f2430; }
#pc-header { display: flex; align-items: baseline; gap: 14px; padding: 10px 4px 2px; }
#pc-header h1 { font-size: 2rem; font-weight: 750; letter-spacing: -0.02em; margin: 0; color: #27306b; }
#pc-header .pc-tagline { color: #5b6375; font-size: 1rem; }
#pc-header a { margin-left: auto; font-size: .9rem; color: #4953a8; text-decoration: none; }
.pc-notice { background: #fff8e6; border: 1px solid #f1d48a; border-radius: 10px; padding: 10px 14px; color: #5c4400; }
.pc-question { white-space: normal; }
#pc-examples { gap: 6px !important; }
.pc-examples-title { font-size: .78rem; text-transform: uppercase; letter-spacing: .08em; color: #6b7386;
  font-weight: 650; }
button.pc-example { justify-content: flex-start !important; text-align: left !important; white-space: normal !important;
  font-weight: 450 !important; }
.pc-answer p { margin: 0 0 .6em; }
.pc-answer { max-width: 78ch; }
.pc-pending, .pc-streaming { color: #4a5160; }
.pc-pending::after { content: " ⋯"; animation: pc-blink 1s infinite; }
@keyframes pc-blink { 50% { opacity: .2; } }
.pc-draft { color: #9aa0b1; font-style: italic; }
.pc-confidence { display: inline-block; font-size: .72em; border-radius: 8px; padding: 0 6px; margin: 0 0 .6em; }
.pc-confidence-high { background: #e3f4ea; color: #1c7c54; }
.pc-confidence-medium { background: #fff3d6; color: #7a5a00; }
.pc-confidence-low { background: #f6e3df; color: #8a3b22; }
.pc-part-unsupported { color: #6b6b6b; font-style: italic; }
.pc-check { color: #1c7c54; font-size: .72em; font-weight: 700; margin-left: 2px; vertical-align: 2px; }
.pc-stream-note { font-size: .8rem; color: #8a5a00; margin-bottom: .3em; }
.pc-withheld, .pc-fallback { cursor: help; }
a.pc-marker { display: inline-block; font-size: .78em; font-weight: 650; line-height: 1; padding: 2px 5px;
  margin: 0 1px; border-radius: 6px; background: #e8eaff; color: #303a9a !important; text-decoration: none !important;
  vertical-align: 2px; cursor: pointer; }
a.pc-marker:hover { background: #cfd4ff; }
.pc-sources { margin-top: .9em; border-top: 1px solid #e3e6ef; padding-top: .6em; }
.pc-sources-title { font-size: .78rem; text-transform: uppercase; letter-spacing: .08em; color: #6b7386;
  font-weight: 650; margin-bottom: .35em; }
details.pc-cite { border: 1px solid #e3e6ef; border-radius: 8px; padding: 6px 10px; margin: 6px 0; background: #fbfcff;
  transition: box-shadow .3s; }
details.pc-cite[open] { background: #ffffff; }
details.pc-cite.pc-flash { box-shadow: 0 0 0 3px #aab2ff; }
details.pc-cite summary { cursor: pointer; font-size: .92rem; }
.pc-num { font-weight: 700; color: #303a9a; }
.pc-title { font-weight: 600; }
.pc-meta { color: #6b7386; }
blockquote.pc-context { margin: 8px 0 4px; padding: 8px 12px; border-left: 3px solid #aab2ff; background: #f6f7fb;
  font-size: .9rem; line-height: 1.55; color: #3a4150; }
blockquote.pc-context mark { background: #fff0a8; color: #1f2430; padding: 0 2px; border-radius: 3px; }
.pc-source-id { font-size: .78rem; color: #8a91a3; font-family: ui-monospace, monospace; }
.pc-source-id a { margin-left: 8px; }
.pc-timing { margin-top: .4em; font-size: .75rem; color: #9aa0b1; }
.pc-refusal { border: 1px solid #f0b7a4; background: #fff4f0; border-radius: 10px; padding: 10px 14px; color: #6d2a14; }
.pc-refusal-title { font-weight: 700; margin-bottom: .3em; }
.pc-error { border: 1px solid #e8a3a3; background: #fff1f1; border-radius: 10px; padding: 10px 14px; color: #7a1d1d; }
ol.pc-passages { list-style: none; margin: 0; padding: 0; max-height: 640px; overflow-y: auto; }
li.pc-passage { border-bottom: 1px solid #eceef4; padding: 8px 2px; }
.pc-passage-head { display: flex; gap: 8px; align-items: baseline; font-size: .85rem; }
.pc-rank { color: #8a91a3; font-weight: 650; min-width: 1.2em; }
.pc-passage-title { font-weight: 600; flex: 1; }
.pc-score { font-family: ui-monospace, monospace; font-size: .78rem; color: #4953a8; background: #eef0ff;
  border-radius: 5px; padding: 1px 6px; }
.pc-passage-text { font-size: .84rem; color: #4a5160; margin-top: 3px; }
.pc-muted { color: #8a91a3; font-size: .9rem; }
ul.pc-upload-result { margin: 0; padding-left: 1.1em; }
.pc-job { border: 1px solid #e3e6ee; border-radius: 10px; padding: 8px 12px; margin-bottom: 8px; }
ul.pc-job-files { margin: 4px 0; padding-left: 1.1em; }
.pc-job-files progress { width: 160px; vertical-align: middle; accent-color: #4f5bd5; }
.pc-bad { color: #8a1f1f; }
"""

HEAD = """
<script>
document.addEventListener("click", function (event) {
  var link = event.target && event.target.closest ? event.target.closest("a.pc-marker") : null;
  if (!link) { return; }
  var note = document.getElementById((link.getAttribute("href") || "").slice(1));
  if (!note) { return; }
  event.preventDefault();
  event.stopPropagation();
  note.open = true;
  note.scrollIntoView({behavior: "smooth", block: "nearest"});
  note.classList.add("pc-flash");
  setTimeout(function () { note.classList.remove("pc-flash"); }, 1200);
}, true);
</script>
"""
