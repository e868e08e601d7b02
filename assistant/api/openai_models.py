"""``GET /v1/models`` and ``GET /v1/models/{id}``: the answer backends as OpenAI model objects.

Chat front ends (Open WebUI, LibreChat, LangChain apps) list the models first;
each usable generator is one model, and sending its id as ``model`` to
``/v1/chat/completions`` picks it. A backend that is not configured (``openai``
without ``POLICYCHAT_LLM_BASE_URL``, ``local`` without llama-cpp-python) is not listed.
"""

from __future__ import annotations

import time
from typing import Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from assistant.api.deps import SettingsDep
from assistant.api.openai_errors import openai_error_responses
from assistant.generators import available_generators, create_generator
from policychat.errors import PolicychatError
from policychat.settings import Settings

router = APIRouter(tags=["openai-compatible"])

STARTED = int(time.time())


class ModelCard(BaseModel):
    """An OpenAI ``model`` object, plus which LLM (if any) is behind the backend."""

    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "policychat"
    backend_model: str | None = Field(None, description="The GGUF file or endpoint model the backend asks.")
    default: bool = Field(False, description="The backend used when a request names no known model.")


class ModelList(BaseModel):
    """An OpenAI ``list`` of models."""

    object: Literal["list"] = "list"
    data: list[ModelCard]


def usable_models(settings: Settings) -> list[ModelCard]:
    """Every registered backend that can be created with ``settings`` (nothing is loaded or contacted)."""
    cards = []
    for name in available_generators():
        try:
            generator = create_generator(name, settings)
        except PolicychatError:
            continue
        label = getattr(generator, "model_label", None)
        cards.append(ModelCard(id=name, created=STARTED, backend_model=label if label != name else None,
                               default=name == settings.answer.generator))
    return cards


@router.get("/models", response_model=ModelList)
def list_models(settings: SettingsDep) -> ModelList:
    """The answer backends a chat client can pick with ``model``."""
    return ModelList(data=usable_models(settings))


@router.get("/models/{model_id}", response_model=ModelCard, responses=openai_error_responses(404))
def get_model(model_id: str, settings: SettingsDep) -> ModelCard:
    """One backend as a model object; 404 (OpenAI error shape) when it is unknown or not configured."""
    for card in usable_models(settings):
        if card.id == model_id:
            return card
    known = ", ".join(card.id for card in usable_models(settings))
    raise HTTPException(404, f"The model {model_id!r} does not exist here; choose one of: {known}.")
