"""Per-file extraction at scale: an on-disk cache keyed by content, and a process pool for big scans.

The cache key is a hash of the file's bytes, its display path and kind, vlint's version and the data in
`rules/` (a catalogue edit changes what extractors emit). Entries are written to a temporary file and
renamed into place, so concurrent runs (pre-commit in two terminals, CI shards) never see half a file.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import time
from collections import deque
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from vlint import __version__
from vlint.config import Config
from vlint.discover import SourceFile
from vlint.facts import FileFacts

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

CACHE_DIR_NAME = ".vlint_cache"
MAX_IN_FLIGHT = 256  # tasks handed to the pool and not yet taken back (each holds a file's text)


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
    from vlint.cache import write_atomically

    write_atomically(entry, pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))


def _extract_task(task: tuple[str, str, str]) -> tuple[FileFacts, str | None]:
    """Extract one file; its text comes back only if it holds a suppression comment (see `_slim`)."""
    from vlint.api import extract_text

    kind, text, display = task
    return _slim(extract_text(kind, text, display), text)


# What one file came to: its result (None: empty facts) and what the manifest learns (None: nothing;
# "": no trigger word; else the cache key of its entry).
_Done = tuple[int, "tuple[FileFacts, str | None] | None", "str | None"]


def _read_and_check(source: SourceFile, config: Config) -> tuple[bytes | None, str | None, tuple | None]:
    """One read and the word check. The third value is None for a file an extractor must see; else what the
    file came to without one: (its result or None for empty facts, what the manifest learns, as in _Done)."""
    from vlint.api import read_bytes_and_text
    from vlint.extract import passes_word_check  # not imported by a warm run that reads nothing
    from vlint.extract.syntax import dropped_file_errors

    data, text, error = read_bytes_and_text(source, config.max_file_size)
    if text is not None and passes_word_check(source.kind, text):
        return data, text, None
    dropped = dropped_file_errors(source.kind, text, source.display) if text is not None else []
    if error is not None or dropped or (text is not None and "vlint:" in text.lower()):
        facts = FileFacts(source.display, source.kind, errors=dropped)
        if error is not None:
            facts.errors.append(error)
        return data, text, (_slim(facts, text), None)  # read again next time: errors and suppressions
    return data, text, (None, "" if text is not None else None)


def _process(index: int, source: SourceFile, folder: Path | None, config: Config) -> _Done:
    """Everything one file needs once the manifest could not vouch for it: read, word check, cache look-up,
    extraction and cache store. Runs in the pool's workers (a chunk of files a task), so the parent does
    not spend its core reading, checking, hashing and pickling texts while the workers wait for it."""
    data, text, early = _read_and_check(source, config)
    if early is not None:
        return index, *early
    assert text is not None
    key = _key(source, data, config) if folder is not None and data is not None else None
    entry = folder / key if folder is not None and key is not None else None
    cached = _load(entry) if entry is not None else None
    if cached is not None:
        return index, cached, key
    result = _extract_task((source.kind, text, source.display))
    if entry is not None:
        _store(entry, result)
    return index, result, key


def _start_pool(workers: int, kinds: set[str]) -> ProcessPoolExecutor:
    """A pool whose workers (forked, where the platform forks) start with the extractors of these kinds
    already imported: imported once here rather than once a worker (libcst alone is ~0.25 s of CPU), and
    frozen out of the garbage collector's scans, which also spares the workers copying those pages."""
    import gc
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from vlint.extract import get_extractor, prepare_worker

    if multiprocessing.get_start_method(allow_none=False) == "fork":
        for kind in sorted(kinds):
            get_extractor(kind)
        gc.freeze()
    return ProcessPoolExecutor(max_workers=workers, initializer=prepare_worker, initargs=(sorted(kinds),))


def _process_chunk(chunk: list[tuple[int, SourceFile]], folder: Path | None, config: Config) -> list[_Done]:
    return [_process(index, source, folder, config) for index, source in chunk]


CHUNK = 32  # files a pool task: few enough tasks that handing them out costs nothing, enough to balance


