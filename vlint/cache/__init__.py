"""vlint's caches: per user, outside every scanned tree, data only, checked when read.

`folders.py` says where (and creates it safely), `store.py` keeps one project's cache in a SQLite file,
`codec.py` turns facts into JSON and back, `manifest.py` and `walkmemo.py` let a warm run skip unchanged
files and folders, `data.py` keeps the parsed rules data, `hub.py` the Hugging Face Hub answers.
Nothing here is ever an error: a cache that cannot be used, or an entry that fails its checks, is a miss.
"""

from __future__ import annotations

from pathlib import Path

from vlint.cache.folders import cache_dir
from vlint.cache.hub import HubCache, clear_cache

__all__ = ["HubCache", "cache_dir", "clear_cache", "clear_all"]


def clear_all(project_root: Path) -> int:
    """`vlint cache clear`: this project's cache, the parsed rules data and the Hub answers; how many
    files were removed. Only folders vlint created (they hold its marker), never through a symlink."""
    from vlint.cache import data, folders

    removed = folders.remove_marked(cache_dir() / folders.PROJECTS / folders.project_name(project_root))
    return removed + data.clear() + clear_cache()
