"""What an upload is, before any of it is stored: its form fields, its saved files, its report, and name checks.

Pure data and checks with no server state, shared by the write path (:mod:`assistant.serving.writes`),
the background jobs (:mod:`assistant.serving.jobs`), the API and the UI.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ingest.loaders import supported_extensions
from policychat.errors import IngestError, UnsupportedFileError

_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


class UploadTooLargeError(IngestError):
    """An upload is bigger than ``POLICYCHAT_MAX_UPLOAD_MB``."""


class UploadFields(BaseModel):
    """Metadata typed into an upload form; applies to every file of the upload."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str | None = Field(None, max_length=500)
    publisher: str | None = Field(None, max_length=300)
    country: str | None = Field(None, max_length=40, description="US, CN, INTL or OTHER (names are mapped).")
    date: str | None = Field(None, description="YYYY, YYYY-MM or YYYY-MM-DD.")
    doc_type: str | None = Field(None, max_length=60)
    original_url: str | None = Field(None, max_length=2000)

    @field_validator("date")
    @classmethod
    def _check_date(cls, value: str | None) -> str | None:
        if value and not _DATE.match(value):
            raise ValueError("date must look like YYYY-MM-DD (or YYYY-MM, YYYY)")
        return value

    def overrides(self) -> dict[str, str]:
        """The non-empty fields, as ``ingest_paths`` metadata overrides."""
        return {k: v for k, v in self.model_dump().items() if v}


@dataclass(frozen=True)
class SavedUpload:
    """One uploaded file on disk: the client's name (for messages only), where it lies, its source id."""

    client_name: str
    path: Path
    source_id: str


@dataclass
class FileProblem:
    """A file of an upload that was not ingested, named as the client named it."""

    file: str
    reason: str


@dataclass
class UploadReport:
    """What an upload changed: source ids added, updated, unchanged, the files that failed, repeated chunks."""

    added: list[str]
    updated: list[str]
    unchanged: list[str]
    errors: list[FileProblem]
    duplicate_chunks: int = 0
    cancelled: bool = False
    embed_seconds: float = 0.0


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class BadFileNameError(IngestError):
    """A client file name holds NUL or other control characters (never a real file name)."""


def client_basename(name: str) -> str:
    """The last component of a client-supplied file name (forward and back slashes both separate).

    Raises:
        BadFileNameError: the name contains NUL or another control character.
    """
    if _CONTROL.search(name):
        raise BadFileNameError(f"file name {name!r} contains control characters (such as NUL)", repr(name))
    return PurePosixPath(name.replace("\\", "/")).name or "upload"


def checked_extension(client_name: str) -> str:
    """The lower-case extension of ``client_name`` if a loader exists for it.

    Raises:
        UnsupportedFileError: no loader for that extension.
    """
    suffix = PurePosixPath(client_basename(client_name)).suffix.lower()
    supported = supported_extensions()
    if suffix not in supported:
        raise UnsupportedFileError(
            f"unsupported file type {suffix or '(none)'!r}; supported: {', '.join(supported)}",
            client_basename(client_name),
        )
    return suffix
