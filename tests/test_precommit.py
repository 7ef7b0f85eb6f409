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


@pytest.mark.skipif(shutil.which("git") is None, reason="git is required for pre-commit")
def test_pre_commit_links_the_staged_files_against_the_project(tmp_path: Path, pre_commit_home: Path):
    """The cases of issue 16, each a commit of one file in a repository whose client calls the alias `qwen`
    that `serve.sh` serves."""
    work = tmp_path / "work"
    (work / "app").mkdir(parents=True)
    _git(work, "init", "-q")
    env = {**os.environ, "PRE_COMMIT_HOME": str(pre_commit_home), "PIP_DISABLE_PIP_VERSION_CHECK": "1",
           "VLINT_CACHE_DIR": str(tmp_path / "vlint-cache")}
    (work / "serve.sh").write_text(SERVE.format(tuned="-Instruct"))
    (work / "app" / "client.py").write_text(CLIENT.format(comment=""))
    _git(work, "add", "-A")
    _git(work, "commit", "-q", "-m", "a client of an instruct model", "--no-verify")

    def commit_alone(name: str, text: str) -> subprocess.CompletedProcess[str]:
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(text)
        _git(work, "add", name)
        done = subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(REPO), "vlint"], cwd=work,
                              env=env, capture_output=True, text=True, timeout=900)
        _git(work, "commit", "-q", "-m", name, "--no-verify")
        return done

    # serve.sh alone, switched to the base model: fails at the client it breaks, the launch named as the cause
    launch = commit_alone("serve.sh", SERVE.format(tuned=""))
    assert launch.returncode == 1, launch.stdout + launch.stderr
    assert "app/client.py:3:1: VL001" in launch.stdout and "serve.sh:2:1" in launch.stdout

    # the client alone (it passed before issue 16: nothing in it names a base model)
    client = commit_alone("app/client.py", CLIENT.format(comment="") + "# touched\n")
    assert client.returncode == 1, client.stdout + client.stderr
    assert "app/client.py:3:1: VL001" in client.stdout

    # a suppressed client alone: judged against the project, so the suppression is used (no VL100)
    suppressed = commit_alone("app/client.py", CLIENT.format(comment=SUPPRESSION))
    assert suppressed.returncode == 0, suppressed.stdout + suppressed.stderr
    assert "VL100" not in suppressed.stdout and "Passed" in suppressed.stdout

    # a new client of the alias, committed alone
    new = commit_alone("svc/new_client.py", CLIENT.format(comment=""))
    assert new.returncode == 1, new.stdout + new.stderr
    assert "svc/new_client.py:3:1: VL001" in new.stdout
