from __future__ import annotations

import os
import tempfile
import textwrap
from pathlib import Path

import pytest
from hypothesis import settings

# The box CI and developers share is noisy: a property's examples are judged by what they return, never by
# how long one took (hypothesis' 200 ms deadline failed innocent examples under load).
settings.register_profile("vlint", deadline=None)
settings.load_profile("vlint")

# No test may reach the network: the Hub client is forced offline unless a test points it at 127.0.0.1.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
# vlint's user cache for this session: outside the repository (a cache inside a scanned tree is never used).
_CACHE = tempfile.TemporaryDirectory(prefix="vlint-test-cache-")
os.environ.setdefault("VLINT_CACHE_DIR", _CACHE.name)

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def project(tmp_path: Path):
    """Write a small project: project({"a.py": "...", "k8s/x.yaml": "..."}) -> root path."""

    def make(files: dict[str, str]) -> Path:
        for name, text in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return tmp_path

    return make


def scan_dir(root: Path, **config_overrides):
    """Scan a folder as a project of its own (a fixture inside this repository is not linked against it)."""
    from vlint.api import scan
    from vlint.config import Config

    config = Config(cache=False, **config_overrides)
    return scan([root], config, cwd=root, project_root=root)


def rule_lines(result) -> list[tuple[str, str, int]]:
    return sorted((f.rule, f.path, f.line) for f in result.findings)


class FileReads:
    """The display paths of the files a scan reads, in the scanning process and in its workers (forked,
    they inherit the patch and append to the same log)."""

    def __init__(self, log: Path) -> None:
        self.log = log

    def __call__(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def clear(self) -> None:
        self.log.unlink(missing_ok=True)


@pytest.fixture
def file_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FileReads:
    from vlint.extract import perfile

    reads = FileReads(tmp_path / "reads.log")
    real = perfile.read_file

    def counting(location: str, display: str, max_size: int):
        with open(reads.log, "a", encoding="utf-8") as fh:
            fh.write(display + "\n")
        return real(location, display, max_size)

    monkeypatch.setattr(perfile, "read_file", counting)
    return reads


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The real-vLLM tier is slow by nature: `pytest -m "not slow"` (the inner loop) leaves it out too."""
    for item in items:
        if item.get_closest_marker("vllm") is not None:
            item.add_marker(pytest.mark.slow)
