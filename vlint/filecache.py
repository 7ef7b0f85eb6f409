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


def _load(entry: Path) -> tuple[FileFacts, str | None] | None:
    try:
        with open(entry, "rb") as fh:
            facts, text = pickle.load(fh)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError, TypeError, ImportError):
        return None
    return facts, text


def _slim(facts: FileFacts, text: str | None) -> tuple[FileFacts, str | None]:
    """Keep a file's text only when it holds a suppression comment (the only later use of it)."""
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


def _extract_task(task: tuple[str, str, str]) -> FileFacts:
    from vlint.api import extract_text

    kind, text, display = task
    return extract_text(kind, text, display)


def extract_all(sources: Sequence[SourceFile], config: Config, cwd: Path | None = None) -> Iterator[tuple[FileFacts, str | None]]:
    """Facts (and text, for suppression comments) of every file, in discovery order.

    Each file is read once, here. A file the prefilter rules out gets empty facts without a hash or a
    cache look-up (filtering is cheaper than either); the others come from the cache, or are extracted:
    in this process for a few, in a process pool for many (largest first, so no worker is left with
    a big file at the end), and stored.
    """
    from vlint.api import default_jobs, read_bytes_and_text
    from vlint.extract import passes_word_check

    folder = cache_dir(config, cwd or Path.cwd()) if config.cache else None
    if folder is not None:
        _ensure_gitignore(folder)
    results: list[tuple[FileFacts, str | None] | None] = [None] * len(sources)
    misses: list[tuple[int, str, Path | None]] = []  # (index, text, cache entry)
    for index, source in enumerate(sources):
        data, text, error = read_bytes_and_text(source, config.max_file_size)
        if text is None or not passes_word_check(source.kind, text):
            if error is not None or (text is not None and "vlint:" in text.lower()):
                facts = FileFacts(source.display, source.kind)
                if error is not None:
                    facts.errors.append(error)
                results[index] = _slim(facts, text)
            continue  # None: empty facts, made when yielded (a 100k-file tree need not hold 100k of them)
        entry = folder / _key(source, data, config) if folder is not None and data is not None else None
        cached = _load(entry) if entry is not None else None
        if cached is not None:
            results[index] = cached
        else:
            misses.append((index, text, entry))

    jobs = min(default_jobs(len(misses), config), len(misses))
    tasks = [(sources[i].kind, text, sources[i].display) for i, text, _ in misses]
    if jobs <= 1:
        extracted: Iterator[FileFacts] = map(_extract_task, tasks)
        _place(results, misses, extracted)
    else:
        order = sorted(range(len(tasks)), key=lambda k: -len(tasks[k][1]))
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            done = list(pool.map(_extract_task, [tasks[k] for k in order], chunksize=1))
        by_task: list[FileFacts | None] = [None] * len(tasks)
        for k, facts in zip(order, done, strict=True):
            by_task[k] = facts
        _place(results, misses, iter(by_task))  # type: ignore[arg-type]
    for source, result in zip(sources, results, strict=True):
        yield result if result is not None else (FileFacts(source.display, source.kind), None)


def _place(results: list[tuple[FileFacts, str | None] | None], misses: list[tuple[int, str, Path | None]],
           extracted: Iterator[FileFacts]) -> None:
    for (index, text, entry), facts in zip(misses, extracted, strict=True):
        result = _slim(facts, text)
        if entry is not None:
            _store(entry, result)
        results[index] = result


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
