"""Extraction in worker processes: a time budget per file, and a file that kills its worker loses only itself.

Each worker takes a task (a chunk of files), runs `perfile.prepare` and `perfile.finish` on every file
and answers with what each came to. A worker
- runs each extraction under a budget: a timer raises inside Python code when the budget is spent (the
  file becomes an error entry, the worker goes on), and a CPU timer at twice the budget ends the worker
  when native code never returns;
- dies with the scanning process (Linux `PR_SET_PDEATHSIG`; elsewhere a thread that watches the parent),
  and leaves Ctrl-C to it;
- keeps the garbage collector off while a file is extracted and freezes what the imports made: an
  extraction leaves almost no cycles (its trees are freed by reference counting), while the collector
  would rescan a growing parse tree many times over. These are the worker's own process settings;
  the process that called `vlint.api.scan()` never sees them.
When a worker dies (a native crash, the kernel's OOM killer, `os._exit`, the CPU timer), the files of its
task are run again one by one; a file that kills a worker on its own becomes an error entry naming the
cause, and the scan goes on. Messages are JSON both ways, checked on arrival.

Workers are forked on Linux when this process runs no other thread (they start in milliseconds and share
the parent's imported modules: for a pool of several, the extractors are imported here first); otherwise
they are fresh interpreters (`procs.py`). On Windows, where pipes cannot be waited on, there is no pool:
`PoolUnavailable`, and the driver extracts in its own process.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import astuple, dataclass, field
from functools import partial
from typing import Any

from vlint.cache.codec import CorruptEntry, encode_entry
from vlint.extract import get_extractor, prepare_worker, procs
from vlint.extract.perfile import Done, Item, Job, finish, prepare
from vlint.facts import FileFacts, ParseError

POLL_S = 1.0
STOP = b""
MAX_FAILED_STARTS = 3
QUEUED_MAX_BYTES = 16 << 10  # a task queued behind another one waits in a pipe (64 KiB on Linux)


class PoolUnavailable(Exception):
    """No worker could be kept running; `unfinished` holds the tasks left to do some other way."""

    def __init__(self, unfinished: list[list[Item]]) -> None:
        super().__init__("no worker process could be started")
        self.unfinished = unfinished


@dataclass
class _Task:
    items: list[Item]
    alone: bool = False  # one file of a task whose worker died: if this one dies too, the file is the cause


@dataclass
class _Worker:
    child: procs.Child
    channel: procs.Channel
    tasks: deque[_Task] = field(default_factory=deque)  # handed over, in order; the first is under way
    since: float = 0.0  # when the first one started, as far as this process can tell


class WorkerPool:
    """Up to `size` workers for one scan's tasks; `run` yields every file's `Done`, in no set order."""

    def __init__(self, size: int, job: Job, adopted: tuple[procs.Child, procs.Channel] | None = None) -> None:
        self.size = max(1, size)
        self.job = job
        self.adopted = adopted  # a worker started ahead (`early.py`), warm: the first one, its job its first message
        self.queue: deque[_Task] = deque()
        self.workers: list[_Worker] = []
        self.failed_starts = 0

    def run(self, tasks: list[list[Item]], while_waiting: Callable[[], object] | None = None) -> Iterator[Done]:
        """Every file's `Done`; `while_waiting` runs here once the workers have their first tasks (work
        this process would do after the extraction anyway, done while it would only wait)."""
        self.queue.extend(_Task(list(t)) for t in tasks)
        if os.name == "nt":
            raise PoolUnavailable([t.items for t in self.queue])
        if self.size > 1 and procs.forkable():
            # Imported once here, each forked worker has them: importing them in every worker costs a core
            # ~0.27 s each (libcst, PyYAML, tree-sitter). One worker imports its own, and the process
            # that called the scan stays as light as it was.
            for kind in sorted({item[3] for task in tasks for item in task}):
                get_extractor(kind)
        try:
            while self.queue or any(w.tasks for w in self.workers):
                self._staff()
                self._hand_out()
                if while_waiting is not None:
                    while_waiting()
                    while_waiting = None
                yield from self._collect()
        finally:
            self._stop_all()

    # ---- the parent's side --------------------------------------------------------------------------

    def _staff(self) -> None:
        busy = sum(1 for w in self.workers if w.tasks)
        while len(self.workers) < min(self.size, busy + len(self.queue)):
            try:
                self.workers.append(self._start())
            except OSError:  # fork refused (process or memory limits)
                self.failed_starts += 1
                if self.workers:
                    return
                if self.failed_starts >= MAX_FAILED_STARTS:
                    raise PoolUnavailable([t.items for t in self.queue]) from None

    def _start(self) -> _Worker:
        if self.adopted is not None:
            (child, channel), self.adopted = self.adopted, None
            try:
                channel.send(json.dumps(astuple(self.job)).encode())
                return _Worker(child, channel)
            except OSError:
                procs.end(child, channel)
        parent = os.getpid()
        child, channel = procs.start(partial(_serve, job=self.job, parent=parent),
                                     [json.dumps(astuple(self.job)), str(parent)],
                                     [w.channel for w in self.workers])
        return _Worker(child, channel)

    def _hand_out(self) -> None:
        """A task to every idle worker, and a second, small one queued behind it, so a worker never waits
        for this process between tasks (on a busy machine it may not be scheduled at once). Only small
        messages wait in a pipe: this process never blocks on a full pipe while a worker blocks on its
        answer."""
        for worker in self.workers:
            while self.queue and len(worker.tasks) < 2:
                message = json.dumps(self.queue[0].items).encode()
                if worker.tasks and len(message) > QUEUED_MAX_BYTES:
                    break
                task = self.queue.popleft()
                if not worker.tasks:
                    worker.since = time.monotonic()
                worker.tasks.append(task)
                try:
                    worker.channel.send(message)
                except OSError:
                    break  # it died: `_collect` sees it and runs its tasks again

    def _collect(self) -> Iterator[Done]:
        """Wait for an answer (at most `POLL_S`), take one from each worker that has one, and deal with the
        workers that died or stopped answering."""
        import selectors

        with selectors.DefaultSelector() as selector:
            for worker in self.workers:
                selector.register(worker.channel, selectors.EVENT_READ, worker)
            ready = [key.data for key, _ in selector.select(POLL_S)]
        for worker in ready:
            try:
                done = [Done.from_json(a) for a in json.loads(worker.channel.recv())]
                if not worker.tasks or [d.index for d in done] != [item[0] for item in worker.tasks[0].items]:
                    raise CorruptEntry("an answer for another task")
            except (EOFError, OSError):
                yield from self._lost(worker, _cause(worker.child))
                continue
            except (ValueError, TypeError):
                worker.child.kill()
                yield from self._lost(worker, "it answered with garbage")
                continue
            worker.tasks.popleft()
            worker.since = time.monotonic()
            yield from done
        for worker in list(self.workers):
            if worker.tasks and time.monotonic() - worker.since > self._deadline(worker.tasks[0]):
                worker.child.kill()
                yield from self._lost(worker, "it stopped answering")

    def _deadline(self, task: _Task) -> float:
        """A last resort: a worker's own timers end a slow file long before this (a blocked read, say)."""
        return 2 * self.job.budget_s * len(task.items) + 10

    def _lost(self, worker: _Worker, cause: str) -> Iterator[Done]:
        """A worker died: the task it was on is run again file by file (a file that was already alone is
        the cause, and becomes an error entry); the one queued behind it goes back as it was."""
        self.workers.remove(worker)
        worker.channel.close()
        if not worker.tasks:
            self.failed_starts += 1
            if self.failed_starts >= MAX_FAILED_STARTS and not self.workers:
                raise PoolUnavailable([t.items for t in self.queue])
            return
        current, *waiting = worker.tasks
        self.queue.extendleft(reversed(waiting))
        if current.alone:
            item = current.items[0]
            yield failed(item, f"the {item[3]} extractor crashed on this file ({cause}); skipped")
        else:
            self.queue.extendleft(_Task([item], alone=True) for item in reversed(current.items))

    def _stop_all(self) -> None:
        if self.adopted is not None:  # never needed
            procs.end(*self.adopted)
            self.adopted = None
        for worker in self.workers:
            try:
                worker.channel.send(STOP)
            except OSError:
                pass
        deadline = time.monotonic() + 2
        for worker in self.workers:
            if worker.child.wait(max(0.0, deadline - time.monotonic())) is None:
                worker.child.kill()
            worker.channel.close()
        self.workers = []


