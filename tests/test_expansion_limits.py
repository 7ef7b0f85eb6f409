"""Expansion bombs and other hostile text, planted as an attacker would, next to a real finding.

Each case is scanned by the real CLI in a child process whose peak memory (ru_maxrss) and time are measured:
the real finding must survive, an expansion bomb must be reported as an error of its file, and the scan must
stay small and quick. Before the bounds, the shell case alone (40 lines of `A=$A$A`) got the scan killed,
and each of the other hostile texts ran for minutes or took gigabytes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import REPO

PEAK_MB = 300
SECONDS = 20

DOUBLING = ["A=xxxxxxxx"] + ["A=$A$A"] * 40  # 8 * 2**40 characters if nothing stopped it
BODY = '{"model": "Qwen/Qwen2.5-7B", "messages": [{"role": "user", "content": "hi"}]}'
CURL = f"curl http://localhost:8000/v1/chat/completions -H 'Content-Type: application/json' -d '{BODY}'"
# The model comes through a variable assigned after the bomb: the rest of the file is still read.
CURL_VIA_VARIABLE = ("MODEL=Qwen/Qwen2.5-7B\n"
                     'curl http://localhost:8000/v1/chat/completions -d "{\\"model\\": \\"$MODEL\\", '
                     '\\"messages\\": [{\\"role\\": \\"user\\", \\"content\\": \\"hi\\"}]}"')
LIMIT = "expansion limit"


def _lines(*parts: str | list[str]) -> str:
    out: list[str] = []
    for part in parts:
        out.extend(part if isinstance(part, list) else [part])
    return "\n".join(out) + "\n"


def _indented(script: str, spaces: int) -> str:
    return textwrap.indent(script, " " * spaces)


CASES: dict[str, tuple[dict[str, str], str, str]] = {
    # name: (files, the file with the real finding, the file whose error entry names the bomb)
    "shell": ({"run.sh": _lines(DOUBLING, CURL_VIA_VARIABLE)}, "run.sh", "run.sh"),
    "shell-eval-recursion": (
        # Each level evaluates ten copies of itself: 10**depth nested shells without a bound.
        {"run.sh": _lines("CMD='" + 'eval "$CMD"; ' * 10 + "vllm serve Qwen/Qwen2.5-7B'", 'eval "$CMD"', CURL)},
        "run.sh", "run.sh"),
    "dockerfile": (
        {"Dockerfile": _lines("FROM ubuntu:24.04", "ENV A=xxxxxxxx", ["ENV A=$A$A"] * 40,
                              "ENV MODEL=Qwen/Qwen2.5-7B",
                              'RUN curl http://localhost:8000/v1/chat/completions -d "{\\"model\\": \\"$MODEL\\", '
                              '\\"messages\\": []}"')},
        "Dockerfile", "Dockerfile"),
    "dockerfile-stages": (
        # Every `FROM a` copies the ENV of stage `a`: 20,000 of each would copy 400 million variables.
        {"Dockerfile": _lines("FROM ubuntu:24.04 AS a", [f"ENV V{i}=1" for i in range(20_000)],
                              [f"FROM a AS b{i}" for i in range(20_000)],
                              f"RUN {CURL}")},
        "Dockerfile", "Dockerfile"),
    "dotenv": (
        {".env": _lines("A=xxxxxxxx", ["A=${A}${A}"] * 40, "MODEL=Qwen/Qwen2.5-7B"),
         "app.py": _lines("import os", "from openai import OpenAI",
                          'OpenAI().chat.completions.create(model=os.environ["MODEL"], messages=[])')},
        "app.py", ".env"),
    "compose": (
        {"compose.yaml": _lines("services:", "  client:", "    image: curlimages/curl", "    command:",
                                "      - sh", "      - -c", "      - |",
                                _indented(_lines(DOUBLING, CURL), 8))},
        "compose.yaml", "compose.yaml"),
    "workflow": (
        # An `env:` value used in every expression of a script multiplies too.
        {".github/workflows/ci.yml": _lines(
            "on: push", "env:", "  BIG: " + "x" * 50_000, "jobs:", "  smoke:", "    runs-on: ubuntu-latest",
            "    steps:", "      - run: echo " + " ".join(["${{ env.BIG }}"] * 1000),
            "      - run: |", _indented(_lines(DOUBLING, CURL), 10))},
        ".github/workflows/ci.yml", ".github/workflows/ci.yml"),
    "markdown": (
        {"README.md": _lines("# Serving", "", "```bash", DOUBLING, CURL, "```")}, "README.md", "README.md"),
}


# Text that multiplies no value but cost quadratic time or memory before (no error entry is expected).
HOSTILE: dict[str, tuple[dict[str, str], str]] = {
    # Each note quoted the one before: 30,000 links took 3.2 GB.
    "shell-note-chain": ({"run.sh": _lines("A0=$(date)", [f"A{i}=$A{i - 1}" for i in range(1, 30_000)], CURL)},
                         "run.sh"),
    # Every nested `$(...)` was walked again from each level above: 200 levels ran for minutes.
    "shell-nested-substitutions": ({"run.sh": _lines("A=" + "$(echo " * 200 + "x" + ")" * 200, CURL)}, "run.sh"),
    # A lazy `{{.*?}}` rescanned the word from each unclosed `{{`: 16 s for 40 KB.
    "shell-unclosed-templates": ({"run.sh": _lines('vllm serve "$ORG/' + "{{" * 50_000 + '"', CURL)}, "run.sh"),
    "json-body-unclosed-templates": (
        {"run.sh": "curl http://localhost:8000/v1/chat/completions -d '{\"model\": \"Qwen/Qwen2.5-7B\", "
                   '"messages": [], "x": ' + "{{" * 50_000 + "}'\n"}, "run.sh"),
    "yaml-unclosed-templates": (
        {"client.yaml": _lines("# " + "{{" * 250_000, "apiVersion: v1", "kind: Pod", "spec:", "  containers:",
                               "    - name: client", "      image: curlimages/curl", "      command: [sh, -c]",
                               f"      args: [{json.dumps(CURL)}]")}, "client.yaml"),
    # An unclosed quote re-read its value from the quote for every line it added: minutes for 300,000 lines.
    ".env-unclosed-quote": (
        {".env": "MODEL=Qwen/Qwen2.5-7B\nNOTE=\"\n" + "x\n" * 300_000,
         "app.py": _lines("import os", "from openai import OpenAI",
                          'OpenAI().chat.completions.create(model=os.environ["MODEL"], messages=[])')},
        "app.py"),
}


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _scan_in_child(root: Path) -> tuple[dict, float, float]:
    """Scan `root` with the CLI in a grandchild; its peak resident memory (MB) as seen by its own parent."""
    probe = textwrap.dedent(f"""
        import json, resource, subprocess, sys, time
        start = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "vlint", "scan", ".", "--format", "json", "--no-cache"],
                              cwd={str(root)!r}, capture_output=True, text=True, timeout={SECONDS * 3})
        seconds = time.monotonic() - start
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(json.dumps({{"rc": done.returncode, "out": done.stdout, "err": done.stderr[-2000:],
                          "seconds": seconds, "peak": peak}}))
    """)
    probe_run = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True)
    report = json.loads(probe_run.stdout)
    assert report["rc"] in (0, 1), report["err"]
    return json.loads(report["out"]), report["seconds"], report["peak"]


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_expansion_bomb_is_an_error_and_the_real_finding_stays(case, tmp_path):
    files, finding_file, bomb_file = CASES[case]
    _write(tmp_path, files)
    result, seconds, peak = _scan_in_child(tmp_path)
    assert [(f["rule"], f["path"]) for f in result["findings"] if f["rule"] == "VL001"] == [("VL001", finding_file)]
    assert [e["path"] for e in result["errors"] if LIMIT in e["reason"]] == [bomb_file], result["errors"]
    assert peak < PEAK_MB, f"peak {peak:.0f} MB"
    assert seconds < SECONDS, f"{seconds:.1f} s"


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_text_costs_linear_time_and_memory(case, tmp_path):
    files, finding_file = HOSTILE[case]
    _write(tmp_path, files)
    result, seconds, peak = _scan_in_child(tmp_path)
    assert [(f["rule"], f["path"]) for f in result["findings"] if f["rule"] == "VL001"] == [("VL001", finding_file)]
    assert peak < PEAK_MB, f"peak {peak:.0f} MB"
    assert seconds < SECONDS, f"{seconds:.1f} s"


def test_yaml_aliases_multiplying_env_lose_only_their_document(tmp_path):
    """`env: *big` in thousands of jobs reads the big mapping once per use: refused by size once aliases are
    counted, as an error of that document; the next document of the file is still read."""
    big = "".join(f"    K{i}: v\n" for i in range(2000))
    jobs = "".join(f"  j{i}:\n    env: *big\n    steps:\n      - run: echo\n" for i in range(2000))
    deployment = _lines("---", "apiVersion: apps/v1", "kind: Deployment", "spec:", "  template:", "    spec:",
                        "      containers:", "        - name: client", "          image: curlimages/curl",
                        "          command: [sh, -c]", f"          args: [{json.dumps(CURL)}]")
    (tmp_path / "ci.yaml").write_text("x:\n  env: &big\n" + big + "jobs:\n" + jobs + deployment)
    result, seconds, peak = _scan_in_child(tmp_path)
    assert [(f["rule"], f["path"]) for f in result["findings"]] == [("VL001", "ci.yaml")]
    assert [(e["path"], e["line"]) for e in result["errors"]] == [("ci.yaml", 1)]
    assert "too large" in result["errors"][0]["reason"]
    assert peak < PEAK_MB and seconds < SECONDS, (peak, seconds)
