"""The pre-commit hook, proven with the real `pre-commit try-repo` on a temporary git repository.

pre-commit builds its own environment for the hook from this repository (pip, from the package index),
runs `vlint` on the staged files, and fails when a staged file holds a base-model chat call.
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
def test_pre_commit_try_repo_fails_a_staged_base_model_chat_and_passes_instruct(tmp_path: Path):
    pre_commit = [sys.executable, "-m", "pre_commit"]
    work = tmp_path / "work"
    work.mkdir()
    _git(work, "init", "-q")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pc-home"), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}

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