def failed(item: Item, reason: str) -> Done:
    """The error entry of a file that could not be extracted (not recorded: it is tried again next run)."""
    index, _, display, kind, *_ = item
    facts = FileFacts(display, kind)
    facts.errors.append(ParseError(display, reason))
    return Done(index, encode_entry(facts, None))


def _cause(child: procs.Child) -> str:
    code = child.wait(1)
    if code is None:
        return "it stopped answering"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        if -code == getattr(signal, "SIGPROF", None):
            return "it used more than twice its time budget of CPU and was stopped"
        if -code == getattr(signal, "SIGKILL", None):
            return "killed by SIGKILL, as the kernel does when memory runs out"
        return f"killed by {name}"
    return f"the worker exited with status {code}"


# ---- the worker's side ------------------------------------------------------------------------------------

class FileTimeout(BaseException):
    """The time budget of one file ran out (a BaseException: an extractor's `except Exception` lets it by)."""


class _Budget:
    """One file's time budget: SIGALRM at the budget raises `FileTimeout` in Python code; SIGPROF at twice
    the budget in CPU time ends the process (its default action) when native code never returns."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.armed = False
        self.usable = hasattr(signal, "setitimer")
        if self.usable:
            signal.signal(signal.SIGALRM, self._expired)
            signal.signal(signal.SIGPROF, signal.SIG_DFL)

    def _expired(self, _signum: int, _frame: object) -> None:
        if self.armed:
            self.armed = False
            raise FileTimeout

    def __enter__(self) -> None:
        if self.usable:
            self.armed = True
            signal.setitimer(signal.ITIMER_PROF, 2 * self.seconds)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *_exc: object) -> None:
        if self.usable:
            self.armed = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.setitimer(signal.ITIMER_PROF, 0)


def _serve(channel: procs.Channel, job: Job, parent: int) -> None:
    """A worker's life: tasks in, answers out, until the parent says stop or goes away."""
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from vlint.cache.store import Reader

    reader = Reader(job.db)
    budget = _Budget(job.budget_s)
    gc.freeze()  # what the parent made (inherited by fork) is not this process's to scan
    known_modules = len(sys.modules)
    while (message := _next(channel)) is not None:
        items = json.loads(message)
        prepare_worker({item[3] for item in items})  # what an extractor changes in vlint's own workers only
        answers = [_process(item, job, reader, budget).to_json() for item in items]
        if len(sys.modules) != known_modules:  # an extractor was imported: freeze what it made
            gc.freeze()
            known_modules = len(sys.modules)
        channel.send(json.dumps(answers).encode())


