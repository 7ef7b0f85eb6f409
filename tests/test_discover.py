"""The walk's .gitignore prefilter (`vlint/discover.py: _Prefilter`): it says "could match" exactly where
one of pathspec's own patterns matches, so pathspec is asked only about those paths."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pathspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vlint.cache.folders import project_folder
from vlint.cache.store import Store
from vlint.cache.walkmemo import WalkMemo
from vlint.discover import OUTSIDE, _any_pattern, discover

GITIGNORE = """
# names anywhere, files and folders
__pycache__/
*.py[cod]
*$py.class
*.so
.env
.venv
env/
build/
dist/
*.egg-info/
.tox/
.coverage.*
[Bb]in/
# rooted and nested paths
/vllm/_version.py
vllm/vllm_flash_attn/*
docs/**/generated/
**/logs/*.log
!keep.so
"""

NAMES = ["__pycache__", "x.pyc", "a.py", "lib.so", "keep.so", ".env", ".venv", "env", "envs", "build", "builds",
         "dist", "pkg.egg-info", ".tox", ".coverage.1", "Bin", "bin", "vllm", "_version.py", "vllm_flash_attn",
         "docs", "api", "generated", "logs", "run.log", "tests", "x$py.class", "README.md"]


def _pathspec_matches(spec: pathspec.GitIgnoreSpec, rel: str) -> bool:
    return any(p.regex.match(rel) for p in spec.patterns if p.include is not None and p.regex is not None)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(NAMES), min_size=1, max_size=5), st.booleans())
def test_prefilter_agrees_with_pathspec(parts: list[str], folder: bool) -> None:
    spec = pathspec.GitIgnoreSpec.from_lines(GITIGNORE.splitlines())
    prefilter = _any_pattern(spec)
    assert prefilter is not None
    rel = "/".join(parts) + ("/" if folder else "")
    assert prefilter.may_match(rel) == _pathspec_matches(spec, rel), rel


def test_walk_honours_name_rooted_and_nested_patterns(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text(GITIGNORE)
    files = ["app.py", "pkg/__pycache__/m.py", "pkg/env/run.sh", "pkg/envs/run.sh", "vllm/_version.py",
             "sub/vllm/_version.py", "docs/a/generated/x.md", "docs/a/x.md", "bin/run.sh", "keep.so/x.py",
             "nested/.gitignore", "nested/secret.py", "nested/open.py"]
    for name in files:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("secret.py\n" if name == "nested/.gitignore" else "x = 1\n")
    found = sorted(s.display for s in discover([tmp_path], cwd=tmp_path))
    assert found == ["app.py", "docs/a/x.md", "keep.so/x.py", "nested/open.py", "pkg/envs/run.sh",
                     "sub/vllm/_version.py"]


def _tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _age(root: Path) -> None:
    """Everything older than the walk memo's two-second window for changes in the walk's own clock tick
    (and, after the sleep, their status-change times too)."""
    past = time.time() - 60
    for path in [root, *root.rglob("*")]:
        os.utime(path, (past, past), follow_symlinks=False)
    time.sleep(2.1)


@pytest.fixture
def memo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WalkMemo]:
    monkeypatch.setenv("VLINT_CACHE_DIR", str(tmp_path / "user-cache"))
    folder = project_folder(tmp_path / "repo")
    assert folder is not None
    store = Store.open(folder)
    assert store is not None
    yield WalkMemo(store)
    store.close()


def _walk(root: Path, memo: WalkMemo | None, errors: list | None = None) -> list[str]:
    return [s.display for s in discover([root], cwd=root, memo=memo, errors=errors)]


@pytest.fixture
def listed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    real_scandir = os.scandir
    seen: list[str] = []
    monkeypatch.setattr(os, "scandir", lambda path: (seen.append(str(path)), real_scandir(path))[1])
    return seen


@pytest.mark.slow
def test_a_remembered_walk_is_taken_only_while_nothing_it_depends_on_changed(tmp_path: Path, memo,
                                                                           listed) -> None:
    root = tmp_path / "repo"
    _tree(root, {".gitignore": "*.log\n", "app.py": "x = 1\n", "pkg/mod.py": "x = 1\n", "pkg/deep/run.sh": "ls\n",
                 "bin/tool": "#!/bin/bash\nls\n", "tools_env/pyvenv.cfg": "home = /usr\n", "tools_env/lib/x.py": "x = 1\n"})
    _age(root)
    first = _walk(root, memo)
    assert first == ["app.py", "bin/tool", "pkg/deep/run.sh", "pkg/mod.py"]
    listed.clear()
    assert _walk(root, memo) == first and listed == []  # remembered: no folder listed

    def changed(change) -> list[str]:
        change()
        _age(root)
        listed.clear()
        found = _walk(root, memo)
        assert listed, "a change must make the walk list folders again"
        return found

    assert "pkg/deep/new.yaml" in changed(lambda: (root / "pkg/deep/new.yaml").write_text("a: 1\n"))
    assert "pkg/mod.py" not in changed(lambda: (root / ".gitignore").write_text("*.log\nmod.py\n"))
    assert "tools_env/lib/x.py" in changed(lambda: (root / "tools_env/pyvenv.cfg").unlink())
    assert "bin/tool" not in changed(lambda: (root / "bin/tool").write_text("plain text, no shebang\n"))
    assert _walk(root, memo) == _walk(root, None)

    (root / "pkg" / "fresh.py").write_text("x = 1\n")  # now: inside the two-second window, never trusted
    listed.clear()
    assert "pkg/fresh.py" in _walk(root, memo) and listed
    listed.clear()
    assert "pkg/fresh.py" in _walk(root, memo) and listed


@pytest.mark.slow
def test_a_gitignore_edit_that_keeps_size_and_time_is_seen(tmp_path: Path, memo) -> None:
    root = tmp_path / "repo"
    _tree(root, {".gitignore": "a.py\n", "a.py": "x = 1\n", "b.py": "x = 1\n"})
    _age(root)
    assert _walk(root, memo) == ["b.py"]
    stamp = os.stat(root / ".gitignore")
    (root / ".gitignore").write_text("b.py\n")  # same size
    os.utime(root / ".gitignore", ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    time.sleep(2.1)
    assert _walk(root, memo) == ["a.py"]


@pytest.mark.slow
def test_a_gitignore_above_the_scanned_folder_is_seen(tmp_path: Path, memo) -> None:
    """A subfolder scan honours .gitignore files up to the repository top; a new one there is seen."""
    top = tmp_path / "repo"
    _tree(top, {".git/HEAD": "ref: refs/heads/main\n", "svc/app/a.py": "x = 1\n", "svc/app/b.py": "x = 1\n"})
    _age(top)
    scanned = top / "svc" / "app"
    assert [s.display for s in discover([scanned], cwd=scanned, memo=memo)] == ["a.py", "b.py"]
    (top / "svc" / ".gitignore").write_text("b.py\n")
    time.sleep(2.1)
    assert [s.display for s in discover([scanned], cwd=scanned, memo=memo)] == ["a.py"]


@pytest.mark.slow
def test_a_dangling_symlink_whose_target_appears_and_a_link_whose_target_changes_are_seen(tmp_path: Path,
                                                                                         memo) -> None:
    """The targets lie in the repository but outside the scanned folder: no folder the walk lists changes."""
    top = tmp_path / "repo"
    _tree(top, {".git/HEAD": "x\n", "svc/a.py": "x = 1\n", "other/thing/x.txt": "\n"})
    svc = top / "svc"
    (svc / "later.yaml").symlink_to(top / "other" / "later.yaml")  # dangling
    (svc / "thing.yaml").symlink_to(top / "other" / "thing")  # a folder: passed by
    _age(top)

    def walked() -> list[str]:
        return [s.display for s in discover([svc], cwd=svc, memo=memo)]

    assert walked() == ["a.py"]
    (top / "other" / "later.yaml").write_text("b: 2\n")
    time.sleep(2.1)
    assert walked() == ["a.py", "later.yaml"]
    (top / "other" / "thing" / "x.txt").unlink()
    (top / "other" / "thing").rmdir()
    (top / "other" / "thing").write_text("k: v\n")  # the same link now leads to a file
    time.sleep(2.1)
    assert walked() == ["a.py", "later.yaml", "thing.yaml"]


def test_a_symlink_to_a_file_outside_the_project_is_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "secret"
    outside.write_text("API_KEY=hunter2\n")
    root = tmp_path / "repo"
    _tree(root, {".git/HEAD": "x\n", "app.py": "x = 1\n", "conf/real.env": "A=1\n"})
    (root / "s.env").symlink_to(outside)
    (root / "inside.env").symlink_to(root / "conf" / "real.env")
    errors: list = []
    assert _walk(root, None, errors) == ["app.py", "conf/real.env", "inside.env"]
    assert errors == [("s.env", OUTSIDE)]
    named: list = []
    assert [s.display for s in discover([root / "s.env", root / "inside.env"], cwd=root, errors=named)] \
        == ["inside.env"]
    assert named == [("s.env", OUTSIDE)]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_named_fifo_is_an_error_entry_not_a_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.py")
    os.mkfifo(tmp_path / "script")
    errors: list = []
    assert discover([tmp_path / "pipe.py", tmp_path / "script"], cwd=tmp_path, errors=errors) == []
    assert errors == [("pipe.py", "not read: not a regular file"), ("script", "not read: not a regular file")]
    assert discover([tmp_path], cwd=tmp_path) == []  # a walk passes them by