def extract_all(sources: Sequence[SourceFile], config: Config, cwd: Path | None = None) -> Iterator[tuple[FileFacts, str | None]]:
    """Facts (and text, for suppression comments) of every file, in discovery order.

    A file the manifest knows unchanged costs a `stat`. The others are read once: a file the prefilter
    rules out gets empty facts without a hash or a cache look-up (filtering is cheaper than either); the
    rest come from the cache, or are extracted. A small scan does all of it in this process. Once enough
    files need an extractor (`PARALLEL_MIN_FILES`), a process pool starts with the files read so far, and
    every later file goes to the workers by path, in chunks: they read, check, hash, extract and store,
    and this process only collects the results (in order, as they come) and keeps the manifest.
    """
    from vlint.api import PARALLEL_MIN_FILES, default_jobs

    folder = cache_dir(config, cwd or Path.cwd()) if config.cache else None
    if folder is not None:
        _ensure_gitignore(folder)
    manifest = _Manifest.load(folder, config, cwd or Path.cwd()) if folder is not None else None
    results: list[tuple[FileFacts, str | None] | None] = [None] * len(sources)
    waiting: list[tuple[int, Path | None, tuple[str, str, str]]] = []  # read before the pool starts
    inflight: deque[tuple[int, Path | None, Future]] = deque()  # index -1: a chunk
    chunk: list[tuple[int, SourceFile]] = []
    stats: dict[int, os.stat_result] = {}  # misses the manifest will learn about
    pool: ProcessPoolExecutor | None = None
    threshold = 1 if config.jobs and config.jobs > 1 else PARALLEL_MIN_FILES

    def place(index: int, entry: Path | None, result: tuple[FileFacts, str | None]) -> None:
        if entry is not None:
            _store(entry, result)
        silent = _says_nothing(result)
        results[index] = None if silent else result  # None: empty facts, made when yielded
        stat = stats.pop(index, None)
        if stat is not None and manifest is not None and silent:
            manifest.keep(sources[index], stat, _NOTHING)

    def place_done(done: list[_Done]) -> None:
        for index, result, outcome in done:
            silent = result is None or _says_nothing(result)
            results[index] = None if silent else result
            stat = stats.pop(index, None)
            if stat is not None and manifest is not None and outcome is not None:
                manifest.keep(sources[index], stat, _NOTHING if outcome and silent else outcome)

    def take(*, all_of_them: bool) -> None:
        # Bounded: a queued single-file task holds its file's text; results are taken in order as they come.
        while inflight and (all_of_them or len(inflight) > MAX_IN_FLIGHT or inflight[0][2].done()):
            i, e, future = inflight.popleft()
            if i < 0:
                place_done(future.result())
            else:
                place(i, e, future.result())

    try:
        for index, source in enumerate(sources):
            stat = manifest.stat(source) if manifest is not None else None
            if stat is not None and manifest is not None:
                known = manifest.unchanged(source, stat)
                if known in ("", _NOTHING):
                    manifest.keep(source, stat, known)
                    continue  # unchanged since a run that found no trigger word, or nothing, in it
                if known is not None and folder is not None:
                    cached = _load(folder / known)
                    if cached is not None:
                        results[index] = cached
                        manifest.keep(source, stat, known)
                        continue
            if pool is not None:
                if stat is not None:
                    stats[index] = stat
                chunk.append((index, source))
                if len(chunk) >= CHUNK:
                    inflight.append((-1, None, pool.submit(_process_chunk, chunk, folder, config)))
                    chunk = []
                    take(all_of_them=False)
                continue
            data, text, early = _read_and_check(source, config)
            if early is not None:
                result, outcome = early
                if result is not None:
                    results[index] = result
                elif outcome == "" and stat is not None and manifest is not None:
                    manifest.keep(source, stat, "")
                continue  # None: empty facts, made when yielded (a 100k-file tree need not hold 100k of them)
            assert text is not None
            key = _key(source, data, config) if folder is not None and data is not None else None
            entry = folder / key if folder is not None and key is not None else None
            if stat is not None and manifest is not None and key is not None:
                manifest.keep(source, stat, key)
            cached = _load(entry) if entry is not None else None
            if cached is not None:
                results[index] = cached
                if stat is not None and manifest is not None and _says_nothing(cached):
                    manifest.keep(source, stat, _NOTHING)
                continue
            if stat is not None and manifest is not None:
                stats[index] = stat
            waiting.append((index, entry, (source.kind, text, source.display)))
            if len(waiting) >= threshold and default_jobs(len(waiting), config) > 1:
                pool = _start_pool(default_jobs(len(waiting), config), {s.kind for s in sources})
                inflight.extend((i, e, pool.submit(_extract_task, t)) for i, e, t in waiting)
                waiting = []
        if chunk and pool is not None:
            inflight.append((-1, None, pool.submit(_process_chunk, chunk, folder, config)))
        for i, e, t in waiting:
            place(i, e, _extract_task(t))
        take(all_of_them=True)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    if manifest is not None:
        manifest.save()
    for source, result in zip(sources, results, strict=True):
        yield result if result is not None else (FileFacts(source.display, source.kind), None)