def warm_up(kinds: Sequence[str]) -> None:
    """Import the extractors of `kinds` (and make their worker settings) before any file arrives. Extracting
    a sample file too, to build the tables an extractor makes on first use, was measured slower: the worker
    is usually the one the run waits for, and a sample takes paths a real file does not."""
    prepare_worker(kinds)
    for kind in kinds:
        get_extractor(kind)


def serve_early(channel: procs.Channel, parent: int, kinds: Sequence[str]) -> None:
    """The life of a worker started ahead of the scan (`early.py`): import the extractors of `kinds`, then
    take the job from the first message and serve as any worker."""
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    warm_up(kinds)
    message = _next(channel)
    if message is not None:
        _serve(channel, Job(*json.loads(message)), parent)


def _next(channel: procs.Channel) -> bytes | None:
    """A worker's next message; None when the parent says stop or has gone."""
    try:
        message = channel.recv()
    except (EOFError, OSError):
        return None
    return None if message == STOP else message


def serve_spawned() -> None:
    """A spawned worker's entry (`procs.SPAWN_ENTRY`): the job and the parent's pid come as arguments."""
    job = Job(*json.loads(sys.argv[1]))
    _serve(procs.spawned_channel(), job, int(sys.argv[2]))


def _process(item: Item, job: Job, reader: Any, budget: _Budget) -> Done:
    ready = prepare(item, job, reader)
    if isinstance(ready, Done):
        return ready
    gc.disable()
    try:
        with budget:
            return finish(ready)
    except FileTimeout:
        return failed(item, f"the {item[3]} extractor took longer than {job.budget_s:g} s on this file; skipped")
    finally:
        gc.enable()


def _die_with_parent(parent: int) -> None:
    """End this worker when the scanning process ends, however it ends (SIGKILL included)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            pr_set_pdeathsig = 1
            if ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0) == 0:
                if os.getppid() != parent:
                    os._exit(0)  # the parent ended before the call
                return
        except (OSError, AttributeError):
            pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="vlint-parent-watch", daemon=True).start()
