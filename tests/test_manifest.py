"""The warm-run manifest (`vlint/filecache.py: _Manifest`): an unchanged file is not read again, a
changed one always is, even when its size and (racy) modification time did not change."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

import vlint.api
from vlint.api import scan
from vlint.config import Config

BASE = 'from openai import OpenAI\nOpenAI().chat.completions.create(model="Qwen/Qwen2.5-14B", messages=[])\n'
TWIN = 'from openai import OpenAI\nOpenAI().chat.completions.create(model="Qwen/Qwen2.5-14b", messages=[])\n'
PLAIN = "def add(a, b):\n    return a + b\n"


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = vlint.api.read_bytes_and_text

    def counting(source, max_size):
        seen.append(source.display)
        return real(source, max_size)

    monkeypatch.setattr(vlint.api, "read_bytes_and_text", counting)
    return seen


def _run(root: Path, cache: Path, monkeypatch: pytest.MonkeyPatch, paths: list[Path] | None = None):
    monkeypatch.setenv("VLINT_FILE_CACHE_DIR", str(cache))
    return scan(paths or [root], Config(cache=True), cwd=root)


def _age(root: Path, seconds: float = 60) -> None:
    """Files last written a minute ago: older than any racy window."""
    then = time.time() - seconds
    for path in root.rglob("*.py"):
        os.utime(path, (then, then))


def _models(result) -> list[str]:
    return sorted(f.model for f in result.findings)


def test_unchanged_files_are_not_read_again(tmp_path, monkeypatch, reads) -> None:
    root = tmp_path / "p"
    root.mkdir()
    (root / "client.py").write_text(BASE)
    for i in range(5):
        (root / f"plain{i}.py").write_text(PLAIN)
    (root / "near.py").write_text("from openai import OpenAI\nclient = OpenAI()\n")  # read, says nothing
    _age(root)
    first = _run(root, tmp_path / "c", monkeypatch)
    assert sorted(reads) == sorted(["client.py", "near.py", *(f"plain{i}.py" for i in range(5))])
    reads.clear()
    import vlint.filecache

    loads: list[Path] = []
    real_load = vlint.filecache._load
    monkeypatch.setattr(vlint.filecache, "_load", lambda entry: loads.append(entry) or real_load(entry))
    second = _run(root, tmp_path / "c", monkeypatch)
    assert reads == []
    assert len(loads) == 1  # only the file that said something has an entry to load
    assert _models(first) == _models(second) == ["Qwen/Qwen2.5-14B"]


def test_a_changed_file_is_read_even_with_the_same_size(tmp_path, monkeypatch, reads) -> None:
    root = tmp_path / "p"
    root.mkdir()
    client = root / "client.py"
    client.write_text(BASE)
    _age(root, 120)
    _run(root, tmp_path / "c", monkeypatch)
    client.write_text(TWIN)  # same size, new content
    _age(root, 60)  # a different, old modification time
    reads.clear()
    assert _models(_run(root, tmp_path / "c", monkeypatch)) == ["Qwen/Qwen2.5-14b"]
    assert reads == ["client.py"]


def test_a_racy_file_is_read_even_with_the_same_size_and_time(tmp_path, monkeypatch, reads) -> None:
    """Written, scanned and rewritten within the same clock tick: size and time say nothing changed."""
    root = tmp_path / "p"
    root.mkdir()
    client = root / "client.py"
    client.write_text(BASE)
    stamp = os.stat(client).st_mtime_ns
    _run(root, tmp_path / "c", monkeypatch)
    client.write_text(TWIN)
    os.utime(client, ns=(stamp, stamp))
    assert _models(_run(root, tmp_path / "c", monkeypatch)) == ["Qwen/Qwen2.5-14b"]


def test_a_run_on_one_file_keeps_what_is_known_of_the_others(tmp_path, monkeypatch, reads) -> None:
    """A pre-commit run passes a few files; the next full run still skips the rest."""
    root = tmp_path / "p"
    root.mkdir()
    (root / "client.py").write_text(BASE)
    for i in range(3):
        (root / f"plain{i}.py").write_text(PLAIN)
    _age(root)
    _run(root, tmp_path / "c", monkeypatch)
    _run(root, tmp_path / "c", monkeypatch, [root / "plain0.py"])
    reads.clear()
    _run(root, tmp_path / "c", monkeypatch)
    assert reads == []


def test_rules_data_is_parsed_once_then_read_back_and_cleared(tmp_path, monkeypatch) -> None:
    import yaml

    from vlint import knowledge
    from vlint.cli import main

    monkeypatch.setenv("VLINT_CACHE_DIR", str(tmp_path / "user"))
    monkeypatch.chdir(tmp_path)
    knowledge.load_data.cache_clear()
    try:
        first = knowledge.load_data("clients.yaml")
        assert len(list((tmp_path / "user" / "data").iterdir())) == 1
        knowledge.load_data.cache_clear()
        with monkeypatch.context() as patch:
            patch.setattr(yaml, "load", lambda *a, **k: pytest.fail("parsed again"))
            assert knowledge.load_data("clients.yaml") == first
        assert main(["cache", "clear"]) == 0
        assert list((tmp_path / "user" / "data").iterdir()) == []
    finally:
        knowledge.load_data.cache_clear()
