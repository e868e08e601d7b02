"""Adding and removing sources from a running server: the one code path of the API and the UI.

Uploaded bytes are written under ``<data_dir>/uploads`` with a generated name
that keeps only the (supported) extension, so a client file name is never used
as a path; the source id defaults to a slug of the client file's stem. Writes
hold :attr:`Runtime.write_lock` for the whole ingest or delete; the API and the UI
run ingests as background jobs (:mod:`assistant.serving.jobs`).
"""

from __future__ import annotations

import uuid
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from assistant.serving.runtime import Runtime
from assistant.serving.uploads import (
    FileProblem,
    SavedUpload,
    UploadFields,
    UploadReport,
    UploadTooLargeError,
    checked_extension,
    client_basename,
)
from ingest.metadata import slugify
from ingest.pipeline import ingest_paths
from ingest.progress import IngestControl
from policychat.errors import IngestError, StorageFullError, is_disk_full

_COPY_BLOCK = 1 << 20


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
