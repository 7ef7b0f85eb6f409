"""Worker processes without `multiprocessing`: a fork (or a fresh interpreter) and a pair of pipes.

`multiprocessing` costs a one-file scan ~14 ms to import and more at exit, pickles what it hands a
spawned child, and a spawned child re-imports the host program's `__main__`. A worker needs none of it:
on Linux, when the calling process runs no other thread, `os.fork` (milliseconds; the child has every
module the parent imported); otherwise a fresh `python -c` whose stdin and stdout are the pipes. Messages
are length-prefixed byte strings; an end of file from a worker means it is gone, and its exit status says
how.
"""

from __future__ import annotations

import os
import signal
import struct
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import subprocess

_HEADER = struct.Struct("<Q")
SPAWN_ENTRY = "from vlint.extract.pool import serve_spawned; serve_spawned()"


class Channel:
    """One end of a worker's two pipes: messages in on `rfd`, out on `wfd`."""

    def __init__(self, rfd: int, wfd: int) -> None:
        self.rfd, self.wfd = rfd, wfd

    def fileno(self) -> int:
        return self.rfd

    def send(self, data: bytes) -> None:
        view = memoryview(_HEADER.pack(len(data)) + data)
        while view:
            view = view[os.write(self.wfd, view):]

    def recv(self) -> bytes:
        """The next whole message; EOFError when the other side has gone."""
        (size,) = _HEADER.unpack(self._exactly(_HEADER.size))
        return self._exactly(size)

    def _exactly(self, size: int) -> bytes:
        chunks, left = [], size
        while left:
            chunk = os.read(self.rfd, min(left, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        for fd in {self.rfd, self.wfd}:
            try:
                os.close(fd)
            except OSError:
                pass


class Child:
    """A worker process this process started: forked (`pid`) or spawned (`popen`)."""

    def __init__(self, pid: int, popen: subprocess.Popen[bytes] | None = None) -> None:
        self.pid, self.popen = pid, popen
        self.exitcode: int | None = None

    def poll(self) -> int | None:
        """The exit status (negative: the signal that ended it) once it has ended, else None."""
        if self.exitcode is None:
            if self.popen is not None:
                self.exitcode = self.popen.poll()
            else:
                try:
                    pid, status = os.waitpid(self.pid, os.WNOHANG)
                except ChildProcessError:
                    return self.exitcode
                if pid:
                    self.exitcode = os.waitstatus_to_exitcode(status)
        return self.exitcode

    def wait(self, timeout: float) -> int | None:
        start = time.monotonic()
        while self.poll() is None and time.monotonic() - start < timeout:
            time.sleep(0.0005 if time.monotonic() - start < 0.02 else 0.005)  # a stopped worker exits in ~1 ms
        return self.exitcode

    def kill(self) -> None:
        if self.poll() is None:
            try:
                if self.popen is not None:
                    self.popen.kill()
                else:
                    os.kill(self.pid, signal.SIGKILL)
            except OSError:
                pass
            self.wait(5)


def end(child: Child, channel: Channel) -> None:
    """Stop a worker this process no longer needs, whatever it is doing: its pipes closed (it reads an end of
    file), then killed and reaped."""
    channel.close()
    child.kill()


def forkable() -> bool:
    """Fork on Linux when no other thread runs here (a fork copies one thread; a lock another one held
    would stay held in the child); spawn otherwise."""
    return sys.platform.startswith("linux") and threading.active_count() == 1


def start(serve: Callable[[Channel], None], spawn_args: Sequence[str],
          inherited: Sequence[Channel]) -> tuple[Child, Channel]:
    """A worker running `serve` on its end of the pipes (forked), or `SPAWN_ENTRY` with `spawn_args`.
    `inherited`: the channels to other workers, which a forked child closes at once."""
    if forkable():
        return _fork(serve, inherited)
    import subprocess

    popen = subprocess.Popen([sys.executable, "-c", SPAWN_ENTRY, *spawn_args], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, close_fds=True)
    assert popen.stdin is not None and popen.stdout is not None
    channel = Channel(os.dup(popen.stdout.fileno()), os.dup(popen.stdin.fileno()))
    popen.stdout.close()
    popen.stdin.close()
    return Child(popen.pid, popen), channel


def _fork(serve: Callable[[Channel], None], inherited: Sequence[Channel]) -> tuple[Child, Channel]:
    import ctypes  # noqa: F401 - for the worker's PR_SET_PDEATHSIG: imported once here, not in each worker

    to_child, from_parent = os.pipe()[::-1]  # (write end, read end)
    from_child, to_parent = os.pipe()
    for stream in (sys.stdout, sys.stderr):  # nothing buffered here may be written twice
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass
    pid = os.fork()
    if pid == 0:  # the worker: it never returns into the caller's stack
        code = 1
        try:
            os.close(to_child)
            os.close(from_child)
            for channel in inherited:
                channel.close()
            serve(Channel(from_parent, to_parent))
            code = 0
        except BaseException:  # noqa: BLE001 - reported by the exit status; the parent reruns the files
            pass
        finally:
            os._exit(code)
    os.close(from_parent)
    os.close(to_parent)
    return Child(pid), Channel(from_child, to_child)


def spawned_channel() -> Channel:
    """In a spawned worker: the pipes are stdin and stdout; stdout becomes stderr, so that nothing printed
    by mistake can garble a message."""
    out = os.dup(1)
    os.dup2(2, 1)
    return Channel(0, out)
