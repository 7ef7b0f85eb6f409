"""The scanned tree cannot forge vlint's state: attacks written as a hostile repository would write them.

The attacker knows vlint's code and every public input of its cache names (version, rules data, file
paths and bytes, the checkout's path: predictable in CI). A repository plants a payload at every path a
scan used to write inside it (`.vlint_cache/`: pickled entries, manifest and walk memo) and at the path a
scan would write if the user cache sat inside the checkout (`XDG_CACHE_HOME=$PWD/.cache`), then a scan
runs in a fresh copy: nothing runs, nothing is written in the tree, and the findings are still reported.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from vlint import __version__
from vlint.cache.folders import PROJECTS, project_name
from vlint.cache.store import Store
from vlint.config import Config
from vlint.extract.perfile import content_key
from vlint.facts import FileFacts
from vlint.knowledge import rules_dir

CLIENT = 'from openai import OpenAI\nOpenAI().chat.completions.create(model="Qwen/Qwen2.5-14B", messages=[])\n'
FILES = {
    "client.py": CLIENT,
    "deploy/run.sh": "vllm serve Qwen/Qwen2.5-14B --served-model-name prod\n",
    "app/use.py": 'from openai import OpenAI\nOpenAI().chat.completions.create(model="prod", messages=[])\n',
}
# what the walk skipped before this design, as the old walk memo's name hashed it
OLD_SKIP_DIRS = sorted({
    ".git", ".hg", ".svn", "node_modules", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache",
    ".tox", ".nox", ".venv", "venv", ".venv-vllm", "site-packages", ".eggs", ".hypothesis", ".vlint_cache",
    ".ipynb_checkpoints",
})


class Payload:
    """Unpickling this writes the marker file: what a planted pickle would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({str(self.marker)!r}, 'w').write('the scanned tree ran code')",))


def _old_names(tree: Path) -> list[str]:
    """The names the pickle cache gave its files under `.vlint_cache/`, from public inputs only."""
    data = hashlib.sha256(__version__.encode())
    for path in sorted(rules_dir().glob("*.yaml")):
        data.update(path.name.encode())
        data.update(path.read_bytes())
    data_digest = data.hexdigest()[:16]
    max_size = Config().max_file_size
    names = []
    for display, text in FILES.items():
        kind = "python" if display.endswith(".py") else "shell"
        digest = hashlib.sha256()
        for part in (data_digest, display, kind, str(max_size)):
            digest.update(part.encode() + b"\0")
        digest.update(text.encode())
        names.append(digest.hexdigest())
    names.append("manifest-" + hashlib.sha256(f"{data_digest}\0{max_size}\0{tree}".encode()).hexdigest()[:16]
                 + ".pickle")
    walk_key = repr((OLD_SKIP_DIRS, [str(tree)], list(Config().all_excludes), str(tree)))
    names.append("walk-" + hashlib.sha256(walk_key.encode()).hexdigest()[:20] + ".pickle")
    return names


def _snapshot(tree: Path) -> dict[str, object]:
    out: dict[str, object] = {}
    for folder, dirs, files in os.walk(tree):
        for name in dirs + files:
            path = Path(folder) / name
            rel = str(path.relative_to(tree))
            if path.is_symlink():
                out[rel] = ("link", os.readlink(path))
            elif path.is_file():
                out[rel] = ("file", path.read_bytes(), path.stat().st_mtime_ns)
            else:
                out[rel] = ("dir",)
    return out


def _scan(tree: Path, args: list[str], env: dict[str, str]) -> dict:
    done = subprocess.run([sys.executable, "-m", "vlint.cli", "scan", *args, "--format", "json"], cwd=tree,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)


def _findings(report: dict) -> list[tuple]:
    return sorted((f["rule"], f["path"], f["line"]) for f in report["findings"])


@pytest.fixture
def fresh_copy(tmp_path: Path):
    """A pristine project (the reference findings come from it) and a way to make fresh copies of it."""
    pristine = tmp_path / "pristine"
    for name, text in FILES.items():
        (pristine / name).parent.mkdir(parents=True, exist_ok=True)
        (pristine / name).write_text(text)

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(pristine, target, symlinks=True)
        return target

    return pristine, copy


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VLINT_CACHE_DIR", "XDG_CACHE_HOME")}
    env.update({"HOME": str(tmp_path / "home"), **extra})
    return env


