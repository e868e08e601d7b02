"""Stored conversations: an SQLite file under the data directory (``conversations.sqlite``).

A conversation holds messages in order; each message keeps its question, the
filters it was asked with, the full answer JSON (citations, retrieved passages
and the ``index_generation`` it was read from) and the latest feedback on it.
Conversations are user data, separate from the library: deleting or
re-ingesting sources never touches them, and they are not published to a
Chroma server (each machine keeps its own).
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from assistant.models import Answer, Filters
from assistant.research.conversation_models import (
    Conversation,
    ConversationSummary,
    Feedback,
    FeedbackIn,
    Message,
    RatedMessage,
    Rating,
)
from policychat.errors import ConversationNotFoundError, PolicychatError, StorageFullError, is_disk_full

DEFAULT_TITLE = "New conversation"
AUTO_TITLE_CHARS = 80

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, titled INTEGER NOT NULL,
    created_at REAL NOT NULL, updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    position INTEGER NOT NULL, question TEXT NOT NULL, filters TEXT, answer TEXT NOT NULL,
    index_generation INTEGER, created_at REAL NOT NULL, feedback TEXT, feedback_rating TEXT, feedback_at REAL,
    UNIQUE (conversation_id, position)
);
CREATE INDEX IF NOT EXISTS conversations_by_update ON conversations(updated_at);
CREATE INDEX IF NOT EXISTS messages_by_feedback ON messages(feedback_rating, feedback_at);
"""
_MESSAGE_COLUMNS = "id, conversation_id, position, question, filters, answer, created_at, feedback"


def _when(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(8)}"


