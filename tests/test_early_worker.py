"""The `vlint` program starts an extraction worker before its own imports when the named files will probably
need one (`vlint/extract/early.py`, `vlint/program.py`); the scan adopts it. What a user would check: the
findings are the same, no second worker is forked for a one-file run, a worker the scan does not need is
stopped, a worker that dies early loses nothing, and a host calling `vlint.cli.main` never gets one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import click
import pytest

from tests.conftest import REPO
from vlint import program
from vlint.api import scan
from vlint.config import Config
from vlint.extract import early, procs

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux only")

CLIENT = 'from openai import OpenAI\nOpenAI().chat.completions.create(model="Qwen/Qwen2.5-14B", messages=[])\n'
QUIET = "import os\nprint(os.getcwd())\n"  # no trigger word: settled without an extractor


@pytest.fixture(autouse=True)
def fresh(monkeypatch: pytest.MonkeyPatch):
    """Each test decides afresh, and no worker outlives it."""
    monkeypatch.setattr(early, "_decided", False)
    monkeypatch.setattr(early, "_waiting", None)
    yield
    early.discard()


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every worker `procs.start` starts from now on (the early one is started before this is asked for)."""
    started: list[int] = []
    real = procs.start

    def counting(*args, **kwargs):
        child, channel = real(*args, **kwargs)
        started.append(child.pid)
        return child, channel

    monkeypatch.setattr(procs, "start", counting)
    return started


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    (tmp_path / "vlint.toml").write_text("")
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def test_a_started_worker_is_adopted_and_no_other_is_forked(tmp_path, forks) -> None:
    root = _project(tmp_path, {"client.py": CLIENT})
    assert early.start(["python"])
    child = early._waiting[0]
    forks.clear()
    result = scan([str(root / "client.py")], Config(cache=False), cwd=root)
    assert [(f.rule, f.path, f.line) for f in result.findings] == [("VL001", "client.py", 2)]
    assert forks == []  # the one-file run used the early worker
    assert early.take() is None
    assert child.wait(5) is not None  # stopped with the pool


def test_the_same_findings_as_a_scan_without_one(tmp_path) -> None:
    root = _project(tmp_path, {"client.py": CLIENT, "serve.sh": "vllm serve Qwen/Qwen2.5-14B\n"})
    expected = scan([str(root / "client.py")], Config(cache=False), cwd=root)
    assert early.start(["python"])
    got = scan([str(root / "client.py")], Config(cache=False), cwd=root)
    assert got.findings == expected.findings
    assert expected.findings


def test_a_worker_that_died_before_the_scan_loses_nothing(tmp_path) -> None:
    root = _project(tmp_path, {"client.py": CLIENT})
    assert early.start(["python"])
    early._waiting[0].kill()
    result = scan([str(root / "client.py")], Config(cache=False), cwd=root)
    assert [f.rule for f in result.findings] == ["VL001"]
    assert not result.errors


def test_no_worker_for_named_python_files_without_trigger_words(tmp_path) -> None:
    root = _project(tmp_path, {"quiet.py": QUIET, "other.py": QUIET})
    assert not early.start_for([str(root / "quiet.py"), str(root / "other.py")], None)
    assert early._waiting is None


def test_no_worker_for_a_quiet_python_file_beside_files_of_light_kinds(tmp_path) -> None:
    root = _project(tmp_path, {"quiet.py": QUIET, "notes.txt": "Qwen/Qwen2.5-14B\n", "data.json": "{}"})
    named = [str(root / name) for name in ("quiet.py", "notes.txt", "data.json")]
    assert not early.start_for(named, None)
    assert early._waiting is None


def test_a_worker_for_any_named_file_that_may_need_one(tmp_path) -> None:
    root = _project(tmp_path, {"quiet.py": QUIET, "client.py": CLIENT})
    assert early.start_for([str(root / "quiet.py"), str(root / "client.py")], None)
    assert early._waiting is not None


@pytest.mark.parametrize("named", [["."], ["missing.py"], ["notes.csv"]])
def test_no_worker_for_folders_missing_or_unread_kinds(tmp_path, monkeypatch, named) -> None:
    root = _project(tmp_path, {"notes.csv": "a,b\n"})
    monkeypatch.chdir(root)
    assert not early.start_for(named, None)
    assert early._waiting is None


def test_an_unneeded_worker_is_stopped_and_reaped() -> None:
    assert early.start(["python"])
    child = early._waiting[0]
    early.discard()
    assert child.exitcode is not None
    assert early._waiting is None


def test_a_host_calling_main_gets_no_early_worker(tmp_path, monkeypatch, capsys) -> None:
    from vlint.cli import main

    root = _project(tmp_path, {"client.py": CLIENT})
    monkeypatch.chdir(root)
    assert main(["scan", "client.py", "--no-cache", "-q"]) == 1
    assert not early._decided and early._waiting is None


