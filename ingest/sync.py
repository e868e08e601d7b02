"""Replica sync: rebuild this machine's catalog and BM25 index from what the Chroma server publishes.

In server mode each machine's catalog is a local copy of the source records that
writers publish (:mod:`ingest.publish`; record layout in :mod:`ingest.remote`).

Reading (:func:`sync_from_chroma`): compare the remote stamp with the one last
synced (the catalog's ``state`` table); when it moved, list the records'
metadata, fetch only sources that are new or whose content hash or chunk ids
differ from the local catalog, drop sources no longer published, apply it all
in one catalog transaction (readers see one new generation, so retriever
snapshots reload once) and rebuild the BM25 index. A record is only taken when
all its chunk ids are present in the chunk collection. The first sync of a
catalog written before source records existed publishes its sources first
(instead of dropping them as removed elsewhere).

A server runs this once before its first read, then at most every
``POLICYCHAT_REPLICA_SYNC_SECONDS`` in the background
(:mod:`assistant.serving.replica_scheduler`); ``policychat sync`` runs it once.

Public API: :func:`sync_from_chroma`, :class:`SyncReport`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ingest.remote import Record, RemoteStore, decode_record, record_chunk_ids
from policychat.errors import ConfigError

if TYPE_CHECKING:
    from ingest.library import Library, Publishing

log = logging.getLogger(__name__)

SYNCED_STAMP = "replica_stamp"  # catalog state: the stamp of the last completed sync
BACKFILLED = "replica_backfilled"  # catalog state: local sources from before publishing existed are published


@dataclass
class SyncReport:
    """What one :func:`sync_from_chroma` did.

    Attributes:
        stamp: the remote stamp the local copy now matches.
        checked_only: the stamp had not moved, so nothing else was read.
        added / updated / removed: source ids changed in the local catalog.
        incomplete: published sources left out because some chunk vectors are missing
            (or the record is unreadable); they are retried at the next stamp change.
        backfilled: local sources published by this sync (a catalog from before publishing existed).
        keyword_rebuilt: the BM25 index was rebuilt.
        seconds: wall time.
    """

    stamp: str = ""
    checked_only: bool = False
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)
    backfilled: list[str] = field(default_factory=list)
    keyword_rebuilt: bool = False
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        """True when the local catalog changed."""
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        """One line for the CLI and logs."""
        if self.checked_only:
            return f"up to date (stamp {self.stamp[:12] or 'none'}; {self.seconds * 1000:.0f} ms)"
        parts = [f"{name} {len(ids)}" + (f" ({', '.join(ids[:10])}{', …' if len(ids) > 10 else ''})" if ids else "")
                 for name, ids in (("added", self.added), ("updated", self.updated), ("removed", self.removed),
                                   ("incomplete", self.incomplete), ("backfilled", self.backfilled))]
        return (f"{'; '.join(parts)}; keyword index rebuilt: {self.keyword_rebuilt}; "
                f"stamp {self.stamp[:12] or 'none'}; {self.seconds:.2f} s")


def sync_from_chroma(library: Library, *, full: bool = False, locked: bool = False) -> SyncReport:
    """Bring ``library``'s catalog and BM25 index up to date with the Chroma server.

    Args:
        library: an open library whose settings use a Chroma server, opened with its
            publisher (:func:`ingest.publish.open_library`).
        full: re-read every record even if the stamp has not moved (and rewrite every source).
        locked: the caller already holds ``library.write_lock()`` (e.g. ``repair``).

    Returns:
        A :class:`SyncReport`; when the stamp equals the last synced one, only that
        one HTTP call was made (``checked_only``).

    Raises:
        ConfigError: the library is in embedded mode (or was opened without its publisher).
        IndexUnavailableError: the Chroma server cannot be reached or does not answer in time.
    """
    publisher = library.publisher
    if publisher is None:
        if library.settings.store.uses_chroma_server:
            raise ConfigError("Replica sync needs the library's publisher: open it with ingest.publish.open_library.")
        raise ConfigError("Replica sync needs a Chroma server: set POLICYCHAT_CHROMA_HOST (and _PORT).")
    started = time.perf_counter()
    stamp = publisher.remote.stamp()
    if not full and stamp == library.catalog.state(SYNCED_STAMP):
        return SyncReport(stamp=stamp, checked_only=True, seconds=time.perf_counter() - started)
    if locked:
        report = _sync_locked(library, publisher, full)
    else:
        with library.write_lock():
            report = _sync_locked(library, publisher, full)
    report.seconds = time.perf_counter() - started
    return report


def _sync_locked(library: Library, publisher: Publishing, full: bool) -> SyncReport:
    remote, catalog = publisher.remote, library.catalog
    stamp = remote.stamp()  # read again under the lock, and always before the listing
    if not full and stamp == catalog.state(SYNCED_STAMP):
        return SyncReport(stamp=stamp, checked_only=True)
    report = SyncReport()
    if catalog.state(BACKFILLED) is None:
        report.backfilled = _backfill(library, publisher)
        if report.backfilled:
            stamp = remote.stamp()
    report.stamp = stamp
    heads = remote.heads()
    local_hashes = catalog.hashes()
    local_ids = catalog.chunk_ids_by_source()
    wanted = sorted(
        sid
        for sid, meta in heads.items()
        if full
        or local_hashes.get(sid) != meta.get("content_hash")
        or local_ids.get(sid, set()) != set(record_chunk_ids(meta))
    )
    wanted_chunks = [cid for sid in wanted for cid in record_chunk_ids(heads[sid])]
    present = remote.present_chunks(wanted_chunks) if wanted_chunks else set()
    complete = [sid for sid in wanted if set(record_chunk_ids(heads[sid])) <= present]
    report.incomplete = sorted(set(wanted) - set(complete))
    puts = _take(remote, complete, present, report, set(local_hashes))
    report.removed = sorted(set(local_hashes) - set(heads))
    catalog.apply(puts, report.removed, {SYNCED_STAMP: stamp, BACKFILLED: "1"})
    if report.removed or report.updated:
        library.sentence_vectors.prune()
    report.keyword_rebuilt = library.sync_keyword_index()
    report.incomplete.sort()
    return report


def _take(remote: RemoteStore, complete: list[str], present: set[str], report: SyncReport,
          local: set[str]) -> list[Record]:
    """Fetch and decode the records of ``complete``; note each in ``report`` (added, updated or incomplete)."""
    puts: list[Record] = []
    for sid, document, metadata in remote.fetch(complete):
        try:
            record = decode_record(document, metadata)
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            log.warning("source record %s is unreadable (%s); left out", sid, exc)
            report.incomplete.append(sid)
            continue
        if not set(c.chunk_id for c in record[2]) <= present:  # the record changed since the listing
            report.incomplete.append(sid)
            continue
        puts.append(record)
        (report.updated if sid in local else report.added).append(sid)
    return puts


def _backfill(library: Library, publisher: Publishing) -> list[str]:
    """Publish local sources the server has no record of, once per catalog.

    A catalog written in server mode before source records existed would
    otherwise lose those sources at its first sync (and ``repair`` would then
    delete their vectors). Only sources whose chunk vectors are all stored are
    published.
    """
    catalog = library.catalog
    heads = publisher.remote.heads()
    by_source = catalog.chunk_ids_by_source()
    missing = sorted(set(catalog.hashes()) - set(heads))
    if not missing:
        return []
    present = publisher.remote.present_chunks([cid for sid in missing for cid in by_source.get(sid, ())])
    paths = {r.meta.id: r.path for r in catalog.records()}
    items = [
        (catalog.source(sid), paths[sid], catalog.chunks(sid))
        for sid in missing
        if by_source.get(sid) and by_source[sid] <= present
    ]
    publisher.publish(items)
    return [source.id for source, _path, _chunks in items]
