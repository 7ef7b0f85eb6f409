"""The pre-commit hook, proven with the real `pre-commit try-repo` on a temporary git repository.

pre-commit builds its own environment for the hook from this repository (pip, from the package index),
runs `vlint` on the staged files, and fails when a staged file holds a base-model chat call, or when a
staged file breaks another one of the project (issue 16: the staged files are linked against the rest).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO

BAD = ('from openai import OpenAI\n'
       'OpenAI().chat.completions.create(model="Qwen/Qwen2.5-14B", messages=[], temperature=0.1)\n')
GOOD = BAD.replace("Qwen2.5-14B", "Qwen2.5-14B-Instruct")


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One hook environment for the module's tests (pre-commit builds it once: pip, from the index)."""
    return tmp_path_factory.mktemp("pc-home")


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"})


def test_hook_manifest_is_well_formed():
    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert hooks["vlint"]["language"] == "python" and hooks["vlint"]["require_serial"] is True
    assert {"python", "yaml", "shell", "dockerfile", "json"} <= set(hooks["vlint"]["types_or"])
    assert hooks["vlint-verify"]["stages"] == ["manual"]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("git") is None, reason="git is required for pre-commit")
def test_pre_commit_try_repo_fails_a_staged_base_model_chat_and_passes_instruct(tmp_path: Path,
                                                                                 pre_commit_home: Path):
    pre_commit = [sys.executable, "-m", "pre_commit"]
    work = tmp_path / "work"
    work.mkdir()
    _git(work, "init", "-q")
    env = {**os.environ, "PRE_COMMIT_HOME": str(pre_commit_home), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}

    (work / "client.py").write_text(BAD)
    _git(work, "add", "client.py")
    bad = subprocess.run([*pre_commit, "try-repo", str(REPO), "vlint"], cwd=work, env=env,
                         capture_output=True, text=True, timeout=900)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "VL001" in bad.stdout and "client.py" in bad.stdout

    (work / "client.py").write_text(GOOD)
    _git(work, "add", "client.py")
    good = subprocess.run([*pre_commit, "try-repo", str(REPO), "vlint"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=900)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout


SERVE = "#!/usr/bin/env bash\nvllm serve Qwen/Qwen2.5-14B{tuned} --served-model-name qwen --port 8000\n"
CLIENT = ('from openai import OpenAI\n'
          'client = OpenAI(base_url="http://localhost:8000/v1")\n'
          '{comment}client.chat.completions.create(model="qwen", messages=[{{"role": "user", "content": "hi"}}])\n')
SUPPRESSION = "# vlint: ignore[VL001] a continuation experiment chats with the base model on purpose\n"


def _project(tmp_path: Path, tuned: str) -> Path:
    """A git repository whose client `app/client.py` calls the alias `qwen` that `serve.sh` serves (from the
    base model, or from the instruct one with `tuned="-Instruct"`), committed."""
    work = tmp_path / "work"
    (work / "app").mkdir(parents=True)
    _git(work, "init", "-q")
    (work / "serve.sh").write_text(SERVE.format(tuned=tuned))
    (work / "app" / "client.py").write_text(CLIENT.format(comment=""))
    _git(work, "add", "-A")
    _git(work, "commit", "-q", "-m", "a client of the alias qwen", "--no-verify")
    return work


# issue 16, each case a commit of one file: (the launch's model before, the file staged, its text,
# the hook's exit code, what its output shows, what it must not show)
ONE_FILE_COMMITS = {
    "client-alone": ("", "app/client.py", CLIENT.format(comment="") + "# touched\n", 1,
                     ["app/client.py:3:1: VL001", "serve.sh:2:1"], []),
    "launch-alone-switched-to-base": ("-Instruct", "serve.sh", SERVE.format(tuned=""), 1,
                                      ["app/client.py:3:1: VL001", "launched by vllm serve at serve.sh:2:1"], []),
    "suppressed-client-alone": ("", "app/client.py", CLIENT.format(comment=SUPPRESSION), 0, ["Passed"], ["VL100"]),
    "new-client-alone": ("", "svc/new_client.py", CLIENT.format(comment=""), 1, ["svc/new_client.py:3:1: VL001"],
                         ["app/client.py"]),
}


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("git") is None, reason="git is required for pre-commit")
@pytest.mark.parametrize("case", ONE_FILE_COMMITS)
def test_pre_commit_links_a_staged_file_against_the_project(case: str, tmp_path: Path, pre_commit_home: Path):
    tuned, name, text, code, shown, hidden = ONE_FILE_COMMITS[case]
    work = _project(tmp_path, tuned)
    (work / name).parent.mkdir(parents=True, exist_ok=True)
    (work / name).write_text(text)
    _git(work, "add", name)
    env = {**os.environ, "PRE_COMMIT_HOME": str(pre_commit_home), "PIP_DISABLE_PIP_VERSION_CHECK": "1",
           "VLINT_CACHE_DIR": str(tmp_path / "vlint-cache")}
    done = subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(REPO), "vlint"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == code, done.stdout + done.stderr
    assert "- files were modified" not in done.stdout  # the hook reads; it never writes
    for part in shown:
        assert part in done.stdout, done.stdout
    for part in hidden:
        assert part not in done.stdout, done.stdout


# the editor's and the subfolder's ways in, with the real command line: (working folder, arguments, stdin)
CLI_RUNS = {
    "subfolder-from-the-top": ("", ["app/"], None, "app/client.py:3:1: VL001"),
    "inside-the-subfolder": ("app", [], None, "client.py:3:1: VL001"),
    "stdin-from-the-top": ("", ["--stdin-filename", "app/client.py"], CLIENT.format(comment=""),
                           "app/client.py:3:1: VL001"),
    "stdin-inside-the-subfolder": ("app", ["--stdin-filename", "client.py"], CLIENT.format(comment=""),
                                   "client.py:3:1: VL001"),
}


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("git") is None, reason="git is required for a repository")
@pytest.mark.parametrize("case", CLI_RUNS)
def test_the_command_line_links_a_subfolder_and_stdin_against_the_project(case: str, tmp_path: Path):
    where, args, stdin, header = CLI_RUNS[case]
    work = _project(tmp_path, "")
    if stdin is not None:  # the file on disk says nothing yet: the editor's buffer is what is linted
        (work / "app" / "client.py").write_text("print('not a client yet')\n")
    env = {**os.environ, "VLINT_CACHE_DIR": str(tmp_path / "vlint-cache")}
    command = [sys.executable, "-m", "vlint.cli", "scan", "--format", "concise", "--color", "never", *args]
    linked = subprocess.run(command, cwd=work / where, env=env, input=stdin, capture_output=True, text=True,
                            timeout=300)
    assert linked.returncode == 1, linked.stdout + linked.stderr
    assert linked.stdout.startswith(header), linked.stdout
    alone = subprocess.run([*command, "--isolated"], cwd=work / where, env=env, input=stdin, capture_output=True,
                           text=True, timeout=300)
    assert alone.returncode == 0 and "VL001" not in alone.stdout, alone.stdout + alone.stderr  # the way out
