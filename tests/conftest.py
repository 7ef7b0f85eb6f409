from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

# No test may reach the network: the Hub client is forced offline unless a test points it at 127.0.0.1.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("VLINT_FILE_CACHE_DIR", str(Path(__file__).parent.parent / ".pytest_cache" / "vlint-files"))

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
    from vlint.api import scan
    from vlint.config import Config

    config = Config(cache=False, **config_overrides)
    return scan([root], config, cwd=root)


def rule_lines(result) -> list[tuple[str, str, int]]:
    return sorted((f.rule, f.path, f.line) for f in result.findings)
