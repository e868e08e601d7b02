"""The one exception family of policychat.

Every error the project raises on purpose derives from :class:`PolicychatError`
and carries a message that says what went wrong *and* what to do about it.
They are translated only at the edges (CLI exit message, HTTP status, ``gr.Error``)::

    PolicychatError
    ├── ConfigError          bad or contradictory settings
    ├── IngestError          a source could not be read or stored
    │   ├── UnsupportedFileError   unknown extension / content type
    │   ├── StorageFullError       no space left where the library is stored
    │   ├── FileBudgetError        a file over its chunk or time budget (POLICYCHAT_MAX_*_PER_FILE)
    │   └── IngestCancelledError   an ingest run was cancelled (Ctrl-C, DELETE /v1/jobs/{id})
    ├── SourceNotFoundError  an id that is not in the library
    ├── JobNotFoundError     a background ingest job id that this server does not know
    ├── JobFinishedError     a job that can no longer be cancelled (it has finished)
    ├── PageUnavailableError a cited page that cannot be shown (not a PDF, no such page, file gone)
    ├── ConversationNotFoundError  a conversation or message id that is not stored
    ├── CitationInputError   an export to verify whose citation references cannot be read (names file and field)
    ├── IndexUnavailableError the vector store cannot be reached (e.g. Chroma server down)
    ├── RetrievalError       a query could not be run
    ├── GeneratorError       an answer backend failed or is not installed
    │   └── EndpointError        a call to an OpenAI-compatible chat endpoint failed (LLM backend, eval judge)
    │       ├── EndpointTimeoutError      no reply within the timeout
    │       ├── EndpointUnreachableError  nothing answers at the URL
    │       └── EndpointRefusedError      the key is refused, or the endpoint lacks the model
    └── JudgeError           the eval's LLM judge stopped: its endpoint cannot be used
"""

from __future__ import annotations

import errno


class PolicychatError(Exception):
    """Base class of every error policychat raises on purpose."""


class ConfigError(PolicychatError):
    """A setting is missing, malformed or contradicts another one."""


class IngestError(PolicychatError):
    """A source could not be parsed, chunked, embedded or stored.

    ``path`` names the file so that callers can report it on one line.
    """

    def __init__(self, message: str, path: str | None = None) -> None:
        self.path = path
        super().__init__(f"{path}: {message}" if path else message)
        self.reason = message


class UnsupportedFileError(IngestError):
    """The file's extension has no registered loader."""


class StorageFullError(IngestError):
    """The disk holding the library (data directory or Chroma store) has no space left for a write.

    Nothing already stored is lost: the write that failed is rolled back or
    repaired on the next ingest; free some space and run it again.
    """


class FileBudgetError(IngestError):
    """A file needs more chunks or more processing time than one file may use; it is refused, the run goes on."""


class IngestCancelledError(IngestError):
    """An ingest run was cancelled on request; raised between files and between embedding batches."""


class SourceNotFoundError(PolicychatError):
    """A source id that is not in the library."""


class JobNotFoundError(PolicychatError):
    """A background ingest job id that this server does not know (jobs live in the server's memory)."""


class JobFinishedError(PolicychatError):
    """A background ingest job that has already finished, so it cannot be cancelled."""


class PageUnavailableError(PolicychatError):
    """A page image was asked of a source that is not a PDF, lacks that page, or whose file is gone."""


class ConversationNotFoundError(PolicychatError):
    """A conversation (or a message of one) that is not stored."""


class CitationInputError(PolicychatError):
    """An export given to the citation verifier (Markdown or CSL-JSON) whose references cannot be read.

    ``where`` names the input and the place in it (file, footnote or item), ``field`` the
    reference field at fault; the message says both.
    """

    def __init__(self, message: str, where: str, field: str) -> None:
        self.where = where
        self.field = field
        self.reason = message
        super().__init__(f"{where}: {field}: {message}")


class IndexUnavailableError(PolicychatError):
    """The vector store or keyword index cannot be reached or loaded."""


class RetrievalError(PolicychatError):
    """A retrieval request is invalid (bad filter, bad date) or failed."""


class GeneratorError(PolicychatError):
    """An answer generator is unknown, not installed, or failed."""


class EndpointError(GeneratorError):
    """A call to an OpenAI-compatible chat endpoint failed.

    The message says which URL failed and which setting to check; ``detail`` is the
    failure alone (``HTTP 500: …``, ``no reply within 60s``) and ``status`` the HTTP
    status when the endpoint answered with one.
    """

    def __init__(self, message: str, *, detail: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.detail = detail or message
        self.status = status


class EndpointTimeoutError(EndpointError):
    """The endpoint did not reply within ``POLICYCHAT_LLM_TIMEOUT_SECONDS`` (the next call may succeed)."""


class EndpointUnreachableError(EndpointError):
    """Nothing answers at the endpoint's URL (no later call can succeed either)."""


class EndpointRefusedError(EndpointError):
    """The endpoint refused the API key or has no such model (no later call can succeed either)."""


class JudgeError(PolicychatError):
    """The eval's LLM judge stopped: its endpoint cannot be used (unreachable, key refused, calls keep failing)."""


_DISK_FULL_WORDS = ("no space left on device", "database or disk is full", "disk is full", "(os error 28)",
                    "disk quota exceeded")


def is_disk_full(exc: BaseException) -> bool:
    """True when ``exc`` (or an exception it was raised from) says the disk or quota is full.

    Recognises ``OSError`` with ``ENOSPC``/``EDQUOT`` and the messages SQLite and
    Chroma's Rust core use for the same condition.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if any(word in str(current).lower() for word in _DISK_FULL_WORDS):
            return True
        current = current.__cause__ or current.__context__
    return False
