"""`policychat sources`: a compact listing that fits 80 columns, and every column with --wide."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from testsupport import MINI_DOCS

pytestmark = pytest.mark.process  # the CLI in a subprocess

WIDE_COLUMNS = ["id", "title", "country", "date", "type", "chunks", "pages", "status"]


def listed(cli: Callable[..., Any], data_dir: Path) -> list[dict[str, Any]]:
    done = cli("sources", "--json", data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    sources: list[dict[str, Any]] = json.loads(done.stdout)
    assert len(sources) == len(MINI_DOCS)
    return sources


def test_sources_fit_80_columns_with_every_id_whole_and_its_title_below(
    cli_library: Path, cli: Callable[..., Any]
) -> None:
    done = cli("sources", data_dir=cli_library, env={"COLUMNS": "80"})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert max(cell_len(line) for line in lines) <= 80, done.stdout
    header = next(line for line in lines if line.split()[:1] == ["source"])
    assert header.split() == ["source", "date", "status"]
    for source in listed(cli, cli_library):
        row = next(i for i, line in enumerate(lines) if line.split()[:1] == [source["id"]])
        assert source["date"] in lines[row] and source["status"] in lines[row], lines[row]
        title = lines[row + 1].strip()
        assert title == source["title"] or (title.endswith("…") and source["title"].startswith(title[:-1])), title
    assert len(lines) <= 2 * len(MINI_DOCS) + 4, done.stdout  # two lines a source, a title and a header


def test_sources_wide_shows_every_column_whole(cli_library: Path, cli: Callable[..., Any]) -> None:
    done = cli("sources", "--wide", data_dir=cli_library, env={"COLUMNS": "80"})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    header = next(line for line in lines if "┃" in line)
    assert [cell.strip() for cell in header.strip("┃").split("┃")] == WIDE_COLUMNS
    rows = {cells[0]: cells for cells in ([c.strip() for c in line.strip("│").split("│")]
                                          for line in lines if line.startswith("│"))}
    for source in listed(cli, cli_library):
        assert rows[source["id"]] == [source["id"], source["title"], source["country"], source["date"],
                                      source["doc_type"], str(source["chunks"]), str(source["pages"]),
                                      source["status"]]
