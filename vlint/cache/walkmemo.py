"""A remembered walk: the files a walk of folders found, and what that answer depended on (its trail).

The next walk of the same folders with the same exclusions takes the answer when nothing on the trail
changed, which costs a `stat` a folder instead of listing and matching every entry (a warm scan of
vLLM). The trail notes, by `stat` (size, modification and status-change times, inode; racy within two
seconds of the walk's start, as the manifest): every folder listed (an added, removed or renamed entry
changes it), every folder above the scanned one up to the repository top (a new `.gitignore` or `.git`
there), every `.gitignore` read (an edit does not change its folder), every virtual environment skipped,
every extension-less file whose first line decided its kind; and every symlink met, by the real path and
kind it resolves to (a dangling link whose target appears, a retargeted link). A path that did not exist
is noted as missing. The payload is JSON in the project's store, checked field by field on the way back.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from typing import Any

from vlint.cache.manifest import RACY_NS
from vlint.cache.store import Store

FORMAT = 1
Found = list[tuple[str, str, str]]   # (location, display, kind) of each file
Errors = list[tuple[str, str]]       # (display, reason)


class Trail:
    """What a walk's answer depends on; `notes` are JSON-ready lists."""

    def __init__(self) -> None:
        self.notes: list[list[Any]] = []

    def note(self, path: str) -> None:
        self.notes.append(_observe_stat(path))

    def note_link(self, path: str) -> None:
        self.notes.append(_observe_link(path))


def _observe_stat(path: str) -> list[Any]:
    try:
        st = os.stat(path)
    except OSError:
        return ["missing", path]
    return ["stat", path, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def _observe_link(path: str) -> list[Any]:
    try:
        st = os.stat(path)
        kind = "dir" if stat.S_ISDIR(st.st_mode) else "file" if stat.S_ISREG(st.st_mode) else "other"
    except OSError:
        kind = "none"
    return ["link", path, os.path.realpath(path), kind]


def _unchanged(note: Any, started_ns: int) -> bool:
    if not isinstance(note, list) or len(note) < 2 or not isinstance(note[1], str):
        return False
    if note[0] == "stat":
        return _observe_stat(note[1]) == note and max(note[3], note[4]) < started_ns - RACY_NS
    if note[0] == "missing":
        return _observe_stat(note[1]) == note
    if note[0] == "link":
        return _observe_link(note[1]) == note
    return False


def scope_of(*parts: object) -> str:
    return hashlib.sha256(repr((FORMAT, parts)).encode("utf-8", "surrogatepass")).hexdigest()[:32]


class WalkMemo:
    """Remembered walks in a project's store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def recall(self, scope: str) -> tuple[Found, Errors] | None:
        """The remembered answer, if it is intact and nothing on its trail changed."""
        payload = self.store.blob("walk", scope)
        if payload is None:
            return None
        try:
            data = json.loads(payload)
            started, notes, columns, errors = data["started"], data["trail"], data["found"], data["errors"]
            if not isinstance(started, int) or not isinstance(notes, list):
                return None
            files = _columns(columns, 3)
            problems = _columns(errors, 2)
        except (ValueError, TypeError, KeyError, RecursionError):
            return None
        if not all(_unchanged(note, started) for note in notes):
            return None
        return files, problems  # type: ignore[return-value]

    def remember(self, scope: str, started_ns: int, trail: Trail, found: Found, errors: Errors) -> None:
        payload = {"started": started_ns, "trail": trail.notes, "found": _joined(found, 3),
                   "errors": _joined(errors, 2)}
        self.store.put_blob("walk", scope, json.dumps(payload, separators=(",", ":")))


def _joined(rows: list[tuple[str, ...]], size: int) -> list[str]:
    """Rows of strings as one NUL-separated string per column (no path holds a NUL): a walk of vLLM
    remembers 4,500 files, which JSON then reads as three strings instead of 13,500."""
    return ["\0".join(row[i] for row in rows) for i in range(size)]


def _columns(columns: Any, size: int) -> list[tuple[str, ...]]:
    if type(columns) is not list or len(columns) != size or not all(type(c) is str for c in columns):
        raise TypeError("a remembered walk of the wrong shape")
    if not columns[0]:
        return []
    split = [c.split("\0") for c in columns]
    if any(len(c) != len(split[0]) for c in split):
        raise TypeError("a remembered walk of the wrong shape")
    return list(zip(*split, strict=True))
