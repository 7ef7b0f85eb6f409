"""The walk's .gitignore prefilter (`vlint/discover.py: _Prefilter`): it says "could match" exactly where
one of pathspec's own patterns matches, so pathspec is asked only about those paths."""

from __future__ import annotations

from pathlib import Path

import pathspec
from hypothesis import given, settings
from hypothesis import strategies as st

from vlint.discover import _any_pattern, discover

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
    """Everything older than the walk memo's two-second window for changes in the walk's own clock tick."""
    import os
    import time

    past = time.time() - 60
    for path in [root, *root.rglob("*")]:
        os.utime(path, (past, past))


def _walk(root: Path, memo: Path) -> list[str]:
    return [s.display for s in discover([root], cwd=root, memo=memo)]


def test_a_remembered_walk_is_taken_only_while_nothing_it_depends_on_changed(tmp_path: Path,
                                                                           monkeypatch) -> None:
    import os

    root, memo = tmp_path / "repo", tmp_path / "memo"
    _tree(root, {".gitignore": "*.log\n", "app.py": "x = 1\n", "pkg/mod.py": "x = 1\n", "pkg/deep/run.sh": "ls\n",
                 "bin/tool": "#!/bin/bash\nls\n", "tools_env/pyvenv.cfg": "home = /usr\n", "tools_env/lib/x.py": "x = 1\n"})
    _age(root)
    first = _walk(root, memo)
    assert first == ["app.py", "bin/tool", "pkg/deep/run.sh", "pkg/mod.py"]

    real_scandir = os.scandir
    listed: list[str] = []
    monkeypatch.setattr(os, "scandir", lambda path: (listed.append(str(path)), real_scandir(path))[1])
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
