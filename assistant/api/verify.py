"""``POST /v1/verify``: re-check the citations of an exported thread against the current library.

The body is an export of ``GET /v1/conversations/{id}/export``, sent one of three ways:

* ``Content-Type: text/markdown`` (or ``text/plain``): the Markdown export as it is;
* ``Content-Type: application/vnd.citationstyles.csl+json``: the CSL-JSON export as it is;
* ``Content-Type: application/json``: ``{"markdown": "..."}`` or ``{"csl": [...]}`` (exactly one).

It is a read (it changes nothing), so it is open unless ``POLICYCHAT_API_KEY_READS`` is set.
An export whose references cannot be read is a 400 naming the footnote (or item) and field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.api.deps import ServiceDep
from assistant.api.errors import error_responses
from assistant.api.limits import MAX_JSON_BODY_BYTES
from assistant.api.schemas import Problem
from assistant.research.citation_refs import CitedQuote, load_json, parse_csl, parse_markdown
from assistant.research.verify_citations import VerifyReport, verify_citations
from policychat.errors import CitationInputError

router = APIRouter(tags=["citations"])

MARKDOWN_TYPES = ("text/markdown", "text/x-markdown", "text/plain")
CSL_TYPE = "application/vnd.citationstyles.csl+json"
_BODY_NAME = "request body"


class VerifyRequest(BaseModel):
    """An export to check, as JSON: exactly one of ``markdown`` and ``csl``."""

    model_config = ConfigDict(extra="forbid")

    markdown: str | None = Field(None, description="A Markdown export (GET /v1/conversations/{id}/export).")
    csl: list[Any] | None = Field(None, description="A CSL-JSON export (…/export?format=csljson).")


REQUEST_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": VerifyRequest.model_json_schema()},
    "text/markdown": {"schema": {"type": "string", "description": "The Markdown export as it is."}},
    CSL_TYPE: {"schema": {"type": "array", "items": {"type": "object"},
                          "description": "The CSL-JSON export as it is."}},
}}}
RESPONSES: dict[int | str, dict[str, Any]] = {
    **error_responses(400, 413),
    415: {"model": Problem, "description": "A body that is not text/markdown, CSL-JSON or application/json"},
    422: {"description": "A JSON body without exactly one of markdown and csl"},
}


def _invalid(errors: Sequence[Mapping[str, Any]], body: Any) -> RequestValidationError:
    """The 422 FastAPI gives a JSON body that does not fit its model, with ``loc`` starting at ``body``."""
    return RequestValidationError([{**e, "loc": ("body", *e.get("loc", ()))} for e in errors], body=body)


def _from_json(raw: bytes) -> list[CitedQuote]:
    try:
        request = VerifyRequest.model_validate_json(raw)
    except ValidationError as exc:
        raise _invalid(exc.errors(include_url=False, include_input=False),
                       raw.decode("utf-8", "replace")) from exc
    if (request.markdown is None) == (request.csl is None):
        raise _invalid([{"type": "value_error", "loc": (), "msg": "give exactly one of 'markdown' and 'csl'",
                         "input": None}], None)
    if request.markdown is not None:
        return parse_markdown(request.markdown, f"{_BODY_NAME} (markdown)")
    return parse_csl(request.csl, f"{_BODY_NAME} (csl)")


async def cited_in_body(request: Request) -> list[CitedQuote]:
    """The cited passages of the request's body, read by its content type (see the module docstring).

    Raises:
        HTTPException: 415 for another content type.
        CitationInputError: the body is not UTF-8, or an export whose references cannot be read (400).
        RequestValidationError: a JSON body without exactly one of ``markdown`` and ``csl`` (422).
    """
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body()
    if media == "application/json":
        return _from_json(raw)
    if media not in (*MARKDOWN_TYPES, CSL_TYPE):
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                            f"send the export as text/markdown, {CSL_TYPE} or application/json "
                            f"({{\"markdown\": …}} or {{\"csl\": […]}}), not {media or 'no Content-Type'}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CitationInputError(f"is not UTF-8 (byte 0x{raw[exc.start]:02x} at {exc.start})", _BODY_NAME,
                                 "encoding") from exc
    if media != CSL_TYPE:
        return parse_markdown(text, _BODY_NAME)
    return parse_csl(load_json(text, _BODY_NAME, "CSL-JSON"), _BODY_NAME)


@router.post("/verify", response_model=VerifyReport, responses=RESPONSES, openapi_extra=REQUEST_BODY,
             max_body_size=MAX_JSON_BODY_BYTES)
def verify(cited: Annotated[list[CitedQuote], Depends(cited_in_body)], service: ServiceDep) -> VerifyReport:
    """Check every quote of an exported thread against the library as it is now.

    Each citation is ``unchanged`` (at the cited offsets), ``moved`` (found at other offsets:
    ``now_start``/``now_end``), ``changed`` (not found; ``closest`` is the most similar current
    passage), ``removed`` (its source is gone) or ``superseded`` (the quote checks, but a document
    of the library now revokes, rescinds, supersedes or amends its source: ``superseded_by``).
    ``counts`` has every status; ``ok`` is false when any quote is changed or removed. Reads
    the catalog only.
    """
    return verify_citations(cited, service.library)
