"""``GET /v1/sources/{id}/pages/{n}.png``: a PDF source's page as an image, the cited passage highlighted."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response

from assistant.api.deps import RuntimeDep
from assistant.api.errors import error_responses
from assistant.research.pages import parse_highlight

router = APIRouter(prefix="/sources", tags=["sources"])

PNG_DOC: dict[int | str, dict[str, Any]] = {200: {"content": {"image/png": {}}, "description": (
    "The page as PNG. X-Highlight: found | partial (the quote runs onto the next page) | none (the quote could "
    "not be located: the page is shown without a highlight) | off (no highlight asked). X-Highlight-Boxes: the "
    "drawn boxes in image pixels, 'x0,y0,x1,y1;…'. X-Quote-Page: the page where the highlighted text starts.")}}


@router.get("/{source_id}/pages/{page:int}.png", response_class=Response, responses={**PNG_DOC, **error_responses(404)})
def page_image(
    source_id: str, page: int, runtime: RuntimeDep,
    highlight: Annotated[str | None, Query(description="START-END: offsets into the source's stored text, as "
                                                       "citations carry them", max_length=40)] = None,
) -> Response:
    """Render page ``page`` (1-based) of a PDF source and highlight the stored text's ``START-END`` on it.

    404 for an unknown source, a source that is not a PDF, a page out of range or
    a PDF file that is gone; 422 for a malformed ``highlight``.
    """
    try:
        span = parse_highlight(highlight)
    except ValueError as exc:
        raise RequestValidationError([{"type": "value_error", "loc": ("query", "highlight"), "msg": str(exc),
                                       "input": highlight}]) from None
    image = runtime.pages().page(source_id, page, span)
    boxes = ";".join(",".join(map(str, box)) for box in image.boxes)
    headers = {"X-Highlight": image.highlight, "X-Page-Count": str(image.page_count),
               "Cache-Control": "private, max-age=300"}
    if boxes:
        headers["X-Highlight-Boxes"] = boxes
    if image.quote_page is not None:
        headers["X-Quote-Page"] = str(image.quote_page)
    return Response(image.png, media_type="image/png", headers=headers)
