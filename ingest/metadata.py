"""Source metadata: from a folder's ``catalog.csv``, a sidecar, front matter, or inference.

Precedence for each field: ``catalog.csv`` row for the file > sidecar
``NAME.meta.json`` (or ``NAME.ext.meta.json``) > hints the file declares
(front matter, PDF/DOCX properties, HTML metadata) > inferred (file stem as id,
first heading as title, country OTHER).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from ingest.clean import looks_chinese
from ingest.models import COUNTRIES, ParsedDocument, SourceMeta
from policychat.errors import IngestError

CATALOG_NAME = "catalog.csv"
_COUNTRY_ALIASES = {
    "USA": "US",
    "UNITED STATES": "US",
    "U.S.": "US",
    "UNITED STATES OF AMERICA": "US",
    "CHINA": "CN",
    "PRC": "CN",
    "PEOPLE'S REPUBLIC OF CHINA": "CN",
    "中国": "CN",
    "INTERNATIONAL": "INTL",
    "UN": "INTL",
    "GLOBAL": "INTL",
}
_FIELDS = ("id", "title", "publisher", "country", "date", "doc_type", "original_url", "aliases", "status", "relations")


def read_catalog(folder: Path) -> dict[str, dict[str, str]]:
    """Read ``folder/catalog.csv`` into {file name: row}; empty when there is none.

    Raises:
        IngestError: the catalog exists but lacks the ``id`` column or is not CSV.
    """
    path = folder / CATALOG_NAME
    if not path.is_file():
        return {}
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise IngestError(f"catalog is not a UTF-8 CSV ({exc})", str(path)) from exc
    if rows and "id" not in rows[0]:
        raise IngestError("catalog has no 'id' column", str(path))
    by_file: dict[str, dict[str, str]] = {}
    for row in rows:
        key = (row.get("file") or "").strip() or (row.get("id") or "").strip()
        if key:
            by_file[key] = {k: (v or "").strip() for k, v in row.items() if k}
    return by_file


def catalog_row_for(path: Path, catalog: dict[str, dict[str, str]]) -> dict[str, str]:
    """The catalog row for ``path``, matched by file name, then by id == stem."""
    return catalog.get(path.name) or catalog.get(path.stem) or {}


def _sidecar(path: Path) -> dict[str, str]:
    for candidate in (path.with_name(path.name + ".meta.json"), path.with_suffix(".meta.json")):
        if candidate.is_file():
            try:
                data = json.loads(candidate.read_text(encoding="utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise IngestError(f"sidecar is not valid JSON ({exc})", str(candidate)) from exc
            if not isinstance(data, dict):
                raise IngestError("sidecar must be a JSON object", str(candidate))
            return {str(k): str(v) for k, v in data.items() if v is not None}
    return {}


def slugify(name: str) -> str:
    """A safe source id from a file stem: word characters, '.', '-' only, at most 120 characters.

    A name with no word characters at all (say, only emoji) gets ``source-`` plus a
    short hash of the name, so two such files never share an id.
    """
    slug = re.sub(r"[^\w.-]+", "-", name.strip(), flags=re.UNICODE).strip("-.").lower()
    slug = slug[:120].rstrip("-.")
    return slug or "source-" + hashlib.sha1(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def clean_date(value: str) -> str:
    """``YYYY[-MM[-DD]]`` (the first 10 characters) when ``value`` starts with a year, else ""."""
    value = value.strip()
    return value[:10] if re.match(r"\d{4}(?!\d)", value) else ""


def normalize_country(value: str) -> str:
    """Map a country name or code to one of US, CN, INTL, OTHER."""
    code = value.strip().upper()
    code = _COUNTRY_ALIASES.get(code, code)
    return code if code in COUNTRIES else "OTHER"


def _first_heading(text: str) -> str:
    for line in text.split("\n"):
        line = line.strip().lstrip("#").strip()
        if len(line) >= 3 and any(ch.isalnum() for ch in line):  # not a rule such as "---"
            return line[:200]
    return ""


def resolve_source_meta(
    path: Path,
    doc: ParsedDocument,
    catalog_row: dict[str, str] | None = None,
    overrides: dict[str, Any] | None = None,
) -> SourceMeta:
    """Merge metadata for one file by precedence (overrides > catalog > sidecar > hints > inferred).

    Args:
        path: the source file (its name and stem are used for inference).
        doc: the parsed document (hints, text for title/language inference).
        catalog_row: the file's ``catalog.csv`` row, if any.
        overrides: explicit metadata, e.g. from an API upload form.

    Returns:
        The resolved, validated :class:`SourceMeta`.
    """
    hints = dict(doc.hints)
    if "source_url" in hints and "original_url" not in hints:
        hints["original_url"] = hints["source_url"]
    if "url" in hints and "original_url" not in hints:
        hints["original_url"] = hints["url"]
    merged: dict[str, str] = {}
    for layer in (hints, _sidecar(path), catalog_row or {}, overrides or {}):
        merged.update({k: str(v) for k, v in layer.items() if k in _FIELDS and str(v).strip()})
    source_id = slugify(merged.get("id") or path.stem)
    return SourceMeta(
        id=source_id,
        title=merged.get("title") or _first_heading(doc.text) or path.stem,
        publisher=merged.get("publisher", ""),
        country=normalize_country(merged.get("country", "OTHER")),
        date=clean_date(merged.get("date", "")),
        doc_type=merged.get("doc_type", "") or "document",
        original_url=merged.get("original_url") or None,
        file=path.name,
        language="zh" if looks_chinese(doc.text) else "en",
        aliases=merged.get("aliases", ""),
        status=merged.get("status", ""),
        relations=merged.get("relations", ""),
    )
