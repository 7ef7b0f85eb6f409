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
they are spawned.
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
from collections.abc import Iterator
from dataclasses import astuple, dataclass, field
from typing import TYPE_CHECKING, Any

from vlint.cache.codec import CorruptEntry, encode_entry
from vlint.extract.perfile import Done, Item, Job, finish, prepare
from vlint.facts import FileFacts, ParseError

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

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
    process: BaseProcess
    conn: Connection
    tasks: deque[_Task] = field(default_factory=deque)  # handed over, in order; the first is under way
    since: float = 0.0  # when the first one started, as far as this process can tell


class WorkerPool:
    """Up to `size` workers for one scan's tasks; `run` yields every file's `Done`, in no set order."""

    def __init__(self, size: int, job: Job) -> None:
        self.size = max(1, size)
        self.job = job
        self.queue: deque[_Task] = deque()
        self.workers: list[_Worker] = []
        self.failed_starts = 0

    def run(self, tasks: list[list[Item]]) -> Iterator[Done]:
        self.queue.extend(_Task(list(t)) for t in tasks)
        if self.size > 1 and _forkable():
            # Imported once here, each forked worker has them: importing them in every worker costs a core
            # ~0.27 s each (libcst, PyYAML, tree-sitter). One worker imports its own, and the process
            # that called the scan stays as light as it was.
            from vlint.extract import get_extractor

            for kind in sorted({item[3] for task in tasks for item in task}):
                get_extractor(kind)
        try:
            while self.queue or any(w.tasks for w in self.workers):
                self._staff()
                self._hand_out()
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
        import multiprocessing

        context = multiprocessing.get_context("fork" if _forkable() else "spawn")
        ours, theirs = context.Pipe(duplex=True)
        process = context.Process(target=_serve, args=(theirs, astuple(self.job), os.getpid()), daemon=True,
                                  name="vlint-extract")
        try:
            process.start()
        finally:
            theirs.close()
        return _Worker(process, ours)

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
                    worker.conn.send_bytes(message)
                except OSError:
                    break  # it died: `_collect` sees its sentinel and runs its tasks again

    def _collect(self) -> Iterator[Done]:
        from multiprocessing.connection import wait

        waitables: list[Any] = [w.conn for w in self.workers] + [w.process.sentinel for w in self.workers]
        wait(waitables, timeout=POLL_S)
        for worker in list(self.workers):
            garbled = False
            try:
                while worker.tasks and worker.conn.poll():
                    done = [Done.from_json(a) for a in json.loads(worker.conn.recv_bytes())]
                    if [d.index for d in done] != [item[0] for item in worker.tasks[0].items]:
                        raise CorruptEntry("an answer for another task")
                    worker.tasks.popleft()
                    worker.since = time.monotonic()
                    yield from done
            except (EOFError, OSError):
                pass  # it died mid-answer: handled below
            except (ValueError, TypeError):
                garbled = True
            if garbled or (worker.tasks and time.monotonic() - worker.since > self._deadline(worker.tasks[0])):
                worker.process.kill()
                worker.process.join(5)
                why = "it answered with garbage" if garbled else "it stopped answering"
                yield from self._lost(worker, why)
            elif not worker.process.is_alive() or worker.conn.closed:
                yield from self._lost(worker, _cause(worker.process))

    def _deadline(self, task: _Task) -> float:
        """A last resort: a worker's own timers end a slow file long before this (a blocked read, say)."""
        return 2 * self.job.budget_s * len(task.items) + 10

    def _lost(self, worker: _Worker, cause: str) -> Iterator[Done]:
        """A worker died: the task it was on is run again file by file (a file that was already alone is
        the cause, and becomes an error entry); the one queued behind it goes back as it was."""
        self.workers.remove(worker)
        worker.conn.close()
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
        for worker in self.workers:
            try:
                worker.conn.send_bytes(STOP)
            except OSError:
                pass
        deadline = time.monotonic() + 2
        for worker in self.workers:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.conn.close()
        self.workers = []


def _forkable() -> bool:
    """Fork on Linux when no other thread runs here (a fork copies one thread; a lock another one held
    would stay held in the child); spawn otherwise."""
    return sys.platform.startswith("linux") and threading.active_count() == 1


def failed(item: Item, reason: str) -> Done:
    """The error entry of a file that could not be extracted (not recorded: it is tried again next run)."""
    index, _, display, kind, *_ = item
    facts = FileFacts(display, kind)
    facts.errors.append(ParseError(display, reason))
    return Done(index, encode_entry(facts, None))


def _cause(process: BaseProcess) -> str:
    process.join(1)
    code = process.exitcode
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


def _serve(conn: Connection, job_fields: tuple[Any, ...], parent: int) -> None:
    """A worker's life: tasks in, answers out, until the parent says stop or goes away."""
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    job = Job(*job_fields)
    from vlint.cache.store import Reader

    reader = Reader(job.db)
    budget = _Budget(job.budget_s)
    gc.freeze()  # what the parent made (inherited by fork) is not this process's to scan
    known_modules = len(sys.modules)
    while True:
        try:
            message = conn.recv_bytes()
        except (EOFError, OSError):
            return
        if message == STOP:
            return
        answers = [_process(item, job, reader, budget).to_json() for item in json.loads(message)]
        if len(sys.modules) != known_modules:  # an extractor was imported: freeze what it made
            gc.freeze()
            known_modules = len(sys.modules)
        conn.send_bytes(json.dumps(answers).encode())


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
