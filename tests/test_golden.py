"""Golden projects: realistic multi-file repositories; each expected finding is an `expect:` comment on
its line (`# expect: VL001 VL002`). A project with no such comment must produce no finding at all."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import scan_dir

GOLDEN = Path(__file__).parent / "golden"
EXPECT = re.compile(r"expect:\s*((?:VL\d{3}\s*)+)")


def expected(root: Path) -> set[tuple[str, int, str]]:
    out = set()
    for path in root.rglob("*"):
        if path.is_file():
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                match = EXPECT.search(line)
                if match:
                    out |= {(path.relative_to(root).as_posix(), number, code) for code in match.group(1).split()}
    return out


@pytest.mark.parametrize("name", sorted(p.name for p in GOLDEN.iterdir() if p.is_dir()))
def test_golden_project(name, tmp_path):
    root = tmp_path / name
    shutil.copytree(GOLDEN / name, root)
    result = scan_dir(root)
    assert not result.errors, result.errors
    found = {(f.path, f.line, f.rule) for f in result.findings}
    assert found == expected(root), "\n".join(f"{f.path}:{f.line} {f.rule} {f.message}" for f in result.findings)