ALIAS_CLIENT = 'from openai import OpenAI\nOpenAI().chat.completions.create(model="qwen", messages=[])\n'
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: qwen}
spec:
  template:
    spec:
      containers:
        - name: vllm
          image: vllm/vllm-openai:latest
          args: ["--model", "Qwen/Qwen2.5-14B", "--served-model-name", "qwen"]
"""
_COUNTING = textwrap.dedent("""
    import atexit, sys
    import vlint.extract.procs as procs
    real, started = procs.start, []
    def counting(*args, **kwargs):
        started.append(1)
        return real(*args, **kwargs)
    procs.start = counting
    atexit.register(lambda: sys.stderr.write(f"workers started: {len(started)}\\n"))
    from vlint.program import run
    run()
""")


@pytest.mark.parametrize(("args", "stdin", "expected"), [
    (["client.py"], None, [("VL001", "client.py")]),
    (["deploy.yaml"], None, [("VL001", "app.py")]),  # a launch alone: the client it breaks, linked
    (["--stdin-filename", "app.py"], ALIAS_CLIENT, [("VL001", "app.py")]),
], ids=["client", "launch-yaml-alone", "stdin"])
def test_the_program_uses_its_early_worker_end_to_end(tmp_path, args, stdin, expected) -> None:
    """The real entry point (`vlint.program:run`, as the console script runs it) in its own process: one
    worker started in all (the early one, adopted), the findings a user expects, exit 1."""
    (tmp_path / "project").mkdir()
    root = _project(tmp_path / "project", {"client.py": CLIENT, "app.py": ALIAS_CLIENT, "deploy.yaml": DEPLOYMENT})
    env = {**os.environ, "VLINT_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(REPO)}  # outside the tree
    for path in root.iterdir():  # written an hour ago: the cache's stamps vouch for them (no racy re-read)
        os.utime(path, (path.stat().st_atime - 3600, path.stat().st_mtime - 3600))
    subprocess.run([sys.executable, "-c", _COUNTING, "scan", ".", "-q"], cwd=root, env=env, capture_output=True,
                   check=False, timeout=120)  # the cache primed: the rest of the project is read from it
    for name in args[:1]:
        if name in ("client.py", "deploy.yaml"):  # edited since: the pre-commit shape
            with open(root / name, "a") as handle:
                handle.write("\n")
    done = subprocess.run([sys.executable, "-c", _COUNTING, "scan", *args, "--format", "json"], cwd=root,
                          input=stdin, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1, done.stderr
    assert sorted((f["rule"], f["path"]) for f in json.loads(done.stdout)["findings"]) == expected
    # the early worker, and none else
    assert "workers started: 1" in done.stderr


@pytest.mark.parametrize(("argv", "paths", "stdin"), [
    (["a.py"], ["a.py"], None),
    (["scan", "a.py", "-o", "report.py", "b.yaml"], ["a.py", "b.yaml"], None),
    (["scan", "--format=json", "--select", "VL001", "a.py"], ["a.py"], None),
    (["-j4", "-q", "a.py", "--isolated"], ["a.py"], None),
    (["scan", "--stdin-filename", "app/x.py"], [], "app/x.py"),
    (["--stdin-filename=app/x.py"], [], "app/x.py"),
    (["scan", "--", "-odd.py"], ["-odd.py"], None),
    (["probe", "http://127.0.0.1:8000"], [], None),
    (["scan", "--help"], [], None),
    ([], [], None),
])
def test_the_command_line_is_read_as_click_reads_it(argv, paths, stdin) -> None:
    assert program.named_files(argv) == (paths, stdin)


def test_the_options_that_take_a_value_are_the_clis() -> None:
    """`vlint.program` reads the command line before click is imported: its list must be the CLI's."""
    from vlint.cli import cli
    from vlint.cli import scan as scan_command

    takes_value = {opt for p in scan_command.params if isinstance(p, click.Option) and not p.is_flag
                   for opt in (*p.opts, *p.secondary_opts)}
    assert program.VALUE_OPTIONS == takes_value
    assert program.COMMANDS == set(cli.commands) - {"scan"}


def test_the_program_exits_fast_with_every_byte_written_and_its_exit_handlers_run(tmp_path) -> None:
    """`vlint.cli._leave` skips the interpreter's teardown: a large report through a pipe must still arrive
    whole, the exit code must be the scan's, and handlers registered with atexit must still run."""
    root = _project(tmp_path, {})
    for i in range(150):
        (root / f"client_{i}.py").write_text(CLIENT)
    code = textwrap.dedent("""
        import atexit, sys
        atexit.register(lambda: sys.stderr.write("exit handler ran\\n"))
        from vlint.program import run
        run()
    """)
    env = {**os.environ, "VLINT_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", code, "scan", ".", "--format", "json"], cwd=root,
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 1, done.stderr
    findings = json.loads(done.stdout)["findings"]
    assert len(done.stdout) > 65536 and len(findings) == 150
    assert "exit handler ran" in done.stderr
