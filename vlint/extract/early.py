"""A worker started before vlint's own imports, for a run on a few named files (the pre-commit shape).

A one-file run that must extract its file waits for a worker to import the extractor (libcst: ~0.15 s) and
then parse; the scanning process meanwhile imports the rules, opens the cache and reads the project. Forked
at the start of the `vlint` program instead, the worker imports the extractors while the
scanning process does all that, and the pool adopts it (`pool.WorkerPool`) when the scan hands out its
first task. Only vlint's own process starts one (`vlint.cli`), never `vlint.api.scan()` in a host: it is
a process-level act, like the garbage-collector settings there.

It is started only when it will probably be used: every path named is a file, and one of them is of a
kind whose extractor is heavy to import and, for Python, passes the word check (most files say nothing
and are settled without an extractor). A guess that misses costs an import on another core, never a
result: a worker nobody adopted is stopped when the scan returns (`discard`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vlint.extract.procs import Channel, Child

MAX_NAMED = 64  # files named: more, and a pool of several workers is likely (they are forked later, warm)
HEAVY_KINDS = frozenset({"python", "notebook", "yaml", "shell", "markdown", "rst", "dockerfile"})
WORD_SNIFF = 1 << 20  # bytes of a named Python file read for the word check before deciding

_waiting: tuple[Child, Channel] | None = None
_decided = False  # start_for runs once a process: `vlint.program` asks first, `vlint.cli` when run alone


def start_for(paths: Sequence[str], stdin_filename: str | None) -> bool:
    """Start a worker for the kinds of the named files, when one will probably be needed: forked
    first, then the named Python files are word-checked here while it imports; none passes, it is stopped."""
    global _decided
    if _decided:
        return _waiting is not None
    _decided = True
    kinds = _kinds(paths, stdin_filename)
    if not kinds or not start(sorted(kinds)):
        return False
    if not stdin_filename and kinds == {"python"} and not any(_passes_words(p) for p in paths if _is_python(p)):
        discard()
        return False
    return True


def start(kinds: Sequence[str]) -> bool:
    """Fork a worker that imports the extractors of `kinds`, then waits for its job."""
    global _waiting
    from vlint.extract import procs

    if _waiting is not None or os.name == "nt" or not procs.forkable():
        return False
    parent = os.getpid()

    def serve(channel: Channel) -> None:
        from vlint.extract.pool import serve_early

        serve_early(channel, parent, kinds)

    try:
        _waiting = procs.start(serve, [], [])
    except OSError:
        return False
    return True


def take() -> tuple[Child, Channel] | None:
    """The started worker, for the pool to adopt (once); None when there is none."""
    global _waiting
    taken, _waiting = _waiting, None
    return taken


def discard() -> None:
    """Stop a worker that no scan adopted."""
    taken = take()
    if taken is not None:
        from vlint.extract import procs

        procs.end(*taken)


def _kinds(paths: Sequence[str], stdin_filename: str | None) -> set[str]:
    """The heavy kinds among the named files, by name alone (nothing is read before the fork)."""
    from vlint.kinds import kind_of_name

    if stdin_filename:
        return {kind_of_name(os.path.basename(stdin_filename)) or "python"} & HEAVY_KINDS  # as a scan reads it
    if not paths or len(paths) > MAX_NAMED:
        return set()
    kinds: set[str] = set()
    for path in paths:
        if not os.path.isfile(path):
            return set()  # a folder: a whole scan, mostly answered by the cache; its workers start warm
        kind = kind_of_name(os.path.basename(path))
        if kind in HEAVY_KINDS:
            kinds.add(kind)
    return kinds


def _is_python(path: str) -> bool:
    from vlint.kinds import kind_of_name

    return kind_of_name(os.path.basename(path)) == "python"


def _passes_words(path: str) -> bool:
    """Whether a named Python file may need its extractor: False only for one read whole, as the scan will
    read it (a regular file, never a blocking read), without the trigger words."""
    if os.path.islink(path):
        return True  # a link the scan may refuse to read: decided there
    from vlint.extract import passes_word_check
    from vlint.extract.perfile import read_file

    _data, text, error = read_file(path, path, WORD_SNIFF)
    if error is not None:
        return True  # too large, unreadable: the scan says why
    return text is not None and passes_word_check("python", text)
