"""The GitHub Action (`action.yml`), run here as the runner would run it: its `run:` steps' shell with the
inputs substituted, in a temporary git repository, in order, with step outputs passed on through
`$GITHUB_OUTPUT` and `if:` conditions evaluated. `uses:` steps (setup-python, the SARIF upload) cannot run
here; the files they would read are checked instead. The install step runs as a pip dry run with no index,
so it proves the action's own checkout installs as vlint without touching this environment, and the scan
uses the vlint installed in the test's environment."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.conftest import REPO

ACTION = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
SCHEMA = REPO / "tests" / "schemas" / "sarif-schema-2.1.0.json"
EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")
CLIENT = ('from openai import OpenAI\n'
          'OpenAI().chat.completions.create(model="Qwen/Qwen2.5-14B", messages=[], temperature=0.1)\n')


class Runner:
    """Just enough of the Actions runner for this composite action."""

    def __init__(self, workspace: Path, inputs: dict[str, str]) -> None:
        self.workspace = workspace
        defaults = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
        unknown = set(inputs) - set(defaults)
        assert not unknown, f"not inputs of the action: {unknown}"
        self.inputs = {**defaults, **inputs}
        self.outputs: dict[str, dict[str, str]] = {}
        self.logs: dict[str, str] = {}
        self.skipped: list[str] = []
        self.uses: list[dict] = []

    def value(self, path: str) -> str:
        parts = path.split(".")
        if parts[0] == "inputs":
            return self.inputs[parts[1]]
        if parts == ["github", "action_path"]:
            return str(REPO)
        if parts[0] == "steps" and parts[2] == "outputs":
            return self.outputs.get(parts[1], {}).get(parts[3], "")
        raise AssertionError(f"expression the test runner does not know: {path}")

    def substitute(self, text: str) -> str:
        return EXPRESSION.sub(lambda m: self.value(m.group(1)), text)

    def condition(self, expression: str) -> bool:
        match = re.fullmatch(r"(\S+)\s*(==|!=)\s*'([^']*)'", expression.strip())
        assert match, f"condition the test runner does not know: {expression}"
        left, op, right = match.groups()
        return (self.value(left) == right) == (op == "==")

    def run(self) -> int:
        """Run the steps in order; the job's exit status (the first failing step's)."""
        for step in ACTION["runs"]["steps"]:
            if "if" in step and not self.condition(step["if"]):
                self.skipped.append(step["name"])
                continue
            if "uses" in step:
                self.uses.append({**step, "with": {k: self.substitute(str(v)) for k, v in step.get("with", {}).items()}})
                continue
            code = self._shell(step)
            if code != 0:
                return code
        return 0

    def _shell(self, step: dict) -> int:
        assert step["shell"] == "bash"
        output_file = self.workspace.parent / f"output-{len(self.logs)}"
        output_file.write_text("")
        env = {**os.environ, **{k: self.substitute(str(v)) for k, v in step.get("env", {}).items()},
               "GITHUB_OUTPUT": str(output_file), "GITHUB_WORKSPACE": str(self.workspace),
               "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "VLINT_NO_DATA_CACHE": "1"}
        if "pip install" in step["run"]:  # prove it installs vlint from the action's checkout; change nothing
            env.update(PIP_DRY_RUN="1", PIP_NO_INDEX="1", PIP_NO_DEPS="1", PIP_NO_BUILD_ISOLATION="0")
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                              cwd=self.workspace, env=env, capture_output=True, text=True, timeout=300)
        self.logs[step["name"]] = done.stdout + done.stderr
        if "id" in step:
            self.outputs[step["id"]] = dict(line.split("=", 1) for line in output_file.read_text().splitlines())
        return done.returncode


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "src").mkdir(parents=True)
    (root / "src" / "client.py").write_text(CLIENT)
    (root / "README.md").write_text("# a service\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def test_the_action_is_composite_and_never_splices_inputs_into_a_script():
    assert ACTION["runs"]["using"] == "composite"
    steps = ACTION["runs"]["steps"]
    assert steps[0]["uses"].startswith("actions/setup-python@")
    assert any(s.get("uses", "").startswith("github/codeql-action/upload-sarif@") for s in steps)
    for step in steps:
        assert "${{" not in step.get("run", ""), step["name"]  # inputs reach the shell through `env:` only
    assert set(ACTION["inputs"]) >= {"paths", "format", "args", "upload-sarif"}
    assert ACTION["outputs"]["exit-code"]["value"] == "${{ steps.scan.outputs.exit-code }}"


@pytest.mark.slow
def test_findings_annotate_the_run_and_fail_the_job(repo):
    runner = Runner(repo, {})
    assert runner.run() == 1
    assert re.search(r"Would install vlint-\d", runner.logs["Install vlint at the action's ref"])
    log = runner.logs["Run vlint"]
    assert "::error file=src/client.py,line=2,col=1,title=VL001 base-model-chat::" in log
    assert runner.outputs["scan"] == {"exit-code": "1"}
    assert "Upload SARIF to code scanning" in runner.skipped and not runner.uses[1:]
    assert "vlint exited with 1" in runner.logs["Fail on findings"]


@pytest.mark.slow
def test_inputs_reach_vlint_and_the_sarif_report_is_uploaded(repo):
    runner = Runner(repo, {"paths": "src README.md", "format": "concise", "args": "--select VL002 --fail-on error",
                           "upload-sarif": "true", "sarif-file": "out/vlint.sarif"})
    assert runner.run() == 0  # VL002 is a warning, below --fail-on error
    assert runner.outputs["scan"] == {"exit-code": "0"}
    log = runner.logs["Run vlint"]
    assert "src/client.py:2:1: VL002" in log and "VL001" not in log
    upload = next(s for s in runner.uses if s["uses"].startswith("github/codeql-action/upload-sarif@"))
    sarif = json.loads((repo / upload["with"]["sarif_file"]).read_text())
    jsonschema.validate(sarif, json.loads(SCHEMA.read_text()))
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["VL002"]
    assert "Fail on findings" in runner.skipped


@pytest.mark.slow
def test_a_clean_repository_passes_and_a_bad_argument_fails(repo):
    (repo / "src" / "client.py").write_text(CLIENT.replace("Qwen2.5-14B", "Qwen2.5-14B-Instruct"))
    runner = Runner(repo, {})
    assert runner.run() == 0 and runner.outputs["scan"] == {"exit-code": "0"}
    runner = Runner(repo, {"args": "--fail-on sometimes"})
    assert runner.run() == 2 and runner.outputs["scan"] == {"exit-code": "2"}
    runner = Runner(repo, {"paths": "no/such/dir"})
    assert runner.run() == 2 and "no such file or directory" in runner.logs["Run vlint"]
