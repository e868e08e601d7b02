"""Assemble the API routers of one app."""

from __future__ import annotations

from fastapi import APIRouter

from assistant.api import answers, cards, conversations, health, jobs, openai_compat, openai_models, pages, verify
from assistant.api.sources import sources_router
from policychat.settings import Settings

health_router = health.router


def api_router(settings: Settings) -> APIRouter:
    """Every ``/v1`` route (mount with ``prefix="/v1"``); upload limits come from ``settings``."""
    router = APIRouter()
    router.include_router(answers.router)
    router.include_router(openai_compat.router)
    router.include_router(openai_models.router)
    router.include_router(sources_router(settings))
    router.include_router(jobs.router)
    router.include_router(pages.router)
    router.include_router(cards.router)
    router.include_router(conversations.router)
    router.include_router(verify.router)
    return router
