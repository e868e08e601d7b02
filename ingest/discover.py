"""Finding the files to ingest: folders walked without recursion, links and special files checked.

A path given directly is used as it is; inside a folder, hidden entries and the
folder's metadata files (``catalog.csv``, ``*.meta.json``, the README of a
catalogued folder) are skipped, and every entry that cannot be used is reported
with a one-line reason instead of stopping the run.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ingest.metadata import CATALOG_NAME


@dataclass
class FileError:
    """One file that could not be ingested, and why (one line)."""

    path: str
    reason: str


def _is_folder_metadata(path: Path) -> bool:
    """Catalogs, sidecars, and the README that describes a catalogued folder."""
    if path.name == CATALOG_NAME or path.name.endswith(".meta.json"):
        return True
    return path.name.lower() == "readme.md" and (path.parent / CATALOG_NAME).is_file()


def discover_files(paths: Iterable[Path]) -> tuple[list[Path], list[FileError]]:
    """Expand folders (recursively, skipping hidden files and metadata files) into files.

    Folders are walked without recursion, so any depth works. Inside a folder, a
    symbolic link is followed only when its target lies in the same folder; links
    that point outside it, broken links and special files (pipes, devices) are
    reported, never opened. A path given directly is used as it is.

    Returns:
        The files in path order, and one error per path that cannot be used.
    """
    files: list[Path] = []
    errors: list[FileError] = []
    for path in paths:
        if "\x00" in str(path):
            errors.append(FileError(str(path), "invalid path: the name contains a NUL byte"))
        elif not _utf8_name(path):
            errors.append(FileError(str(path), NOT_UTF8_NAME))
        elif path.is_dir():
            found, problems = _walk_folder(path)
            files.extend(found)
            errors.extend(problems)
        elif path.is_file():
            files.append(path)
        elif path.is_symlink():
            errors.append(FileError(str(path), "broken symbolic link (its target is missing or it loops)"))
        elif path.exists():
            errors.append(FileError(str(path), "not a regular file (a pipe, socket or device)"))
        else:
            errors.append(FileError(str(path), "no such file or folder"))
    return files, errors


NOT_UTF8_NAME = "file name is not valid UTF-8 (rename the file)"


def _utf8_name(path: Path) -> bool:
    """False for a path holding bytes that are not UTF-8 (Python carries them as lone surrogates)."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _walk_folder(folder: Path) -> tuple[list[Path], list[FileError]]:
    """The ingestible files under ``folder`` (sorted) and the entries that were refused."""
    root = folder.resolve()
    files: list[Path] = []
    errors: list[FileError] = []
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as scan:
                entries = list(scan)
        except OSError as exc:
            errors.append(FileError(str(current), f"cannot read folder ({exc.strerror or exc})"))
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue  # hidden files and folders
            child = current / entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(child)
                    continue
                if entry.is_symlink():
                    try:
                        target = child.resolve(strict=True)
                    except (OSError, RuntimeError):
                        errors.append(FileError(str(child), "broken symbolic link (its target is missing or it loops)"))
                        continue
                    if not target.is_relative_to(root):
                        errors.append(FileError(
                            str(child),
                            f"symbolic link points outside the folder being ingested (to {target}); "
                            "ingest the target itself if it belongs in the library",
                        ))
                        continue
                    if target.is_dir():
                        continue  # its files are reached through the folder itself
                is_file = entry.is_file()
            except OSError as exc:
                errors.append(FileError(str(child), f"cannot read ({exc.strerror or exc})"))
                continue
            if not is_file:
                errors.append(FileError(str(child), "not a regular file (a pipe, socket or device)"))
            elif not _utf8_name(child):
                errors.append(FileError(str(child), NOT_UTF8_NAME))
            elif not _is_folder_metadata(child):
                files.append(child)
    return sorted(files), errors
