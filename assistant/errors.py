"""The one exception family of policychat.

Every error the project raises on purpose derives from :class:`PolicychatError`
and carries a message that says what went wrong *and* what to do about it.
They are translated only at the edges (CLI exit message, HTTP status, ``gr.Error``)::

    PolicychatError
    ├── ConfigError          bad or contradictory settings
    ├── IngestError          a source could not be read or stored
    │   └── UnsupportedFileError   unknown extension / content type
    ├── SourceNotFoundError  an id that is not in the library
    ├── IndexUnavailableError the vector store cannot be reached (e.g. Chroma server down)
    ├── RetrievalError       a query could not be run
    └── GeneratorError       an answer backend failed or is not installed
"""

from __future__ import annotations


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


class SourceNotFoundError(PolicychatError):
    """A source id that is not in the library."""


class IndexUnavailableError(PolicychatError):
    """The vector store or keyword index cannot be reached or loaded."""


class RetrievalError(PolicychatError):
    """A retrieval request is invalid (bad filter, bad date) or failed."""


class GeneratorError(PolicychatError):
    """An answer generator is unknown, not installed, or failed."""
