"""One bad file loses only itself: a file that crashes or hangs its extractor becomes an error entry and the
scan finishes; workers die with the scan; the process that calls `vlint.api.scan()` is left as it was.

The crashes are real (`tests/extractor_faults.py`: os.abort, a native SIGSEGV, os._exit, a Python loop,
minutes inside OpenSSL), registered in place of the Python extractor before the scan forks its workers.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, scan_dir
from tests.extractor_faults import TARGET
from vlint.cli import main

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux only")

CLIENT = 'from openai import OpenAI\nOpenAI().chat.completions.create(model="Qwen/Qwen2.5-14B", messages=[])\n'
NEAR = "from openai import OpenAI\nclient = OpenAI()\n"  # passes the word check, says nothing


@pytest.fixture
def faulty(monkeypatch: pytest.MonkeyPatch) -> None:
    import vlint.extract as registry

    monkeypatch.setitem(registry.EXTRACTORS, "python", TARGET)


def _tree(project, marker: str) -> Path:
    files = {"client.py": CLIENT, "bad.py": f"# {marker}\n{NEAR}"}
    files.update({f"pkg/near{i:02}.py": NEAR for i in range(40)})
    return project(files)


@pytest.mark.parametrize(("marker", "cause"), [
    ("FAULT-ABORT", "killed by SIGABRT"),
    ("FAULT-SEGV", "killed by SIGSEGV"),
    ("FAULT-EXIT", "exited with status 3"),
])
def test_a_file_that_kills_its_worker_is_an_error_entry_and_the_scan_finishes(project, faulty, marker,
                                                                               cause) -> None:
    root = _tree(project, marker)
    result = scan_dir(root, jobs=2)
    assert {f.path for f in result.findings} == {"client.py"}
    assert [(e.path, "crashed" in e.reason and cause in e.reason) for e in result.errors] == [("bad.py", True)]
    assert result.files_scanned == 42


def test_the_same_in_a_one_worker_scan(project, faulty) -> None:
    root = project({"client.py": CLIENT, "bad.py": f"# FAULT-SEGV\n{NEAR}"})
    result = scan_dir(root)
    assert {f.path for f in result.findings} == {"client.py"}
    assert [e.path for e in result.errors] == ["bad.py"]


@pytest.mark.parametrize(("marker", "reason"), [
    ("FAULT-PYTHON-LOOP", "took longer than 3 s"),  # the timer raises in Python code; the worker goes on
    ("FAULT-NATIVE-LOOP", "time budget"),  # minutes inside OpenSSL: the CPU timer ends the worker
])
@pytest.mark.slow
def test_a_file_past_its_time_budget_is_an_error_entry(project, faulty, monkeypatch, marker, reason) -> None:
    monkeypatch.setenv("VLINT_FILE_TIMEOUT", "3")
    root = _tree(project, marker)
    started = time.monotonic()
    result = scan_dir(root, jobs=2)
    assert time.monotonic() - started < 60
    assert {f.path for f in result.findings} == {"client.py"}
    assert [(e.path, reason in e.reason) for e in result.errors] == [("bad.py", True)]


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.update(int(c) for c in text)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def test_workers_die_with_a_killed_parent(project) -> None:
    root = _tree(project, "FAULT-SLEEP")
    script = textwrap.dedent(f"""
        import sys
        import vlint.extract as registry
        registry.EXTRACTORS["python"] = {TARGET!r}
        from vlint.api import scan
        from vlint.config import Config
        scan([sys.argv[1]], Config(cache=False, jobs=2), cwd=__import__("pathlib").Path(sys.argv[1]))
    """)
    parent = subprocess.Popen([sys.executable, "-c", script, str(root)], cwd=REPO)
    try:
        deadline = time.monotonic() + 60
        workers: set[int] = set()
        while time.monotonic() < deadline and len(workers) < 2:
            workers = _children(parent.pid)
            time.sleep(0.2)
        assert len(workers) == 2, "the scan should have started two workers"
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(w) for w in workers):
            time.sleep(0.1)
        assert not any(_alive(w) for w in workers), "a worker outlived its parent"
    finally:
        parent.kill()
        parent.wait()


def test_a_scan_leaves_its_host_as_it_found_it(project) -> None:
    """No collector setting, frozen object, signal handler, timer or thread is left behind in the process
    that calls `vlint.api.scan()`, whether the host runs the collector or not."""
    root = project({"client.py": CLIENT, "k8s/deploy.yaml": "kind: Deployment\n", "run.sh": "vllm serve x\n"})

    def state() -> tuple:
        return (gc.isenabled(), gc.get_freeze_count(), gc.get_threshold(),
                {s: signal.getsignal(s) for s in (signal.SIGALRM, signal.SIGPROF, signal.SIGINT, signal.SIGCHLD)},
                signal.getitimer(signal.ITIMER_REAL), signal.getitimer(signal.ITIMER_PROF),
                threading.active_count())

    for collecting in (True, False):
        if not collecting:
            gc.disable()
        try:
            before = state()
            result = scan_dir(root)
            assert {f.path for f in result.findings} == {"client.py"}
            assert state() == before
        finally:
            gc.enable()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_named_fifo_or_unreadable_file_is_an_error_entry(project, monkeypatch, capsys) -> None:
    root = project({"client.py": CLIENT})
    os.mkfifo(root / "pipe.py")
    monkeypatch.chdir(root)
    assert main(["scan", "pipe.py", "client.py", "--format", "json", "--no-cache"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["errors"] == [{"path": "pipe.py", "reason": "not read: not a regular file"}]
    assert {f["path"] for f in out["findings"]} == {"client.py"}


@pytest.mark.slow
def test_with_another_thread_running_workers_are_spawned_and_say_the_same(project) -> None:
    """A fork copies one thread (a lock another one holds would stay held in the child): a host with threads
    gets fresh interpreters as workers, which must say exactly what forked ones say."""
    from vlint.extract import procs

    root = _tree(project, "no fault here")
    forked = scan_dir(root, jobs=2)
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert not procs.forkable()
        spawned = scan_dir(root, jobs=2)
    finally:
        release.set()
        other.join()
    assert [f.as_dict() for f in spawned.findings] == [f.as_dict() for f in forked.findings]
    assert {f.path for f in forked.findings} == {"client.py"} and spawned.errors == forked.errors == []
