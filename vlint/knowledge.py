"""Access to the data in `rules/`: model knowledge, the client-API catalogue and rule documents.

The data ships inside the wheel as `vlint/rules/`; in a source checkout it is the top-level `rules/`.
"""

from __future__ import annotations

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
    """Load one YAML data file from rules/ (cached: the data is read-only during a run), parsed once per
    content and kept as checked JSON in vlint's user cache folder (`vlint/cache/data.py`)."""
    from vlint.cache import data

    return data.load(name, (rules_dir() / name).read_bytes(), _parse_yaml)


def _parse_yaml(raw: bytes) -> Any:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is 10x faster on models.yaml
    return yaml.load(raw.decode("utf-8"), Loader=loader)  # noqa: S506 - a safe loader, on vlint's own data
