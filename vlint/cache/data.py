"""The data in `rules/`, parsed once per content and kept as JSON in `data/` of vlint's user cache folder.

A one-file pre-commit run then skips PyYAML: its import and the parse of `models.yaml` cost ~35 ms, the
JSON load ~0.3 ms. A file is `HEADER digest` on its first line (BLAKE2b of the rest) and the JSON text;
any mismatch is a miss and the YAML is parsed again. YAML maps with integer keys (token ids) are kept as
JSON objects tagged `INT_KEYS`; anything JSON cannot give back exactly (checked when written) is simply
not cached.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from typing import Any

from vlint.cache.folders import cache_dir, ensure_folder, owned_folder, trusted_location, write_atomically

HEADER = "vlint-data 1"
INT_KEYS = "\u0000int-keys"
SUBDIR = "data"


def load(name: str, raw: bytes, parse: Callable[[bytes], Any]) -> Any:
    """`parse(raw)`, from the cache when an intact copy of this content's parse is there."""
    if os.environ.get("VLINT_NO_DATA_CACHE"):
        return parse(raw)
    digest = hashlib.sha256(raw).hexdigest()[:20]
    file_name = f"{name}-{digest}.json"
    folder = cache_dir() / SUBDIR
    if trusted_location() and owned_folder(folder):
        found = _read(folder / file_name)
        if found is not None:
            return found
    data = parse(raw)
    text = _encode(data)
    if text is not None:
        folder = ensure_folder(SUBDIR)
        if folder is not None:
            check = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
            write_atomically(folder / file_name, f"{HEADER} {check}\n{text}".encode())
    return data


def clear() -> int:
    """Delete the parsed copies (`vlint cache clear`); how many went. Never through a symlink."""
    folder = cache_dir() / SUBDIR
    if not owned_folder(folder):
        return 0
    removed = 0
    for entry in os.scandir(folder):
        if entry.is_file(follow_symlinks=False) or entry.is_symlink():
            try:
                os.unlink(entry.path)
                removed += 1
            except OSError:
                pass
    return removed


def _read(path: os.PathLike[str]) -> Any:
    try:
        with open(path, "rb") as fh:
            blob = fh.read()
        head, _, body = blob.partition(b"\n")
        label, _, check = head.decode("ascii").rpartition(" ")
        if label != HEADER or hashlib.blake2b(body, digest_size=16).hexdigest() != check:
            return None
        return json.loads(body, object_hook=_restore)
    except (OSError, ValueError, RecursionError):
        return None


def _encode(data: Any) -> str | None:
    try:
        text = json.dumps(_tag(data), separators=(",", ":"))
        if json.loads(text, object_hook=_restore) != data:
            return None
    except (TypeError, ValueError, RecursionError):
        return None
    return text


def _tag(value: Any) -> Any:
    if isinstance(value, dict):
        if value and all(type(k) is int for k in value):
            return {INT_KEYS: True, **{str(k): _tag(v) for k, v in value.items()}}
        return {k: _tag(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_tag(v) for v in value]
    return value


def _restore(obj: dict[str, Any]) -> dict[Any, Any]:
    if obj.pop(INT_KEYS, None) is True:
        return {int(k): v for k, v in obj.items()}
    return obj