def _reference(pristine: Path, tmp_path: Path) -> list[tuple]:
    found = _findings(_scan(pristine, [".", "--no-cache"], _env(tmp_path, VLINT_CACHE_DIR=str(tmp_path / "ref"))))
    assert {("VL001", "client.py", 2), ("VL001", "app/use.py", 2)} <= set(found)  # one through the alias
    return found


@pytest.mark.slow
def test_planted_pickles_in_the_old_cache_folder_run_nothing(fresh_copy, tmp_path) -> None:
    pristine, copy = fresh_copy
    reference = _reference(pristine, tmp_path)
    marker = tmp_path / "pwned"
    for run in (["."], ["client.py"]):
        tree = copy(f"pickles-{len(run[0])}")
        planted = tree / ".vlint_cache"
        planted.mkdir()
        for name in _old_names(tree):
            (planted / name).write_bytes(pickle.dumps(Payload(marker)))
        before = _snapshot(tree)
        report = _scan(tree, run, _env(tmp_path, VLINT_CACHE_DIR=str(tmp_path / "user")))
        assert not marker.exists()
        assert _snapshot(tree) == before
        expected = reference if run == ["."] else [f for f in reference if f[1] == "client.py"]
        assert _findings(report) == expected


@pytest.mark.slow
def test_planted_empty_facts_in_the_old_cache_folder_hide_nothing(fresh_copy, tmp_path) -> None:
    pristine, copy = fresh_copy
    reference = _reference(pristine, tmp_path)
    tree = copy("empty")
    (tree / ".vlint_cache").mkdir()
    for name, display in zip(_old_names(tree), FILES, strict=False):  # the entries, then the manifest and walk
        kind = "python" if display.endswith(".py") else "shell"
        (tree / ".vlint_cache" / name).write_bytes(pickle.dumps((FileFacts(display, kind), None)))
    before = _snapshot(tree)
    assert _findings(_scan(tree, ["."], _env(tmp_path, VLINT_CACHE_DIR=str(tmp_path / "user")))) == reference
    assert _snapshot(tree) == before


@pytest.mark.slow
def test_a_symlinked_old_cache_folder_is_never_written_through(fresh_copy, tmp_path) -> None:
    pristine, copy = fresh_copy
    reference = _reference(pristine, tmp_path)
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("keep me\n")
    tree = copy("symlinked")
    (tree / ".vlint_cache").symlink_to(victim, target_is_directory=True)
    env = _env(tmp_path, VLINT_CACHE_DIR=str(tmp_path / "user"))
    assert _findings(_scan(tree, ["."], env)) == reference
    subprocess.run([sys.executable, "-m", "vlint.cli", "cache", "clear"], cwd=tree, env=env, check=True,
                   capture_output=True)
    assert [p.name for p in victim.iterdir()] == ["precious.txt"]


def _forge_rules_data(user_cache: Path) -> None:
    """Parsed rules data that knows no model (so nothing would be judged base), with a valid checksum."""
    folder = user_cache / "data"
    folder.mkdir(parents=True)
    for path in rules_dir().glob("*.yaml"):
        body = b"{}"
        check = hashlib.blake2b(body, digest_size=16).hexdigest()
        name = f"{path.name}-{hashlib.sha256(path.read_bytes()).hexdigest()[:20]}.json"
        (folder / name).write_bytes(f"vlint-data 1 {check}\n".encode() + body)


