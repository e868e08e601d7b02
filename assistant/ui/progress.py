"""An answer as it streams into the chat: released sentences, the model's unverified tokens, a fallback notice.

:class:`StreamProgress` folds the service's stream events (see
:mod:`assistant.generators.streaming`) into what the chat shows while the answer arrives:
tokens appear greyed out as the model writes them, a sentence that passes
verification stays (with its tick), one that is withheld disappears, and a
fallback clears the model's text and says so.
"""

from __future__ import annotations

import time
from typing import Any

from assistant.ui import render

TOKEN_REFRESH_SECONDS = 0.08
"""Token pieces are shown at most this often (every sentence, withholding and reset at once)."""
FALLBACK_NOTICE = "The model's answer did not hold up in verification; answering with the library's own sentences."


class StreamProgress:
    """The partial answer of one streaming turn."""

    def __init__(self) -> None:
        """Nothing shown yet."""
        self.sentences: list[tuple[str, bool]] = []
        self.pending = ""
        self.notice = ""
        self._shown_at = 0.0

    def update(self, event: dict[str, Any]) -> bool:
        """Fold in one event; True when the chat should be redrawn now."""
        kind = event.get("event")
        if kind == "token":
            self.pending += event.get("text", "")
            now = time.monotonic()
            if now - self._shown_at < TOKEN_REFRESH_SECONDS:
                return False
            self._shown_at = now
            return True
        if kind == "sentence":
            self.sentences.append((event["text"], bool(event.get("verified", True))))
        elif kind == "withheld":
            pass
        elif kind == "reset":
            self.sentences, self.notice = [], FALLBACK_NOTICE
        else:
            return False
        self.pending = event.get("pending", "")
        self._shown_at = time.monotonic()
        return True

    def render(self) -> str:
        """The chat message HTML for the answer so far."""
        return render.render_partial(self.sentences, self.pending, self.notice)
