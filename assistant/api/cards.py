"""``/v1/sources/{id}/card`` (JSON and Markdown) and ``/v1/relations``: what each source is and how sources relate.

Read from the catalog only (:mod:`assistant.research.card_view`), so these answer while the
vector store is down; an unknown source id is a 404.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from assistant.api.deps import ServiceDep
from assistant.api.errors import error_responses
from assistant.research.card_export import card_file_name, card_markdown
from assistant.research.card_models import RelationEdge, RelationType, SourceCard
from assistant.research.card_view import relation_edges, source_card

router = APIRouter(tags=["cards"])

MARKDOWN_DOC: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/markdown": {"schema": {"type": "string"}}},
          "description": "The card as Markdown; every quoted item ends with [source-id:start–end, p. N]."},
}


@router.get("/sources/{source_id}/card", response_model=SourceCard, responses=error_responses(404))
def get_card(source_id: str, service: ServiceDep) -> SourceCard:
    """The source's card: identity, purpose, outline, provisions, key figures, summary, status and relations.

    Every quoted item has ``quote``, ``start``, ``end`` (offsets into the stored text of
    ``GET /v1/sources/{id}``; relation evidence: of the stating source) and ``page``.
    """
    return source_card(service.library, source_id)


@router.get("/sources/{source_id}/card.md", response_class=Response,
            responses={**MARKDOWN_DOC, **error_responses(404)})
def get_card_markdown(source_id: str, service: ServiceDep) -> Response:
    """The source's card as a Markdown document, each item with its quote reference."""
    text = card_markdown(source_card(service.library, source_id))
    return Response(text, media_type="text/markdown; charset=utf-8",
                    headers={"Content-Disposition": f'inline; filename="{card_file_name(source_id)}"'})


@router.get("/relations", response_model=list[RelationEdge], responses=error_responses(404))
def list_relations(
    service: ServiceDep,
    rel_type: Annotated[RelationType | None, Query(alias="type", description="Only edges of this type.")] = None,
    source_id: Annotated[str | None, Query(description="Only edges stated by, acting from or aimed at this source "
                                                       "(404 when it is not in the library).")] = None,
) -> list[RelationEdge]:
    """Every relation between the library's documents (catalog-stated, then found in text), with its evidence."""
    return relation_edges(service.library, rel_type, source_id)
