"""The extraction driver: every discovered file's facts, from the cache or from its extractor, by one path.

Per file, in order, stopping at the first step that settles it:
1. its stamp (`vlint/cache/manifest.py`): unchanged since a run that found nothing in it, or whose facts
   are stored, costs a `stat`;
2. one read (regular files only, never blocking, never past `max-file-size`) and the kind's word check
   (microseconds): most files end here;
3. its content key, looked up in the project's cache;
4. its extractor, in a worker process (`pool.py`: a per-file time budget, and a file that kills its
   worker costs only itself).
Steps 2-4 are `perfile.prepare` and `perfile.finish`, run unchanged by this process and by the workers.
This process reads files until `PARALLEL_MIN_FILES` of them need an extractor (most scans are a few
files from pre-commit: one worker then extracts them); past that, workers read and extract the rest
themselves, in chunks, and this process only places their results and stores what they made.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from vlint.cache.codec import CorruptEntry, decode_entry
from vlint.cache.manifest import Manifest
from vlint.cache.walkmemo import WalkMemo
from vlint.discover import SourceFile
from vlint.extract.perfile import Done, Item, Job, data_digest, file_budget, prepare, process
from vlint.facts import FileFacts, ParseError

if TYPE_CHECKING:
    from vlint.cache.store import Store
    from vlint.config import Config

# Files that need an extractor before a pool of several workers pays for its start: each worker imports
# the extractors itself (libcst: ~0.3 s of CPU), while a parse costs 10-20 ms.
PARALLEL_MIN_FILES = 64
CHUNK = 32  # files a worker task: few enough tasks that handing them out costs nothing, enough to balance
TEXT_CHUNK = 8  # files already read by this process, a task (their texts travel with it)


@dataclass
class ProjectCache:
    """A project's cache as one scan uses it: the store, the stamps of this scan's scope, remembered walks."""

    store: Store
    manifest: Manifest
    memo: WalkMemo

    @classmethod
    def open(cls, root: Path, scanned: Sequence[Path], config: Config, cwd: Path) -> ProjectCache | None:
        """The cache of the project at `root`, or None when it cannot be kept safely outside `scanned`."""
        from vlint.cache import folders
        from vlint.cache.store import Store
        from vlint.cache.walkmemo import scope_of

        folder = folders.project_folder(root, scanned)
        if folder is None:
            return None
        folders.sweep_projects()
        store = Store.open(folder)
        if store is None:
            return None
        # display paths are relative to the working folder, keys depend on the data and the size limit
        scope = scope_of("stamps", data_digest(), config.max_file_size, os.fspath(cwd))
        return cls(store, Manifest(store, scope), WalkMemo(store))


def extract_texts(texts: Sequence[tuple[str, str, str]], config: Config,
                  while_waiting: Callable[[], object] | None = None) -> list[FileFacts]:
    """The facts of texts given as (kind, text, display name), as a scan extracts files (stdin, editors).
    `while_waiting`: as for `extract_all`."""
    job = Job(config.max_file_size, False, None, file_budget())
    results = [FileFacts(display, kind) for kind, _, display in texts]

    def place(done: Done) -> None:
        if done.payload:
            kind, _, display = texts[done.index]
            results[done.index] = _decoded(done.payload, SourceFile("", display, kind))[0]

    _run([[i, None, display, kind, text, None] for i, (kind, text, display) in enumerate(texts)], job, None,
         config, place, isolate=True, while_waiting=while_waiting)
    return results


def extract_all(sources: Sequence[SourceFile], config: Config, *, store: Store | None = None,
                manifest: Manifest | None = None, isolate: bool = True, budget_s: float | None = None,
                while_waiting: Callable[[], object] | None = None) -> Iterator[tuple[FileFacts, str | None]]:
    """Facts (and the text of files with suppression comments) of every file, in discovery order.

    `store`/`manifest`: the project's cache, or None. `isolate=False` extracts in this process (no time
    budget, no crash isolation: for tests that compare the two). `while_waiting` runs once in this
    process while workers extract (not at all when nothing needs extracting)."""
    job = Job(config.max_file_size, store is not None, str(store.path) if store is not None else None,
              budget_s if budget_s is not None else file_budget())
    results: list[tuple[FileFacts, str | None] | None] = [None] * len(sources)
    stats: dict[int, os.stat_result] = {}
    fresh: list[tuple[str, str]] = []

    def place(done: Done) -> None:
        source = sources[done.index]
        if done.fresh and done.key is not None and done.payload is not None:
            fresh.append((done.key, done.payload))
        st = stats.pop(done.index, None)
        if manifest is not None and st is not None and done.outcome is not None:
            manifest.keep(source.display, st, done.outcome)
        if done.payload:
            results[done.index] = _decoded(done.payload, source)

    todo: list[Item] = []
    vouched: dict[int, str] = {}  # files the stamps vouch for, by the key of their stored facts
    for index, st, known in _stamps(sources, manifest):
        if known == "":
            continue  # unchanged since a run that found nothing in it
        if st is not None:
            stats[index] = st
        if known is not None and store is not None:
            vouched[index] = known
            continue
        todo.append(_item(index, sources[index]))
    if vouched and store is not None:
        decoded, failed = _decode_stored(store, vouched)
        for index, entry in decoded.items():
            results[index] = entry
            stats.pop(index)
        todo.extend(_item(index, sources[index]) for index in failed)
        todo.sort(key=lambda item: item[0])

    try:
        _run(todo, job, store, config, place, isolate, while_waiting)
    finally:
        if store is not None and fresh:
            store.put_facts(fresh)
        if manifest is not None:
            manifest.save()
    for source, result in zip(sources, results, strict=True):
        yield result if result is not None else (FileFacts(source.display, source.kind), None)


def stored_facts(sources: Sequence[SourceFile], store: Store,
                 manifest: Manifest) -> dict[str, tuple[FileFacts, str | None]]:
    """The facts of the files the stamps vouch for, decoded, by display path (a file recorded as saying
    nothing: empty facts); the rest are left to `extract_all`. A `stat` a file and one query, in this
    process: nothing is read, extracted or written."""
    found: dict[str, tuple[FileFacts, str | None]] = {}
    vouched: dict[str, str] = {}
    for index, _st, known in _stamps(sources, manifest):
        source = sources[index]
        if known == "":
            found[source.display] = (FileFacts(source.display, source.kind), None)
        elif known is not None:
            vouched[source.display] = known
    found.update(_decode_stored(store, vouched)[0])  # what fails to decode is left to extract_all
    return found


def stored_entries(sources: Sequence[SourceFile], store: Store, manifest: Manifest) -> list[str] | None:
    """The stored entry texts (undecoded) of the files that said something, when the stamps vouch for every
    file; None as soon as one changed since it was recorded (or its entry is gone): then only reading it
    would tell. A `stat` a file, and one query for the entries."""
    keys: set[str] = set()
    for _index, _st, known in _stamps(sources, manifest):
        if known is None:
            return None
        if known:
            keys.add(known)
    found = store.get_many(list(keys))
    return list(found.values()) if len(found) == len(keys) else None


def _stamps(sources: Sequence[SourceFile],
            manifest: Manifest | None) -> Iterator[tuple[int, os.stat_result | None, str | None]]:
    """Each file's index, `stat`, and what the stamps say of it: "" (unchanged, said nothing), the key of its
    stored facts (unchanged), or None (changed, new, or no manifest)."""
    for index, source in enumerate(sources):
        st = manifest.stat(source.location) if manifest is not None else None
        yield index, st, (manifest.known(source.display, st) if manifest is not None and st is not None else None)


K = TypeVar("K")  # what a caller names files by (an index, a display path)


def _decode_stored(store: Store, vouched: dict[K, str]) -> tuple[dict[K, tuple[FileFacts, str | None]], list[K]]:
    """The stored facts of `vouched` (anything -> entry key), decoded in one query; and what is missing or
    fails its checks (to be read again)."""
    stored = store.get_many(list(set(vouched.values())))
    decoded: dict[K, tuple[FileFacts, str | None]] = {}
    failed: list[K] = []
    for name, key in vouched.items():
        try:
            decoded[name] = decode_entry(stored[key])
        except (KeyError, CorruptEntry):
            failed.append(name)
    return decoded, failed


def _item(index: int, source: SourceFile) -> Item:
    return [index, source.location, source.display, source.kind, None, None]


def _run(todo: list[Item], job: Job, store: Store | None, config: Config, place: Callable[[Done], None],
         isolate: bool, while_waiting: Callable[[], object] | None = None) -> None:
    """Read in this process until enough files need an extractor to be worth a pool of several workers,
    then hand the rest to the workers by path; what this process read goes to them with its text."""
    waiting: list[Item] = []
    position = 0
    while position < len(todo) and len(waiting) < PARALLEL_MIN_FILES:
        ready = prepare(todo[position], job, store)
        position += 1
        if isinstance(ready, Done):
            place(ready)
        else:
            waiting.append(ready)
    rest = todo[position:]
    tasks = [waiting[i:i + TEXT_CHUNK] for i in range(0, len(waiting), TEXT_CHUNK)]
    tasks += [rest[i:i + CHUNK] for i in range(0, len(rest), CHUNK)]
    from vlint.extract import early

    if not tasks:
        early.discard()  # the `vlint` program's worker started ahead is not needed: stopped before it costs more
        return
    if isolate:
        from vlint.extract.pool import PoolUnavailable, WorkerPool  # only a run with something to extract

        few = not rest and len(waiting) < PARALLEL_MIN_FILES
        pool = WorkerPool(worker_count(len(tasks), config, few=few), job, adopted=early.take())
        try:
            for done in pool.run(tasks, while_waiting):
                place(done)
            return
        except PoolUnavailable as exc:
            tasks = exc.unfinished  # no process could be started: the rest is done here
    for task in tasks:
        for item in task:
            place(process(item, job, store))


def _decoded(payload: str, source: SourceFile) -> tuple[FileFacts, str | None]:
    try:
        return decode_entry(payload)
    except CorruptEntry as exc:  # a worker's own output: only a bug in the codec gets here
        facts = FileFacts(source.display, source.kind)
        facts.errors.append(ParseError(source.display, f"internal error: facts lost in transit ({exc})"))
        return facts, None


def worker_count(tasks: int, config: Config, *, few: bool) -> int:
    """Worker processes: `jobs` when set, else one for a few files and a core each (at most 8) once enough
    need an extractor; never more than there are tasks to hand out."""
    from vlint.config import usable_cpus

    wanted = config.jobs or (1 if few else min(usable_cpus(), 8))
    return max(1, min(wanted, tasks))
