"""The wheel carries `rules/`, and an installed (non-editable) vlint scans from any directory."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.mark.slow
def test_wheel_ships_rules_and_runs_from_another_directory(tmp_path: Path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist),
                    str(REPO)], check=True, capture_output=True, timeout=600)
    [wheel] = list(dist.glob("vlint-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"vlint/rules/models.yaml", "vlint/rules/clients.yaml", "vlint/rules/vllm_flags.yaml",
            "vlint/rules/docs/VL001.md"} <= names

    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=600)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "client.py").write_text(
        'from openai import OpenAI\n'
        'OpenAI().chat.completions.create(model="Qwen/Qwen2.5-14B", messages=[], temperature=0.1)\n')
    script = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "import vlint, vlint.knowledge\n"
        "assert vlint.__file__.startswith(sys.argv[1]), vlint.__file__\n"
        "assert str(vlint.knowledge.rules_dir()).startswith(sys.argv[1])\n"
        "from vlint.cli import main\n"
        "sys.exit(main(['scan', '.', '--no-cache', '--format', 'json']))\n"
    )
    # Run without the source checkout on the path: only the installed copy can answer.
    done = subprocess.run([sys.executable, "-I", "-c", script, str(target)], cwd=elsewhere, capture_output=True,
                          text=True, timeout=300, env={"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 1, done.stderr
    assert '"rule": "VL001"' in done.stdout and '"rule": "VL002"' in done.stdout

    # The console script's entry point, and `python -m vlint` (README's first command), run the program:
    # the early worker path, the fast exit and the same findings.
    [entry_points] = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    assert "vlint = vlint.program:run" in zipfile.ZipFile(wheel).read(entry_points).decode()
    program = ("import sys, runpy; sys.path.insert(0, sys.argv.pop(1)); sys.argv[0] = 'vlint'\n"
               "runpy.run_module('vlint', run_name='__main__')\n")
    done = subprocess.run([sys.executable, "-I", "-c", program, str(target), "scan", "client.py", "--no-cache",
                           "--format", "json"], cwd=elsewhere, capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 1, done.stderr
    assert '"rule": "VL001"' in done.stdout and '"rule": "VL002"' in done.stdout
