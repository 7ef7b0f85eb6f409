"""The warm-run manifest (`vlint/cache/manifest.py`): an unchanged file is not read again; a changed one
always is, even when its size and modification time did not change (git's index rules: ctime, inode, racy
timestamps)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from vlint.api import scan
from vlint.config import Config

BASE = 'from openai import OpenAI\nOpenAI().chat.completions.create(model="Qwen/Qwen2.5-14B", messages=[])\n'
TWIN = 'from openai import OpenAI\nOpenAI().chat.completions.create(model="Qwen/Qwen2.5-14b", messages=[])\n'
PLAIN = "def add(a, b):\n    return a + b\n"


def _run(root: Path, cache: Path, monkeypatch: pytest.MonkeyPatch, paths: list[Path] | None = None):
    monkeypatch.setenv("VLINT_CACHE_DIR", str(cache))
    return scan(paths or [root], Config(cache=True), cwd=root)


def _age(root: Path, seconds: float = 60) -> None:
    """Files last written a minute ago: older than any racy window (their ctime is now: see `_settle`)."""
    then = time.time() - seconds
    for path in root.rglob("*.py"):
        os.utime(path, (then, then))


def _settle() -> None:
    """Let the status-change times the last `_age` left behind fall out of the racy window (2 s)."""
    time.sleep(2.1)


def _models(result) -> list[str]:
    return sorted(f.model for f in result.findings)


@pytest.mark.slow
def test_unchanged_files_are_not_read_again(tmp_path, monkeypatch, file_reads) -> None:
    root = tmp_path / "p"
    root.mkdir()
    (root / "client.py").write_text(BASE)
    for i in range(5):
        (root / f"plain{i}.py").write_text(PLAIN)
    (root / "near.py").write_text("from openai import OpenAI\nclient = OpenAI()\n")  # read, says nothing
    _age(root)
    _settle()
    first = _run(root, tmp_path / "c", monkeypatch)
    assert sorted(file_reads()) == sorted(["client.py", "near.py", *(f"plain{i}.py" for i in range(5))])
    file_reads.clear()
    second = _run(root, tmp_path / "c", monkeypatch)
    assert file_reads() == []
    assert _models(first) == _models(second) == ["Qwen/Qwen2.5-14B"]


def _scanned_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project of one client file, old enough not to be racy, scanned once with the cache."""
    root = tmp_path / "p"
    root.mkdir()
    client = root / "client.py"
    client.write_text(BASE)
    _age(root, 120)
    _settle()
    assert _models(_run(root, tmp_path / "c", monkeypatch)) == ["Qwen/Qwen2.5-14B"]
    return client


@pytest.mark.slow
def test_a_changed_file_is_read_even_with_the_same_size(tmp_path, monkeypatch, file_reads) -> None:
    client = _scanned_client(tmp_path, monkeypatch)
    root = client.parent
    client.write_text(TWIN)  # same size, new content
    _age(root, 60)  # a different, old modification time
    file_reads.clear()
    assert _models(_run(root, tmp_path / "c", monkeypatch)) == ["Qwen/Qwen2.5-14b"]
    assert file_reads() == ["client.py"]


@pytest.mark.slow
def test_an_edit_that_keeps_size_and_modification_time_is_seen(tmp_path, monkeypatch, file_reads) -> None:
    """`cp -p`, `touch -r`, tar: the content changes, size and mtime are set back; ctime tells."""
    client = _scanned_client(tmp_path, monkeypatch)
    root = client.parent
    stamp = os.stat(client)
    twin = tmp_path / "twin.py"
    twin.write_text(TWIN)
    os.utime(twin, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    shutil.copy2(twin, client)  # `cp -p`: the same size and modification time as before
    assert (os.stat(client).st_size, os.stat(client).st_mtime_ns) == (stamp.st_size, stamp.st_mtime_ns)
    _settle()  # and not racy either: only the status-change time says it changed
    file_reads.clear()
    assert _models(_run(root, tmp_path / "c", monkeypatch)) == ["Qwen/Qwen2.5-14b"]
    assert file_reads() == ["client.py"]


def test_a_racy_file_is_read_even_with_the_same_size_and_time(tmp_path, monkeypatch) -> None:
    """Written, scanned and rewritten within the same clock tick: size and times say nothing changed."""
    root = tmp_path / "p"
    root.mkdir()
    client = root / "client.py"
    client.write_text(BASE)
    stamp = os.stat(client).st_mtime_ns
    _run(root, tmp_path / "c", monkeypatch)
    client.write_text(TWIN)
    os.utime(client, ns=(stamp, stamp))
    assert _models(_run(root, tmp_path / "c", monkeypatch)) == ["Qwen/Qwen2.5-14b"]


@pytest.mark.slow
def test_a_run_on_one_file_keeps_what_is_known_of_the_others(tmp_path, monkeypatch, file_reads) -> None:
    """A pre-commit run passes a few files; the next full run still skips the rest."""
    root = tmp_path / "p"
    root.mkdir()
    (root / "client.py").write_text(BASE)
    for i in range(3):
        (root / f"plain{i}.py").write_text(PLAIN)
    _age(root)
    _settle()
    _run(root, tmp_path / "c", monkeypatch)
    _run(root, tmp_path / "c", monkeypatch, [root / "plain0.py"])
    file_reads.clear()
    _run(root, tmp_path / "c", monkeypatch)
    assert file_reads() == []


def test_rules_data_is_parsed_once_then_read_back_and_cleared(tmp_path, monkeypatch) -> None:
    import yaml

    from vlint import knowledge
    from vlint.cli import main

    monkeypatch.setenv("VLINT_CACHE_DIR", str(tmp_path / "user"))
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")  # not a folder the cache lies in: that cache would not be used
    knowledge.load_data.cache_clear()
    try:
        first = knowledge.load_data("models.yaml")  # token ids as integer keys: kept exactly
        assert len(list((tmp_path / "user" / "data").iterdir())) == 1
        knowledge.load_data.cache_clear()
        with monkeypatch.context() as patch:
            patch.setattr(yaml, "load", lambda *a, **k: pytest.fail("parsed again"))
            assert knowledge.load_data("models.yaml") == first
        assert main(["cache", "clear"]) == 0
        assert list((tmp_path / "user" / "data").iterdir()) == []
    finally:
        knowledge.load_data.cache_clear()


def test_a_damaged_rules_data_copy_is_parsed_again(tmp_path, monkeypatch) -> None:
    from vlint import knowledge

    monkeypatch.setenv("VLINT_CACHE_DIR", str(tmp_path / "user"))
    knowledge.load_data.cache_clear()
    try:
        first = knowledge.load_data("clients.yaml")
        (entry,) = (tmp_path / "user" / "data").iterdir()
        blob = bytearray(entry.read_bytes())
        blob[len(blob) // 2] ^= 0x01
        entry.write_bytes(bytes(blob))
        knowledge.load_data.cache_clear()
        assert knowledge.load_data("clients.yaml") == first
    finally:
        knowledge.load_data.cache_clear()