class ConversationStore:
    """Conversations of one data directory (a connection per call, safe across threads and processes)."""

    def __init__(self, path: Path) -> None:
        """Open (creating if needed) the conversation database at ``path``."""
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PolicychatError(f"cannot create {path.parent} for conversations ({exc.strerror})") from exc
        with self._connect() as db:
            db.executescript(_SCHEMA)

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> ConversationStore:
        """The store of a data directory."""
        return cls(Path(data_dir) / "conversations.sqlite")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """One transaction; SQLite failures become project errors (a full disk: StorageFullError)."""
        db = sqlite3.connect(self.path, timeout=30)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA foreign_keys=ON")
            with db:
                yield db
        except sqlite3.OperationalError as exc:
            if is_disk_full(exc):
                raise StorageFullError(f"no space left to store the conversation ({exc}); free some space and try "
                                       "again (nothing was changed)", str(self.path)) from exc
            raise PolicychatError(f"conversation store failed ({exc}): {self.path}") from exc
        finally:
            db.close()

    # Conversations -----------------------------------------------------------

    def create(self, title: str | None = None) -> ConversationSummary:
        """Start an empty conversation; without a title, its first question will name it."""
        now = time.time()
        conversation_id = _new_id("conv")
        with self._connect() as db:
            db.execute("INSERT INTO conversations VALUES (?,?,?,?,?)",
                       (conversation_id, title or DEFAULT_TITLE, int(bool(title)), now, now))
        return ConversationSummary(id=conversation_id, title=title or DEFAULT_TITLE, created_at=_when(now),
                                   updated_at=_when(now), message_count=0)

    def recent(self, limit: int = 100, offset: int = 0) -> list[ConversationSummary]:
        """Conversations, most recently updated first."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT c.id, c.title, c.created_at, c.updated_at, "
                "(SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) "
                "FROM conversations c ORDER BY c.updated_at DESC, c.id LIMIT ? OFFSET ?", (limit, offset)).fetchall()
        return [ConversationSummary(id=i, title=t, created_at=_when(c), updated_at=_when(u), message_count=n)
                for i, t, c, u, n in rows]

    def summary(self, conversation_id: str) -> ConversationSummary:
        """One conversation without its messages.

        Raises:
            ConversationNotFoundError: no such conversation.
        """
        with self._connect() as db:
            return self._summary(db, conversation_id)

    def _summary(self, db: sqlite3.Connection, conversation_id: str) -> ConversationSummary:
        row = db.execute("SELECT id, title, created_at, updated_at, "
                         "(SELECT COUNT(*) FROM messages WHERE conversation_id = ?) FROM conversations WHERE id = ?",
                         (conversation_id, conversation_id)).fetchone()
        if row is None:
            raise ConversationNotFoundError(
                f"No conversation with id {conversation_id!r}; GET /v1/conversations lists them.")
        return ConversationSummary(id=row[0], title=row[1], created_at=_when(row[2]), updated_at=_when(row[3]),
                                   message_count=row[4])

    def get(self, conversation_id: str) -> Conversation:
        """A conversation with all its messages, oldest first.

        Raises:
            ConversationNotFoundError: no such conversation.
        """
        with self._connect() as db:
            summary = self._summary(db, conversation_id)
            rows = db.execute(f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? ORDER BY position",
                              (conversation_id,)).fetchall()
        return Conversation(**summary.model_dump(), messages=[_message(row) for row in rows])

    def rename(self, conversation_id: str, title: str) -> ConversationSummary:
        """Give a conversation a new title.

        Raises:
            ConversationNotFoundError: no such conversation.
        """
        with self._connect() as db:
            changed = db.execute("UPDATE conversations SET title = ?, titled = 1, updated_at = ? WHERE id = ?",
                                 (title, time.time(), conversation_id)).rowcount
            if not changed:
                self._summary(db, conversation_id)  # raises
            return self._summary(db, conversation_id)

    def delete(self, conversation_id: str) -> int:
        """Delete a conversation and its messages; return how many messages went.

        Raises:
            ConversationNotFoundError: no such conversation.
        """
        with self._connect() as db:
            count = self._summary(db, conversation_id).message_count
            db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
        return count

    # Messages ----------------------------------------------------------------

    def add_message(self, conversation_id: str, question: str, answer: Answer,
                    filters: Filters | None = None) -> Message:
        """Append a question and its answer; the first question titles an untitled conversation.

        Raises:
            ConversationNotFoundError: the conversation does not exist (or was deleted meanwhile).
        """
        now = time.time()
        message_id = _new_id("msg")
        with self._connect() as db:
            self._summary(db, conversation_id)
            db.execute(  # one statement: concurrent appends never compute the same position
                "INSERT INTO messages (id, conversation_id, position, question, filters, answer, index_generation, "
                "created_at) SELECT ?, ?, COALESCE(MAX(position) + 1, 0), ?, ?, ?, ?, ? FROM messages "
                "WHERE conversation_id = ?",
                (message_id, conversation_id, question,
                 filters.model_dump_json(exclude_none=True) if filters else None, answer.model_dump_json(),
                 answer.index_generation, now, conversation_id))
            position = db.execute("SELECT position FROM messages WHERE id = ?", (message_id,)).fetchone()[0]
            title = " ".join(question.split())
            title = title if len(title) <= AUTO_TITLE_CHARS else title[:AUTO_TITLE_CHARS - 1].rstrip() + "…"
            db.execute("UPDATE conversations SET updated_at = ?, title = CASE WHEN titled THEN title ELSE ? END, "
                       "titled = 1 WHERE id = ?", (now, title, conversation_id))
        return Message(id=message_id, conversation_id=conversation_id, position=position, question=question,
                       filters=filters, answer=answer, created_at=_when(now))

    def message(self, conversation_id: str, message_id: str) -> Message:
        """One message of a conversation.

        Raises:
            ConversationNotFoundError: no such conversation, or no such message in it.
        """
        with self._connect() as db:
            self._summary(db, conversation_id)
            row = db.execute(f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE id = ? AND conversation_id = ?",
                             (message_id, conversation_id)).fetchone()
        if row is None:
            raise ConversationNotFoundError(f"No message {message_id!r} in conversation {conversation_id!r}.")
        return _message(row)

    def history(self, conversation_id: str, turns: int, before: int | None = None) -> list[tuple[str, str]]:
        """(question, answer text) of the last ``turns`` messages (those before position ``before``), oldest first.

        Raises:
            ConversationNotFoundError: no such conversation.
        """
        with self._connect() as db:
            self._summary(db, conversation_id)
            rows = db.execute("SELECT question, json_extract(answer, '$.answer') FROM messages "
                              "WHERE conversation_id = ? AND position < ? ORDER BY position DESC LIMIT ?",
                              (conversation_id, before if before is not None else 2**62, turns)).fetchall()
        return [(q, a or "") for q, a in reversed(rows)]

    def set_feedback(self, conversation_id: str, message_id: str, feedback: FeedbackIn) -> Feedback:
        """Store ``feedback`` with a message (replacing earlier feedback on it).

        Raises:
            ConversationNotFoundError: no such conversation, or no such message in it.
        """
        stored = Feedback(**feedback.model_dump(), created_at=datetime.now(UTC))
        with self._connect() as db:
            self._summary(db, conversation_id)
            changed = db.execute(
                "UPDATE messages SET feedback = ?, feedback_rating = ?, feedback_at = ? "
                "WHERE id = ? AND conversation_id = ?",
                (stored.model_dump_json(), stored.rating, stored.created_at.timestamp(), message_id,
                 conversation_id)).rowcount
        if not changed:
            raise ConversationNotFoundError(f"No message {message_id!r} in conversation {conversation_id!r}.")
        return stored

    def rated(self, rating: Rating | None = None, since: datetime | None = None,
              history_turns: int = 10) -> list[RatedMessage]:
        """Messages with feedback (of ``rating``, given at or after ``since``), newest feedback first."""
        query = (f"SELECT {', '.join('m.' + c.strip() for c in _MESSAGE_COLUMNS.split(','))}, c.title "
                 "FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.feedback IS NOT NULL")
        args: list[object] = []
        if rating is not None:
            query += " AND m.feedback_rating = ?"
            args.append(rating)
        if since is not None:
            query += " AND m.feedback_at >= ?"
            args.append(since.timestamp())
        with self._connect() as db:
            rows = db.execute(query + " ORDER BY m.feedback_at DESC", args).fetchall()
            out = []
            for row in rows:
                earlier = db.execute(
                    "SELECT question, json_extract(answer, '$.answer') FROM messages WHERE conversation_id = ? "
                    "AND position < ? ORDER BY position DESC LIMIT ?", (row[1], row[2], history_turns)).fetchall()
                out.append(RatedMessage(message=_message(row[:-1]), conversation_title=row[-1],
                                        history=[(q, a or "") for q, a in reversed(earlier)]))
        return out


def _message(row: tuple) -> Message:
    message_id, conversation_id, position, question, filters, answer, created_at, feedback = row
    return Message(
        id=message_id, conversation_id=conversation_id, position=position, question=question,
        filters=Filters.model_validate_json(filters) if filters else None,
        answer=Answer.model_validate_json(answer), created_at=_when(created_at),
        feedback=Feedback.model_validate_json(feedback) if feedback else None,
    )

