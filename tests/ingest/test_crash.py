"""A `policychat ingest` killed with SIGKILL at any point recovers on the next run.

The CLI is started on 40 generated files and killed at three different points
in a row on the same data directory (early while starting up, right after the
first source is stored, half-way through storing); then the ingest is re-run
to completion and the library is compared with a clean ingest of the same
folder: same sources, same chunk ids, no duplicate or orphan vectors, and a
BM25 index of the current catalog generation.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from testsupport import child_env, count_rows, wait_until

from ingest.keywords import KeywordIndex
from ingest.pipeline import ingest_paths

N_FILES = 40
SUBJECTS = [
    "export controls",
    "model evaluation",
    "compute thresholds",
    "data security",
    "chip subsidies",
    "AI safety institutes",
    "open-weight models",
    "cloud access",
    "talent visas",
    "standards bodies",
]
VERBS = ["reviewed", "tightened", "funded", "postponed", "expanded", "audited", "clarified", "replaced"]
ACTORS = ["the ministry", "the agency", "Commerce", "the council", "the regulator", "the committee"]


def write_generated_corpus(folder: Path) -> None:
    """Forty small text/Markdown files of different lengths and content (seeded, reproducible)."""
    rng = random.Random(40)
    folder.mkdir(parents=True)
    for i in range(N_FILES):
        subject = SUBJECTS[i % len(SUBJECTS)]
        paragraphs = []
        for p in range(1 + i % 3):
            sentences = [
                f"In {2015 + (i + p) % 11}, {rng.choice(ACTORS)} {rng.choice(VERBS)} the rules on {subject} "
                f"for the {rng.randint(2, 90)} firms listed in annex {i}-{p}."
                for _ in range(rng.randint(3, 7))
            ]
            paragraphs.append(" ".join(sentences))
        suffix = ".md" if i % 2 else ".txt"
        heading = f"# Note {i} on {subject}\n\n" if suffix == ".md" else f"Note {i} on {subject}\n\n"
        (folder / f"note-{i:02d}{suffix}").write_text(heading + "\n\n".join(paragraphs) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class Snapshot:
    """What a finished ingest leaves behind, in comparable form."""

    sources: dict[str, int]  # id -> chunk count
    chunk_ids: frozenset[str]


def snapshot(library: Any) -> Snapshot:
    return Snapshot(
        sources={r.meta.id: r.n_chunks for r in library.catalog.records()},
        chunk_ids=frozenset(c.chunk_id for c in library.catalog.chunks()),
    )


@pytest.fixture(scope="module")
def generated_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("crash") / "notes"
    write_generated_corpus(folder)
    return folder


@pytest.fixture(scope="module")
def clean_snapshot(
    generated_folder: Path, tmp_path_factory: pytest.TempPathFactory, open_library: Callable[[Path], Any]
) -> Snapshot:
    library = open_library(tmp_path_factory.mktemp("clean-data"))
    report = ingest_paths(library, [generated_folder])
    assert report.errors == [] and len(report.added) == N_FILES
    result = snapshot(library)
    assert sum(result.sources.values()) == len(result.chunk_ids) > N_FILES
    return result


def stored_source_count(data_dir: Path) -> int:
    """Sources committed to the catalog so far (0 while it does not exist yet)."""
    return count_rows(data_dir / "catalog.sqlite", "SELECT COUNT(*) FROM sources")


def _catalog_exists_then_wait(seconds: float) -> Callable[[Path, float], bool]:
    return lambda data_dir, elapsed_since_catalog: elapsed_since_catalog >= seconds


def _sources_stored(at_least: int) -> Callable[[Path, float], bool]:
    return lambda data_dir, _elapsed: stored_source_count(data_dir) >= at_least


KILL_POINTS = [
    ("early, while starting up", _catalog_exists_then_wait(1.0)),
    ("right after the first source is stored", _sources_stored(1)),
    ("half-way through storing", _sources_stored(N_FILES // 2)),
]


def start_ingest(folder: Path, data_dir: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "ingest", str(folder)],
        cwd=data_dir.parent,
        env=child_env(POLICYCHAT_DATA_DIR=str(data_dir)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def kill_when(proc: subprocess.Popen[bytes], data_dir: Path, condition: Callable[[Path, float], bool]) -> int:
    """SIGKILL ``proc`` once ``condition`` holds; return how many sources were stored at that moment."""
    catalog_seen_at: list[float] = []

    def reached() -> bool:
        if proc.poll() is not None:
            pytest.fail(f"ingest finished (exit {proc.returncode}) before the kill point was reached")
        if not catalog_seen_at and (data_dir / "catalog.sqlite").exists():
            catalog_seen_at.append(time.monotonic())
        return bool(catalog_seen_at) and condition(data_dir, time.monotonic() - catalog_seen_at[0])

    try:
        wait_until(reached, 240, interval=0.005, message="the kill point")
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    return stored_source_count(data_dir)


def test_repeatedly_killed_ingest_recovers_to_the_same_library_as_a_clean_run(
    generated_folder: Path, clean_snapshot: Snapshot, tmp_path: Path, make_library: Callable[..., Any]
) -> None:
    # One data dir killed three times in a row: each run also has to recover from the previous kill.
    data_dir = tmp_path / "data"
    stored: list[int] = []
    for name, condition in KILL_POINTS:
        proc = start_ingest(generated_folder, data_dir)
        stored.append(kill_when(proc, data_dir, condition))
        assert proc.returncode == -signal.SIGKILL, name
        assert stored[-1] < N_FILES, f"killed {name}, but only after all {N_FILES} sources were stored"
    assert stored[1] >= 1 and stored[2] >= N_FILES // 2, stored

    library = make_library(data_dir)
    report = ingest_paths(library, [generated_folder])

    assert report.errors == []
    assert len(report.unchanged) == stored[-1], "a source stored before the kill had to be redone"
    assert len(report.added) + len(report.unchanged) == N_FILES
    after = snapshot(library)
    assert after == clean_snapshot, "the recovered library differs from a clean ingest"
    vector_ids = library.vectors.ids()
    assert vector_ids == set(after.chunk_ids), (
        f"orphan vectors: {len(vector_ids - after.chunk_ids)}, missing vectors: {len(after.chunk_ids - vector_ids)}"
    )
    keyword = KeywordIndex.load(data_dir / "bm25")
    assert keyword is not None and keyword.generation == library.catalog.generation()
    assert set(keyword.chunk_ids) == set(after.chunk_ids)

    again = ingest_paths(library, [generated_folder])
    assert again.chunks_embedded == 0 and len(again.unchanged) == N_FILES


def test_next_ingest_repairs_what_a_crash_between_stores_leaves(
    make_library: Callable[..., Any], tmp_path: Path
) -> None:
    """The two half-written states a kill can leave, built with the real stores, are repaired."""
    folder = tmp_path / "few"
    folder.mkdir()
    for i, subject in enumerate(SUBJECTS[:3]):
        text = " ".join(
            f"Finding {k} of note {i}: the rules on {subject} were {VERBS[k]} in {2016 + k}." for k in range(8)
        )
        (folder / f"few-{i}.txt").write_text(f"Few {i} on {subject}\n\n{text}\n", encoding="utf-8")
    library = make_library()
    assert len(ingest_paths(library, [folder]).added) == 3
    clean = snapshot(library)

    # 1. vectors upserted, then killed before the catalog transaction: orphan vectors
    source = library.catalog.source("few-0")
    orphans = [
        replace(c, chunk_id=f"few-0:{9000 + n}:deadbeef00") for n, c in enumerate(library.catalog.chunks("few-0"))
    ]
    library.vectors.upsert(
        orphans, library.embeddings.embed_documents([c.embed_text for c in orphans]), [source.meta] * len(orphans)
    )
    # 2. a catalogued source whose vectors are gone (e.g. a store restored from an older backup)
    lost = sorted(library.catalog.chunk_ids_by_source()["few-1"])[:1]
    library.vectors.delete(lost)

    report = ingest_paths(library, [folder])

    assert report.updated == ["few-1"] and sorted(report.unchanged) == ["few-0", "few-2"]
    assert snapshot(library) == clean
    assert library.vectors.ids() == set(clean.chunk_ids)