class _Manifest:
    """What the last run learnt of each file, by size and modification time, so a warm run neither
    reads, word-checks nor hashes a file that did not change (ruff keys its cache on mtime the same way).
    A file changed within two seconds of the last run's start is read again anyway ("racy", as git calls
    it: a later write in the same clock tick would keep the time). One pickle per configuration, written
    atomically: two concurrent runs each leave a complete one."""

    RACY_NS = 2_000_000_000

    def __init__(self, path: Path, entries: dict[str, tuple[int, int, str]], written_ns: int) -> None:
        self.path = path
        # display path -> (size, mtime_ns, outcome): "" no trigger word, "-" extracted and nothing found,
        # else the cache key of what it said
        self.entries = entries
        self.written_ns = written_ns
        self.started_ns = time.time_ns()
        self.fresh: dict[str, tuple[int, int, str]] = {}

    @classmethod
    def load(cls, folder: Path, config: Config, cwd: Path) -> _Manifest:
        # display paths are relative to the working directory: a manifest per directory (and data, config)
        digest = hashlib.sha256(f"{_data_digest()}\0{config.max_file_size}\0{cwd}".encode()).hexdigest()[:16]
        path = folder / f"manifest-{digest}.pickle"
        try:
            with open(path, "rb") as fh:
                written_ns, entries = pickle.load(fh)
            if isinstance(entries, dict) and isinstance(written_ns, int):
                return cls(path, entries, written_ns)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError, TypeError, ImportError):
            pass
        return cls(path, {}, 0)

    @staticmethod
    def stat(source: SourceFile) -> os.stat_result | None:
        try:
            return os.stat(source.location)
        except OSError:
            return None

    def unchanged(self, source: SourceFile, stat: os.stat_result) -> str | None:
        known = self.entries.get(source.display)
        if known is None or known[0] != stat.st_size or known[1] != stat.st_mtime_ns \
                or stat.st_mtime_ns >= self.written_ns - self.RACY_NS:
            return None
        return known[2]

    def keep(self, source: SourceFile, stat: os.stat_result, outcome: str) -> None:
        self.fresh[source.display] = (stat.st_size, stat.st_mtime_ns, outcome)

    def save(self) -> None:
        """Merge what this run learnt over what earlier runs did (a pre-commit run sees a few files); an
        earlier entry is carried over only if it was not racy when recorded."""
        if all(self.entries.get(name) == value for name, value in self.fresh.items()) \
                and all(v[1] < self.written_ns - self.RACY_NS for v in self.fresh.values()):
            return  # nothing new, nothing racy: the file on disk says all of it already
        limit = self.written_ns - self.RACY_NS
        merged = {name: value for name, value in self.entries.items() if value[1] < limit}
        merged.update(self.fresh)
        _store(self.path, (self.started_ns, merged))


_NOTHING = "-"  # a manifest outcome: read and extracted, and it said nothing (no pickle to load)


def _says_nothing(result: tuple[FileFacts, str | None]) -> bool:
    facts, text = result
    return text is None and not (facts.serves or facts.requests or facts.env or facts.errors)


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
    from vlint.cache import remove_entries

    return remove_entries(cache_dir(config, cwd), keep=(".gitignore",))
