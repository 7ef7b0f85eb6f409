"""A persistent cache of Hugging Face Hub answers, so CI runs and pre-commit hooks pay the network once.

One small JSON file per (model id, revision) in `hub/` of vlint's user cache folder (created as
`folders.py` creates every level: never through a symlink). Files are written to a temporary name and
moved into place with `os.replace`, so concurrent vlint runs never see a half-written entry and never
lose each other's writes. Entries are checked field by field when read, and expire (7 days by default):
model cards change. Only the metadata vlint needs is stored; never a token or a request header.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vlint.cache.folders import cache_dir, ensure_path, owned_folder, trusted_location, write_atomically

DEFAULT_TTL_S: float = 7 * 24 * 3600
_SUBDIR = "hub"
_FORMAT = 1


@dataclass(frozen=True)
class HubCache:
    """Hub answers keyed by model id and revision, each in its own atomically written file."""

    directory: Path
    ttl_s: float = DEFAULT_TTL_S

    @classmethod
    def default(cls) -> HubCache:
        ttl = os.environ.get("VLINT_CACHE_TTL")
        try:
            ttl_s = float(ttl) if ttl else DEFAULT_TTL_S
        except ValueError:
            ttl_s = DEFAULT_TTL_S
        return cls(cache_dir() / _SUBDIR, ttl_s)

    def _path(self, model_id: str, revision: str | None) -> Path:
        key = f"{model_id.lower()}@{revision or 'main'}"
        return self.directory / (hashlib.sha256(key.encode("utf-8")).hexdigest()[:40] + ".json")

    def get(self, model_id: str, revision: str | None = None) -> dict[str, Any] | None:
        """The stored payload, or None when absent, expired or unreadable (a cache is never an error)."""
        path = self._path(model_id, revision)
        if not owned_folder(self.directory) or (self.directory == cache_dir() / _SUBDIR and not trusted_location()):
            return None
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            return None
        if not isinstance(entry, dict) or entry.get("format") != _FORMAT:
            return None
        stored_id = entry.get("id")
        if not isinstance(stored_id, str) or stored_id.lower() != model_id.lower() \
                or entry.get("revision") != (revision or "main"):
            return None  # a hash collision, however unlikely, must not return another model's answer
        stored_at = entry.get("stored_at")
        if not isinstance(stored_at, (int, float)) or time.time() - stored_at > self.ttl_s:
            return None
        payload = entry.get("payload")
        return payload if isinstance(payload, dict) else None

    def put(self, model_id: str, revision: str | None, payload: dict[str, Any]) -> None:
        """Store atomically; failures (read-only home, full disk) are ignored: the cache is an optimisation."""
        entry = {
            "format": _FORMAT,
            "id": model_id,
            "revision": revision or "main",
            "stored_at": time.time(),
            "payload": payload,
        }
        if ensure_path(self.directory) is not None:
            write_atomically(self._path(model_id, revision), json.dumps(entry, sort_keys=True).encode(), ".json")

    def clear(self) -> int:
        removed = 0
        if not owned_folder(self.directory):
            return 0  # never through a symlink
        try:
            entries = list(self.directory.iterdir())
        except OSError:
            return 0
        for path in entries:
            if path.suffix != ".json" or path.is_symlink() or not path.is_file():
                continue
            try:
                path.unlink()
            except OSError:
                continue
            if not path.name.startswith(".tmp-"):  # a writer's leftover is not an entry
                removed += 1
        return removed


def clear_cache() -> int:
    """Delete every cached Hub answer; returns how many entries were removed (`vlint cache clear`)."""
    return HubCache.default().clear()
