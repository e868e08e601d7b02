"""Reword drafted questions with an OpenAI-compatible model (``POLICYCHAT_LLM_BASE_URL``), keeping them checkable.

The model sees one templated question at a time with the names and values it must
keep, and is asked for one natural question back. A rewrite is kept only when it is
one short line that still names everything in ``keep``, does not give away a key
fact of the answer, and does not copy the evidence; otherwise — and whenever the
endpoint fails — the template stays. Drafts stay ``reviewed: false`` either way.
"""

from __future__ import annotations

import logging
import re

from pydantic import SecretStr

from eval.draft_phrases import copies_evidence
from eval.drafting import Draft
from policychat.settings import Settings

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 60.0
MAX_REPLY_TOKENS = 96
MAX_FAILURES = 3
PROMPT = (
    "Rewrite this question the way a policy analyst would type it into a search box: natural, short, one "
    "sentence. Keep its meaning exactly. It must still contain these words verbatim: {keep}. Do not add facts "
    "and do not answer it. Reply with the question only.\n\nQuestion: {question}"
)


def acceptable(rewritten: str, draft: Draft) -> bool:
    """Whether a rewrite may replace the template (see the module docstring)."""
    text = rewritten.strip()
    item = draft.item
    if not text or "\n" in text or len(text) > 300 or len(text) < 12 or text == item.question:
        return False
    if not text.endswith(("?", "？", ".", "。")):
        return False
    flat = text.lower()
    if any(k.lower().strip("“”《》") not in flat for k in draft.keep if k):
        return False
    if any(alt.lower() in flat for group in item.must_include for alt in group):
        return False
    return not any(copies_evidence(text, e.quote) for e in item.evidence)


def _clean(reply: str) -> str:
    text = reply.strip().strip('"“”').strip()
    text = re.sub(r"^(?:question|rewritten question)\s*:\s*", "", text, flags=re.I)
    return text.splitlines()[0].strip() if text else ""


def rewrite_drafts(drafts: list[Draft], settings: Settings) -> list[Draft]:
    """Drafts with their questions reworded where the model's rewrite is acceptable (templates otherwise)."""
    from langchain_openai import ChatOpenAI

    model = ChatOpenAI(
        base_url=settings.models.llm_base_url, model=settings.models.llm_model,
        api_key=SecretStr(settings.models.llm_api_key or "not-needed"), temperature=0.2,
        extra_body={"max_tokens": MAX_REPLY_TOKENS}, timeout=TIMEOUT_SECONDS, max_retries=0,
    )
    out, failures, kept = [], 0, 0
    for draft in drafts:
        if failures >= MAX_FAILURES:
            out.append(draft)
            continue
        keep = ", ".join(f'"{k.strip("“”《》")}"' for k in draft.keep if k)
        try:
            reply = model.invoke(PROMPT.format(keep=keep, question=draft.item.question))
        except Exception as exc:  # an endpoint failure leaves the template, never the whole run
            failures += 1
            log.warning("question rewrite failed (%s); keeping the template", exc)
            out.append(draft)
            continue
        rewritten = _clean(str(reply.content))
        if acceptable(rewritten, draft):
            kept += 1
            out.append(Draft(draft.item.model_copy(update={"question": rewritten}), draft.keep))
        else:
            out.append(draft)
    log.info("rewrote %d of %d drafted questions", kept, len(drafts))
    return out
