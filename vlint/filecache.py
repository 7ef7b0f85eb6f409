"""Per-file extraction at scale: an on-disk cache keyed by content, and a process pool for big scans.

The cache key is a hash of the file's bytes, its display path and kind, vlint's version and the data in
`rules/` (a catalogue edit changes what extractors emit). Entries are written to a temporary file and
renamed into place, so concurrent runs (pre-commit in two terminals, CI shards) never see half a file.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from pathlib import Path

from vlint import __version__
from vlint.config import Config
from vlint.discover import SourceFile
from vlint.facts import FileFacts

CACHE_DIR_NAME = ".vlint_cache"


@lru_cache(maxsize=1)
def _data_digest() -> str:
    from vlint.knowledge import rules_dir

    digest = hashlib.sha256(__version__.encode())
    for path in sorted(rules_dir().glob("*.yaml")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cache_dir(config: Config, cwd: Path) -> Path:
    override = os.environ.get("VLINT_FILE_CACHE_DIR")
    if override:
        return Path(override)
    return (config.root or cwd) / CACHE_DIR_NAME


def _key(source: SourceFile, data: bytes, config: Config) -> str:
    digest = hashlib.sha256()
    for part in (_data_digest(), source.display, source.kind, str(config.max_file_size)):
        digest.update(part.encode())
        digest.update(b"\0")
    digest.update(data)
    return digest.hexdigest()


def _extract_one(args: tuple[SourceFile, Config, str | None]) -> tuple[FileFacts, str | None]:
    source, config, folder = args
    from vlint.api import extract_file

    if folder is None:
        return _slim(extract_file(source, config))
    try:
        data = source.path.read_bytes()
    except OSError:
        return _slim(extract_file(source, config))
    entry = Path(folder) / _key(source, data, config)
    try:
        with open(entry, "rb") as fh:
            facts, text = pickle.load(fh)
            return facts, text
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError, TypeError):
        pass
    result = _slim(extract_file(source, config))
    _store(entry, result)
    return result


def _slim(result: tuple[FileFacts, str | None]) -> tuple[FileFacts, str | None]:
    """Keep a file's text only when it holds a suppression comment (the only later use of it)."""
    facts, text = result
    return facts, text if text is not None and "vlint:" in text.lower() else None


def _store(entry: Path, payload: object) -> None:
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(payload, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, entry)
    except OSError:
        pass  # a read-only checkout still scans, just without a cache


def extract_all(sources: Sequence[SourceFile], config: Config, cwd: Path | None = None) -> Iterator[tuple[FileFacts, str | None]]:
    """Facts (and text, for suppression comments) of every file, in discovery order."""
    from vlint.api import default_jobs

    folder = str(cache_dir(config, cwd or Path.cwd())) if config.cache else None
    if folder is not None:
        _ensure_gitignore(Path(folder))
    jobs = default_jobs(len(sources), config)
    tasks = [(source, config, folder) for source in sources]
    if jobs <= 1:
        for task in tasks:
            yield _extract_one(task)
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(_extract_one, tasks, chunksize=max(1, len(tasks) // (jobs * 8)))


def _ensure_gitignore(folder: Path) -> None:
    marker = folder / ".gitignore"
    if marker.exists():
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        marker.write_text("# Created by vlint: the per-file cache.\n*\n")
    except OSError:
        pass


def clear_file_cache(config: Config, cwd: Path) -> int:
    folder = cache_dir(config, cwd)
    removed = 0
    if folder.is_dir():
        for entry in folder.iterdir():
            if entry.name != ".gitignore":
                try:
                    entry.unlink()
                    removed += 1
                except OSError:
                    pass
    return removed
