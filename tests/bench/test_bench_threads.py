"""Reading a long conversation back: its cost grows with the thread, not faster (a ratio, not a wall-clock limit).

The API tests check what a 200-turn thread holds; how fast it comes back is measured
here. Absolute seconds depend on the machine and its load, so the check is a ratio
of two reads on the same server at the same moment: 200 turns hold 20 times the
messages of 10, and a linear read takes about 20 times as long; a per-message query
(N+1) or a quadratic step would take hundreds of times as long.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from testsupport import make_settings

from assistant.models import AnswerRequest
from assistant.research.conversations import ConversationStore
from assistant.service import AnswerService
from assistant.serving.server import background_server
from ingest.library import Library
from policychat.settings import Settings

QUESTION = "Within how many days must developers report a training run under the Telvar rule?"
SHORT, LONG = 10, 200
MAX_RATIO = 60
"""Allowed (time for LONG turns) / (time for SHORT turns); linear is about LONG / SHORT = 20."""


def _best_read(client: httpx.Client, url: str, conversation_id: str, turns: int, repeats: int = 5) -> float:
    """The fastest of ``repeats`` reads of the thread (the least disturbed by other work), in seconds."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        response = client.get(f"{url}/v1/conversations/{conversation_id}")
        elapsed = time.perf_counter() - started
        assert response.status_code == 200 and len(response.json()["messages"]) == turns
        best = min(best, elapsed)
    return best


def test_a_long_thread_reads_back_in_time_proportional_to_its_length(mini_library: Settings, tmp_path: Path) -> None:
    answer = AnswerService(mini_library, Library(mini_library)).answer(AnswerRequest(question=QUESTION))
    assert not answer.abstained and answer.citations and answer.retrieved  # a realistic, full-sized message
    settings = make_settings(tmp_path / "data")
    store = ConversationStore.for_data_dir(settings.store.data_dir)
    threads = {}
    for turns in (SHORT, LONG):
        conversation = store.create(title=f"{turns} turns")
        for _ in range(turns):
            store.add_message(conversation.id, QUESTION, answer)
        threads[turns] = conversation.id
    with background_server(settings, warm_up=False) as url, httpx.Client(timeout=120) as client:
        _best_read(client, url, threads[SHORT], SHORT, repeats=1)  # warm up the route
        short = _best_read(client, url, threads[SHORT], SHORT)
        long = _best_read(client, url, threads[LONG], LONG)
    ratio = long / short
    print(f"\nthread read-back: {SHORT} turns {short * 1000:.1f} ms, {LONG} turns {long * 1000:.1f} ms "
          f"(ratio {ratio:.1f}, linear would be {LONG // SHORT})")
    assert ratio < MAX_RATIO, f"{LONG} turns took {ratio:.0f}x the time of {SHORT}: worse than linear"