@pytest.mark.slow
def test_a_user_cache_inside_the_checkout_is_never_read(fresh_copy, tmp_path) -> None:
    """CI that sets XDG_CACHE_HOME=$PWD/.cache puts vlint's cache where the repository can plant it: a forged
    store at the exact new name, with valid checksums, that says every file is silent, and forged rules
    data that knows no model. None of it is used, whether vlint runs in the checkout or scans it from
    outside (a git checkout: a cache inside any work tree is not used)."""
    pristine, copy = fresh_copy
    reference = _reference(pristine, tmp_path)
    marker = tmp_path / "pwned"
    for run in (["."], ["client.py"], ["OUTSIDE"]):
        tree = copy(f"xdg-{len(run[0])}")
        (tree / ".git").mkdir()
        _forge_rules_data(tree / ".cache" / "vlint")
        folder = tree / ".cache" / "vlint" / PROJECTS / project_name(tree)
        folder.mkdir(parents=True)
        store = Store.open(folder)
        assert store is not None
        max_size = Config().max_file_size
        store.put_facts((content_key(display, "python" if display.endswith(".py") else "shell", text.encode(),
                                     max_size), "") for display, text in FILES.items())
        store.close()
        (folder / "planted.pickle").write_bytes(pickle.dumps(Payload(marker)))
        before = _snapshot(tree)
        env = _env(tmp_path, XDG_CACHE_HOME=str(tree / ".cache"))
        if run == ["OUTSIDE"]:
            report = _scan(tmp_path, [str(tree)], env)
            expected = [(rule, f"{tree.name}/{path}", line) for rule, path, line in reference]
        else:
            report = _scan(tree, run, env)
            expected = reference if run == ["."] else [f for f in reference if f[1] == "client.py"]
        assert not marker.exists()
        assert _snapshot(tree) == before
        assert _findings(report) == expected


@pytest.mark.slow
def test_a_symlinked_level_of_the_user_cache_is_never_followed(fresh_copy, tmp_path) -> None:
    """A project folder (or vlint's own folder) that is a symlink, planted by whoever could: vlint neither
    writes through it nor, on `vlint cache clear`, deletes through it."""
    pristine, copy = fresh_copy
    reference = _reference(pristine, tmp_path)
    tree = copy("levels")
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("keep me\n")
    xdg = tmp_path / "xdg"
    (xdg / "vlint" / PROJECTS).mkdir(parents=True)
    (xdg / "vlint" / PROJECTS / project_name(tree)).symlink_to(victim, target_is_directory=True)
    env = _env(tmp_path, XDG_CACHE_HOME=str(xdg))
    for _ in range(2):
        assert _findings(_scan(tree, ["."], env)) == reference
    subprocess.run([sys.executable, "-m", "vlint.cli", "cache", "clear"], cwd=tree, env=env, check=True,
                   capture_output=True)
    assert [p.name for p in victim.iterdir()] == ["precious.txt"]
    # vlint's own top folder as a symlink
    shutil.rmtree(xdg / "vlint")
    (xdg / "vlint").symlink_to(victim, target_is_directory=True)
    assert _findings(_scan(tree, ["."], env)) == reference
    subprocess.run([sys.executable, "-m", "vlint.cli", "cache", "clear"], cwd=tree, env=env, check=True,
                   capture_output=True)
    assert [p.name for p in victim.iterdir()] == ["precious.txt"]


@pytest.mark.slow
def test_the_default_cache_is_used_when_vlint_runs_from_the_home_folder(fresh_copy, tmp_path) -> None:
    """`cd ~ && vlint scan code/proj` and a home folder that is a git work tree (dotfiles) put the default
    cache folder (~/.cache/vlint) inside the working folder and a work tree; only because they hold the
    home folder, which the scanned tree does not: the project's store is made and used there."""
    pristine, copy = fresh_copy
    reference = _reference(pristine, tmp_path)
    home = tmp_path / "home"
    tree = home / "code" / "proj"
    shutil.copytree(pristine, tree)
    (tree / ".git").mkdir()
    (home / ".git").mkdir()  # a dotfiles repository at the home folder
    env = _env(tmp_path)
    report = _scan(home, [str(tree)], env)
    assert _findings(report) == [(rule, f"code/proj/{path}", line) for rule, path, line in reference]
    assert (home / ".cache" / "vlint" / PROJECTS / project_name(tree) / "cache.sqlite3").is_file()
    # scanning the home folder itself: the cache would lie in the scanned tree, so no project store is made
    shutil.rmtree(home / ".cache")
    _scan(home, ["."], env)
    assert not (home / ".cache" / "vlint" / PROJECTS).exists() or not any(
        (home / ".cache" / "vlint" / PROJECTS).iterdir())
