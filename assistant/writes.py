"""Adding and removing sources from a running server: the one code path of the API and the UI.

Uploaded bytes are written under ``<data_dir>/uploads`` with a generated name
that keeps only the (supported) extension, so a client file name is never used
as a path; the source id defaults to a slug of the client file's stem. Writes
hold :attr:`Runtime.write_lock` for the whole ingest or delete; the API and the UI
run ingests as background jobs (:mod:`assistant.jobs`).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.runtime import Runtime
from ingest.loaders import supported_extensions
from ingest.metadata import slugify
from ingest.pipeline import ingest_paths
from ingest.progress import IngestControl
from policychat.errors import IngestError, StorageFullError, UnsupportedFileError, is_disk_full

_COPY_BLOCK = 1 << 20
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


def save_upload(runtime: Runtime, client_name: str, data: BinaryIO, max_bytes: int) -> SavedUpload:
    """Copy ``data`` to ``<data_dir>/uploads/<random hex><ext>``, counting bytes as they go.

    Returns:
        The saved file with the source id derived from the client file's stem.

    Raises:
        UnsupportedFileError: the extension has no loader (nothing is written).
        UploadTooLargeError: more than ``max_bytes`` arrived (the partial file is removed).
    """
    suffix = checked_extension(client_name)
    name = client_basename(client_name)
    path = runtime.uploads_dir / f"{uuid.uuid4().hex}{suffix}"
    written = 0
    try:
        runtime.uploads_dir.mkdir(parents=True, exist_ok=True)
        with path.open("xb") as out:
            while block := data.read(_COPY_BLOCK):
                written += len(block)
                if written > max_bytes:
                    raise UploadTooLargeError(
                        f"file is larger than POLICYCHAT_MAX_UPLOAD_MB={runtime.settings.server.max_upload_mb:g}", name
                    )
                out.write(block)
    except OSError as exc:
        path.unlink(missing_ok=True)
        if is_disk_full(exc):
            raise StorageFullError(f"no space left on the disk of {runtime.uploads_dir} to save the upload "
                                   f"({exc.strerror}); free some space and upload it again", name) from exc
        raise IngestError(f"could not save the upload ({exc.strerror or exc})", name) from exc
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return SavedUpload(client_name=name, path=path, source_id=slugify(PurePosixPath(name).stem))


def max_upload_bytes(runtime: Runtime) -> int:
    """``POLICYCHAT_MAX_UPLOAD_MB`` in bytes."""
    return int(runtime.settings.server.max_upload_mb * 1024 * 1024)


def ingest_uploads(runtime: Runtime, uploads: list[SavedUpload], fields: UploadFields,
                   control: IngestControl | None = None) -> UploadReport:
    """Ingest saved uploads with the form's metadata, under the write lock, as one atomic run.

    Files that turned out unchanged or failed are deleted again; when a source
    is replaced, its previous upload file is deleted too. The sources appear in one
    catalog transaction at the end; a cancel through ``control`` (or a crash) before
    that leaves the library as it was.

    Returns:
        The :class:`UploadReport` (errors are reported, not raised).
    """
    extra = fields.overrides()
    overrides = {u.path: {**extra, "id": u.source_id} for u in uploads}
    by_path = {str(u.path): u for u in uploads}
    with runtime.write_lock:
        library = runtime.service().library
        previous = {r.meta.id: Path(r.path) for r in library.catalog.records()}
        try:
            report = ingest_paths(library, [u.path for u in uploads], overrides=overrides, control=control,
                                  atomic=True)
        except BaseException as exc:
            for upload in uploads:
                upload.path.unlink(missing_ok=True)
            if isinstance(exc, StorageFullError):  # name the files as the client named them
                message = str(exc)
                for upload in uploads:
                    message = message.replace(str(upload.path.resolve()), upload.client_name)
                    message = message.replace(str(upload.path), upload.client_name)
                raise StorageFullError(message) from exc
            raise
        kept = {Path(r.path).resolve() for r in library.catalog.records() if r.meta.id in report.ingested}
    for upload in uploads:
        if upload.path.resolve() not in kept:
            upload.path.unlink(missing_ok=True)
    for source_id in report.updated:
        old = previous.get(source_id)
        if old is not None and old.resolve() not in kept:
            _remove_if_uploaded(runtime, old)
    errors = [FileProblem(by_path[e.path].client_name if e.path in by_path else Path(e.path).name, e.reason)
              for e in report.errors]
    return UploadReport(report.added, report.updated, report.unchanged, errors, report.duplicate_chunks,
                        report.cancelled, report.embed_seconds)


def delete_source(runtime: Runtime, source_id: str) -> int:
    """Remove a source (and its upload file, if it was uploaded); return how many chunks went.

    Raises:
        SourceNotFoundError: no such source.
    """
    with runtime.write_lock:
        library = runtime.service().library
        paths = {r.meta.id: Path(r.path) for r in library.catalog.records()}
        removed = library.remove_source(source_id)
    if source_id in paths:
        _remove_if_uploaded(runtime, paths[source_id])
    return removed


def _remove_if_uploaded(runtime: Runtime, path: Path) -> None:
    """Delete ``path`` only when it lies in this library's uploads folder."""
    uploads = runtime.uploads_dir.resolve()
    if path.resolve().parent == uploads:
        path.unlink(missing_ok=True)
