"""The `policychat` command line around ingestion: help, listing sources, helpful failures."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from testsupport import child_env


def test_console_script_help_lists_the_commands(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("policychat")
    assert script.is_file(), "the policychat console script is not installed (pip install -e .)"
    result = subprocess.run(
        [str(script), "--help"], cwd=tmp_path, env=child_env(), capture_output=True, text=True, timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for command in ("ingest", "sources", "repair"):
        assert command in result.stdout


def test_sources_json_lists_every_ingested_source(ingested: Any, cli: Callable[..., Any]) -> None:
    result = cli("sources", "--json", data_dir=ingested.settings.store.data_dir)
    assert result.returncode == 0, result.stderr
    listed = {item["id"]: item for item in json.loads(result.stdout)}
    records = {r.meta.id: r for r in ingested.library.catalog.records()}
    assert set(listed) == set(records)
    for source_id, record in records.items():
        item = listed[source_id]
        assert item["title"] == record.meta.title
        assert item["country"] == record.meta.country
        assert item["chunks"] == record.n_chunks > 0
        assert item["pages"] == record.n_pages


def test_sources_table_names_the_count_and_data_dir(ingested: Any, cli: Callable[..., Any]) -> None:
    result = cli("sources", data_dir=ingested.settings.store.data_dir)
    assert result.returncode == 0, result.stderr
    n = len(ingested.library.catalog.records())
    assert f"{n} sources in" in " ".join(result.stdout.split())


def test_sources_json_of_an_empty_library_is_an_empty_list(cli: Callable[..., Any], tmp_path: Path) -> None:
    result = cli("sources", "--json", data_dir=tmp_path / "empty-data")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_ingest_without_paths_or_default_folder_explains_what_to_do(cli: Callable[..., Any], tmp_path: Path) -> None:
    result = cli("ingest", data_dir=tmp_path / "data", cwd=tmp_path)
    assert result.returncode == 1
    assert "No paths given" in result.stderr
    assert "policychat ingest PATH" in result.stderr


def test_ingest_reports_a_missing_path(cli: Callable[..., Any], tmp_path: Path) -> None:
    result = cli("ingest", str(tmp_path / "nowhere"), data_dir=tmp_path / "data")
    assert result.returncode == 1
    assert "no such file or folder" in result.stderr
