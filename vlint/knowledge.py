"""Access to the data in `rules/`: model knowledge, the client-API catalogue and rule documents.

The data ships inside the wheel as `vlint/rules/`; in a source checkout it is the top-level `rules/`.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any


def rules_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "rules", here.parent / "rules"):
        if (candidate / "clients.yaml").is_file():
            return candidate
    raise FileNotFoundError("vlint's rules/ data directory is missing from this installation")


@cache
def load_data(name: str) -> Any:
    """Load one YAML data file from rules/ (cached: the data is read-only during a run).

    Parsed once per content: the result is kept as a pickle in vlint's user cache folder (next to the
    Hub answers), keyed by the file's hash, so a one-file pre-commit run skips PyYAML (import and parse,
    ~70 ms of a ~0.5 s run). A missing, unreadable or unwritable cache only means parsing again."""
    import hashlib
    import pickle

    raw = (rules_dir() / name).read_bytes()
    entry = _data_cache_entry(name, hashlib.sha256(raw).hexdigest()[:20])
    if entry is not None:
        try:
            with open(entry, "rb") as fh:
                return pickle.load(fh)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError, TypeError, ImportError):
            pass
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is 10x faster on models.yaml
    data = yaml.load(raw.decode("utf-8"), Loader=loader)  # noqa: S506 - a safe loader, on vlint's own data
    if entry is not None:
        from vlint.cache import write_atomically

        write_atomically(entry, pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
    return data


def _data_cache_entry(name: str, digest: str) -> Path | None:
    if os.environ.get("VLINT_NO_DATA_CACHE"):
        return None
    from vlint.cache import cache_dir

    return cache_dir() / "data" / f"{name}-{digest}.pickle"


def clear_data_cache() -> int:
    """Delete the parsed copies of the rules data (`vlint cache clear`); returns how many were removed."""
    from vlint.cache import cache_dir, remove_entries

    return remove_entries(cache_dir() / "data")
