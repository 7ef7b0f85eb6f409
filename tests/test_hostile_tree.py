"""Issue 14's acceptance case: one tree holding every hostile file we know of, next to real findings.

An expansion bomb (shell, `.env`, Dockerfile, Markdown), a 10,000-link attribute chain and a 20,000-term
sum (both used to kill or stall libcst) sit beside a real base-model chat client. The real CLI, in a child
process, must exit 1 with the real findings, list each hostile file as an error, stay within a minute and
2 GiB for the whole process tree, and write nothing inside the scanned tree.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

DOUBLING = "\n".join(["A=xxxxxxxx"] + ["A=$A$A"] * 40) + "\n"

FILES = {
    "client.py": (
        "from openai import OpenAI\n"
        "client = OpenAI(base_url='http://localhost:8000/v1')\n"
        "reply = client.chat.completions.create(model='Qwen/Qwen2.5-14B', temperature=0.1,\n"
        "                                       messages=[{'role': 'user', 'content': 'Hello'}])\n"
    ),
    "bomb.sh": DOUBLING + "vllm serve Qwen/Qwen2.5-7B --port 8001\n",
    ".env": DOUBLING,
    "Dockerfile": "FROM ubuntu:24.04\nENV A=xxxxxxxx\n" + "ENV A=$A$A\n" * 40,
    "README.md": "# Serving\n\n```bash\n" + DOUBLING + "vllm serve $A\n```\n",
    "chain.py": "import openai\nx = c" + ".a" * 10_000 + "\nopenai.ChatCompletion.create(model=x)\n",
    "sum.py": "import openai\nx = " + " + ".join(["1"] * 20_000) + "\nopenai.ChatCompletion.create(model=x)\n",
}

# Peak RSS of the largest process of the scan and its workers, and the wall time of the whole scan.
MEASURE = """
import resource, subprocess, sys, time, json
start = time.monotonic()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=120)
print(json.dumps({"rc": done.returncode, "stdout": done.stdout, "stderr": done.stderr,
                  "seconds": time.monotonic() - start,
                  "peak_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def _tree_listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.slow
def test_a_tree_of_every_known_bomb_still_gets_its_real_findings(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    for name, text in FILES.items():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_text(text)
    (tree / ".git").mkdir()
    before = _tree_listing(tree)
    env = {**os.environ, "VLINT_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(REPO)}
    probe = subprocess.run([sys.executable, "-c", MEASURE, sys.executable, "-m", "vlint.cli", "scan", ".",
                            "--format", "json"], cwd=tree, env=env, capture_output=True, text=True, timeout=180)
    outcome = json.loads(probe.stdout)
    assert outcome["rc"] == 1, outcome["stderr"]
    report = json.loads(outcome["stdout"])
    real = {(f["rule"], f["path"], f["line"]) for f in report["findings"]}
    assert {("VL001", "client.py", 3), ("VL002", "client.py", 3)} <= real
    errors = {e["path"] for e in report["errors"]}
    assert {"bomb.sh", ".env", "Dockerfile", "README.md", "chain.py", "sum.py"} <= errors
    assert outcome["seconds"] < 60, outcome["seconds"]
    assert outcome["peak_kb"] < 2 * 1024 * 1024
    assert _tree_listing(tree) == before  # nothing written inside the scanned tree
