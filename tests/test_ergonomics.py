"""Configuration, suppressions, baseline, output formats, stdin: a linter that fits a team's habits."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import REPO, scan_dir
from vlint.cli import main

SCHEMA = REPO / "tests" / "schemas" / "sarif-schema-2.1.0.json"  # the OASIS schema, vendored

CHAT = """
from openai import OpenAI
client = OpenAI()
client.chat.completions.create(model="Qwen/Qwen2.5-14B", messages=[], temperature={t}){comment}
"""


def chat(t: str = "0.9", comment: str = "") -> str:
    return CHAT.format(t=t, comment=comment)


def run(args, root: Path, monkeypatch, capsys):
    monkeypatch.chdir(root)
    code = main([*args, "--no-cache"] if args and args[0] == "scan" else args)
    return code, capsys.readouterr()


# ---- configuration ----------------------------------------------------------------------------------

def test_pyproject_select_ignore_threshold(project, monkeypatch, capsys):
    root = project({
        "pyproject.toml": '[tool.vlint]\nignore = ["base-model-chat"]\ntemperature-threshold = 1.0\n',
        "c.py": chat("0.9"),
    })
    code, out = run(["scan", ".", "--format", "json"], root, monkeypatch, capsys)
    assert [f["rule"] for f in json.loads(out.out)["findings"]] == ["VL002"] and code == 1


def test_vlint_toml_closest_to_path_wins(project, monkeypatch, capsys):
    root = project({
        "pyproject.toml": '[tool.vlint]\nselect = ["VL001"]\n',
        "sub/vlint.toml": 'select = ["VL002"]\n',
        "sub/c.py": chat("0.1"),
    })
    code, out = run(["scan", "sub", "--format", "json"], root, monkeypatch, capsys)
    assert [f["rule"] for f in json.loads(out.out)["findings"]] == ["VL002"]


@pytest.mark.parametrize("table, key", [
    ('colour = "red"', "colour"),
    ('temperature-threshold = "low"', "temperature-threshold"),
    ('select = ["VL999"]', "select"),
    ('fail-on = "sometimes"', "fail-on"),
    ('models = { basic = ["x/*"] }', "models"),
])
def test_bad_config_exits_2_naming_file_and_key(project, monkeypatch, capsys, table, key):
    root = project({"pyproject.toml": f"[tool.vlint]\n{table}\n", "c.py": chat()})
    code, out = run(["scan", "."], root, monkeypatch, capsys)
    assert code == 2
    assert "pyproject.toml" in out.err and key in out.err


def test_invalid_toml_exits_2(project, monkeypatch, capsys):
    root = project({"vlint.toml": "select = [\n", "c.py": chat()})
    code, out = run(["scan", "."], root, monkeypatch, capsys)
    assert code == 2 and "vlint.toml" in out.err


def test_per_file_ignores_severity_fail_on_and_excludes(project, monkeypatch, capsys):
    root = project({
        "pyproject.toml": textwrap.dedent("""
            [tool.vlint]
            per-file-ignores = { "legacy/*" = ["VL001"] }
            severity = { VL001 = "info" }
            fail-on = "error"
            extend-exclude = ["vendored"]
        """),
        "legacy/a.py": chat(),
        "b.py": chat(),
        "vendored/c.py": chat(),
    })
    code, out = run(["scan", ".", "--format", "json"], root, monkeypatch, capsys)
    findings = json.loads(out.out)["findings"]
    assert [(f["path"], f["severity"]) for f in findings] == [("b.py", "info")]
    assert code == 0  # info is below fail-on = error
    # pre-commit passes files explicitly: config excludes still apply.
    code, out = run(["scan", "vendored/c.py", "--format", "json"], root, monkeypatch, capsys)
    assert json.loads(out.out)["findings"] == []


def test_model_overrides_win(project, monkeypatch, capsys):
    root = project({
        "pyproject.toml": '[tool.vlint]\nmodels = { base = ["acme/*"], instruct = ["Qwen/Qwen2.5-14B"] }\n',
        "c.py": chat().replace("Qwen/Qwen2.5-14B", "acme/private-7b") + chat(),
    })
    code, out = run(["scan", ".", "--format", "json"], root, monkeypatch, capsys)
    findings = json.loads(out.out)["findings"]
    assert {f["model"] for f in findings} == {"acme/private-7b"}
    assert any("configuration" in e for e in findings[0]["evidence"])


def test_config_command_shows_origin(project, monkeypatch, capsys):
    root = project({"pyproject.toml": "[tool.vlint]\ntemperature-threshold = 0.3\n"})
    code, out = run(["config"], root, monkeypatch, capsys)
    assert code == 0
    line = next(row for row in out.out.splitlines() if row.startswith("temperature-threshold"))
    assert "0.3" in line and "pyproject.toml" in line
    assert any(row.startswith("fail-on") and "default" in row for row in out.out.splitlines())


# ---- suppressions -----------------------------------------------------------------------------------

def test_inline_suppression_same_line_and_line_above(project):
    root = project({
        "a.py": chat("0.9", "  # vlint: ignore[VL001] evaluation harness"),
        "b.py": "from openai import OpenAI\nclient = OpenAI()\n# vlint: ignore[base-model-chat]\n"
                'client.chat.completions.create(model="Qwen/Qwen2.5-14B", messages=[])\n',
    })
    result = scan_dir(root)
    assert result.findings == []
    assert sorted((f.path, f.suppressed) for f in result.suppressed) == [
        ("a.py", "evaluation harness"), ("b.py", "suppressed inline")]


def test_suppression_in_yaml_and_shell_comments_and_whole_file(project):
    root = project({
        "c.py": "# vlint: ignore-file[VL002]\n" + chat("0.1"),
        "d.py": chat("0.1", "  # vlint: ignore"),
    })
    result = scan_dir(root)
    assert [(f.path, f.rule) for f in result.findings] == [("c.py", "VL001")]
    assert len(result.suppressed) == 3


def test_unused_and_unknown_suppressions_are_reported(project):
    root = project({
        "a.py": "from openai import OpenAI\n"
                'OpenAI().chat.completions.create(model="gpt-4o", messages=[])  # vlint: ignore[VL001]\n',
        "b.py": chat("0.9", "  # vlint: ignore[VL042]"),
    })
    result = scan_dir(root)
    got = sorted((f.path, f.rule) for f in result.findings)
    assert got == [("a.py", "VL100"), ("b.py", "VL001"), ("b.py", "VL100")]
    assert "VL042" in next(f.message for f in result.findings if f.path == "b.py" and f.rule == "VL100")


# ---- baseline ---------------------------------------------------------------------------------------

def test_baseline_survives_edits_above_and_reports_new(project, monkeypatch, capsys):
    root = project({"a.py": chat("0.9")})
    code, _ = run(["scan", ".", "--write-baseline", "baseline.json"], root, monkeypatch, capsys)
    assert code == 0 and (root / "baseline.json").is_file()
    (root / "a.py").write_text("# a new header comment\nimport os\n\n" + (root / "a.py").read_text())
    code, out = run(["scan", ".", "--baseline", "baseline.json", "--format", "json"], root, monkeypatch, capsys)
    assert code == 0 and json.loads(out.out)["findings"] == []
    (root / "b.py").write_text(chat("0.9"))
    code, out = run(["scan", ".", "--baseline", "baseline.json", "--format", "json"], root, monkeypatch, capsys)
    assert code == 1 and [f["path"] for f in json.loads(out.out)["findings"]] == ["b.py"]


def test_missing_baseline_is_a_usage_error(project, monkeypatch, capsys):
    root = project({"a.py": chat()})
    code, out = run(["scan", ".", "--baseline", "nope.json"], root, monkeypatch, capsys)
    assert code == 2 and "nope.json" in out.err


# ---- output formats ---------------------------------------------------------------------------------

def _sarif(root, monkeypatch, capsys):
    code, out = run(["scan", ".", "--format", "sarif"], root, monkeypatch, capsys)
    return code, json.loads(out.out)


def test_sarif_validates_and_carries_rule_help(project, monkeypatch, capsys):
    root = project({"a.py": chat("0.1"), "b.py": chat("0.9", "  # vlint: ignore[VL001] ok"),
                    "bad.py": "from openai import OpenAI\n(\n"})
    code, sarif = _sarif(root, monkeypatch, capsys)
    jsonschema.validate(sarif, json.loads(SCHEMA.read_text()))
    run_ = sarif["runs"][0]
    rules = {r["id"]: r for r in run_["tool"]["driver"]["rules"]}
    assert "## Why it matters" in rules["VL001"]["help"]["markdown"]
    results = run_["results"]
    assert {(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) for r in results} >= {
        ("VL001", "a.py"), ("VL002", "a.py")}
    assert any(r.get("suppressions") for r in results)
    assert run_["invocations"][0]["toolExecutionNotifications"][0]["locations"][0]["physicalLocation"][
        "artifactLocation"]["uri"] == "bad.py"
    assert code == 1


def test_sarif_fingerprints_are_stable_when_lines_are_added_above(project, monkeypatch, capsys):
    root = project({"a.py": chat("0.1")})
    _, before = _sarif(root, monkeypatch, capsys)
    (root / "a.py").write_text("import os\nimport sys\n" + (root / "a.py").read_text())
    _, after = _sarif(root, monkeypatch, capsys)

    def prints(sarif):
        return [(r["ruleId"], r["partialFingerprints"]["vlintFindingHash/v1"],
                 r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in sarif["runs"][0]["results"]]

    b, a = prints(before), prints(after)
    assert [x[:2] for x in b] == [x[:2] for x in a]
    assert [x[2] + 2 for x in b] == [x[2] for x in a]


def test_github_annotations(project, monkeypatch, capsys):
    root = project({"a.py": chat("0.1")})
    code, out = run(["scan", ".", "--format", "github"], root, monkeypatch, capsys)
    lines = out.out.splitlines()
    assert lines[0].startswith("::error file=a.py,line=3,col=1,title=VL001 base-model-chat::base model")
    assert lines[1].startswith("::warning file=a.py,line=3")
    assert code == 1


def test_output_file(project, monkeypatch, capsys):
    root = project({"a.py": chat("0.1")})
    code, out = run(["scan", ".", "--format", "json", "--output", "out/report.json"], root, monkeypatch, capsys)
    assert out.out == "" and code == 1
    assert len(json.loads((root / "out/report.json").read_text())["findings"]) == 2


def test_stdin_filename(project, monkeypatch, capsys):
    import io

    root = project({})
    monkeypatch.setattr("sys.stdin", io.StringIO(chat("0.1")))
    code, out = run(["scan", "--stdin-filename", "editor/buffer.py", "--format", "json"], root, monkeypatch, capsys)
    findings = json.loads(out.out)["findings"]
    assert code == 1 and {f["path"] for f in findings} == {"editor/buffer.py"}


def test_min_confidence_filters(project):
    root = project({"a.py": chat("0.9").replace("Qwen/Qwen2.5-14B", "someorg/Mistral-7B-v0.1-finetune-base")})
    everything = scan_dir(root).findings
    assert all(f.confidence in ("low", "medium", "high") for f in everything)
    assert scan_dir(root, min_confidence="high").findings == [f for f in everything if f.confidence == "high"]


def test_suppressions_in_notebook_cells_rst_comments_and_blockquoted_fences(project):
    import json as _json

    cell = ["from openai import OpenAI\n", "# vlint: ignore[VL001] notebook demo of the failure\n",
            'OpenAI().chat.completions.create(model="Qwen/Qwen2.5-7B", messages=[])\n']
    notebook = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "source": cell}],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    root = project({
        "nb.ipynb": _json.dumps(notebook, indent=1),
        "doc.rst": ".. vlint: ignore[VL001] shows the failure on purpose\n\n.. code-block:: bash\n\n"
                   "   curl localhost:8000/v1/chat/completions -d '{\"model\": \"Qwen/Qwen2.5-7B\", \"messages\": []}'\n",
        "quote.md": "> <!-- vlint: ignore[VL001] -->\n> ```bash\n> curl localhost:8000/v1/chat/completions "
                    "-d '{\"model\": \"Qwen/Qwen2.5-7B\", \"messages\": []}'\n> ```\n",
    })
    result = scan_dir(root)
    assert result.findings == []
    assert sorted(f.path for f in result.suppressed) == ["doc.rst", "nb.ipynb", "quote.md"]
    assert next(f.suppressed for f in result.suppressed if f.path == "nb.ipynb") == "notebook demo of the failure"
