"""vlint's caches: per user, outside every scanned tree, data only, checked when read.

`folders.py` says where (and creates it safely), `store.py` keeps one project's cache in a SQLite file,
`codec.py` turns facts into JSON and back, `manifest.py` and `walkmemo.py` let a warm run skip unchanged
files and folders, `data.py` keeps the parsed rules data, `hub.py` the Hugging Face Hub answers.
Nothing here is ever an error: a cache that cannot be used, or an entry that fails its checks, is a miss.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vlint.cache.folders import cache_dir

__all__ = ["HubCache", "cache_dir", "clear_cache", "clear_all"]


def __getattr__(name: str) -> Any:
    """`HubCache` and `clear_cache` from `hub.py`, imported only by the runs that use them (a scan offline
    never does)."""
    if name in ("HubCache", "clear_cache"):
        from vlint.cache import hub

        return getattr(hub, name)
    raise AttributeError(f"module 'vlint.cache' has no attribute {name!r}")


def clear_all(project_root: Path) -> int:
    """`vlint cache clear`: this project's cache, the parsed rules data and the Hub answers; how many
    files were removed. Only folders vlint created (they hold its marker), never through a symlink."""
    from vlint.cache import data, folders, hub

    removed = folders.remove_marked(cache_dir() / folders.PROJECTS / folders.project_name(project_root))
    return removed + data.clear() + hub.clear_cache()
