"""End to end through the Python API and the CLI's main(argv): the foundation's contract."""

from __future__ import annotations

import json

import pytest

from tests.conftest import REPO, rule_lines, scan_dir
from vlint.cli import main

SEED = """
from openai import OpenAI

client = OpenAI(base_url="http://localhost:8000/v1", api_key="EMPTY")
response = client.chat.completions.create(
    model="{model}",
    messages=[{{"role": "user", "content": "Summarise this."}}],
    temperature=0.1,
)
"""


def test_seed_incident_gets_vl001_and_vl002_on_the_call_line(project):
    root = project({"client.py": SEED.format(model="Qwen/Qwen2.5-14B")})
    result = scan_dir(root)
    assert rule_lines(result) == [("VL001", "client.py", 4), ("VL002", "client.py", 4)]
    vl001 = next(f for f in result.findings if f.rule == "VL001")
    assert vl001.model == "Qwen/Qwen2.5-14B" and vl001.model_kind == "base"
    assert "Qwen/Qwen2.5-14B-Instruct" in vl001.message
    assert any("client.py:5" in e for e in vl001.evidence), vl001.evidence


def test_instruct_twin_gets_nothing(project):
    root = project({"client.py": SEED.format(model="Qwen/Qwen2.5-14B-Instruct")})
    assert scan_dir(root).findings == []


@pytest.mark.parametrize("temperature, expected", [("0.8", []), ("0", ["VL002"]), ("0.0", ["VL002"]),
                                                   ("0.49", ["VL002"]), ("0.5", [])])
def test_base_model_through_completions(project, temperature, expected):
    root = project({"c.py": f"""
        from openai import OpenAI
        c = OpenAI()
        c.completions.create(model="Qwen/Qwen2.5-14B", prompt="Once upon a time", temperature={temperature})
    """})
    assert [f.rule for f in scan_dir(root).findings] == expected


def test_unresolvable_model_produces_no_finding(project):
    root = project({"c.py": """
        from openai import OpenAI
        c = OpenAI()
        model = c.models.list().data[0].id
        c.chat.completions.create(model=model, messages=[], temperature=0)
    """})
    assert scan_dir(root).findings == []


def test_unknown_model_is_not_flagged(project):
    root = project({"c.py": """
        from openai import OpenAI
        OpenAI().chat.completions.create(model="acme/internal-thing", messages=[], temperature=0)
    """})
    assert scan_dir(root).findings == []


def test_threshold_is_configurable(project):
    root = project({"c.py": """
        from openai import OpenAI
        OpenAI().completions.create(model="Qwen/Qwen2.5-14B", prompt="x", temperature=0.6)
    """})
    assert scan_dir(root).findings == []
    assert [f.rule for f in scan_dir(root, temperature_threshold=0.7).findings] == ["VL002"]


def test_unparsable_file_is_reported_and_scan_goes_on(project):
    root = project({"bad.py": "from openai import OpenAI\nclient = OpenAI()\ndef f(:\n", "good.py": SEED.format(model="Qwen/Qwen2.5-7B")})
    result = scan_dir(root)
    assert [e.path for e in result.errors] == ["bad.py"]
    assert "syntax" in result.errors[0].reason.lower()
    assert {f.path for f in result.findings} == {"good.py"}


def test_gitignore_and_hidden_folders(project):
    root = project({
        ".gitignore": "ignored/\n",
        "ignored/c.py": SEED.format(model="Qwen/Qwen2.5-7B"),
        ".github/scripts/c.py": SEED.format(model="Qwen/Qwen2.5-7B"),
        "node_modules/x/c.py": SEED.format(model="Qwen/Qwen2.5-7B"),
        ".venv/lib/c.py": SEED.format(model="Qwen/Qwen2.5-7B"),
    })
    (root / ".git").mkdir()
    paths = {f.path for f in scan_dir(root).findings}
    assert paths == {".github/scripts/c.py"}


def test_cli_json_contract(project, capsys, monkeypatch):
    root = project({"client.py": SEED.format(model="Qwen/Qwen2.5-14B"), "bad.py": "from openai import OpenAI\nx = OpenAI(\n"})
    monkeypatch.chdir(root)
    code = main(["scan", ".", "--format", "json", "--no-cache"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 1
    first = payload["findings"][0]
    for key in ("rule", "name", "severity", "path", "line", "column", "message", "model", "model_kind", "evidence"):
        assert key in first
    assert (first["rule"], first["path"], first["line"]) == ("VL001", "client.py", 4)
    assert payload["errors"][0]["path"] == "bad.py" and payload["errors"][0]["reason"]


def test_cli_exit_codes(project, capsys, monkeypatch):
    root = project({"ok.py": SEED.format(model="Qwen/Qwen2.5-14B-Instruct"), "bad.py": SEED.format(model="gpt2")})
    monkeypatch.chdir(root)
    assert main(["scan", "ok.py", "--no-cache"]) == 0
    assert main(["scan", "bad.py", "--no-cache"]) == 1
    assert main(["scan", "bad.py", "--no-cache", "--exit-zero"]) == 0
    assert main(["scan", "--format", "nope"]) == 2
    assert main(["scan", "missing-dir", "--no-cache"]) == 2  # a typo in a CI step must not go green
    capsys.readouterr()


def test_text_output_form(project, capsys, monkeypatch):
    root = project({"client.py": SEED.format(model="Qwen/Qwen2.5-14B")})
    monkeypatch.chdir(root)
    main(["client.py", "--no-cache"])
    out = capsys.readouterr().out
    assert "client.py:4:12: VL001 [*] base model `Qwen/Qwen2.5-14B`" in out


def test_bundled_examples_show_the_seed_incident(monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    code = main(["scan", "examples", "--format", "json", "--no-cache"])
    payload = json.loads(capsys.readouterr().out)
    found = {(f["rule"], f["path"]) for f in payload["findings"]}
    assert code == 1
    assert ("VL001", "examples/seed-incident/client.py") in found
    assert ("VL002", "examples/seed-incident/client.py") in found
    assert not any(p.endswith(("client_fixed.py", "complete.py")) for _, p in found)
    # the examples are a project of their own (examples/vlint.toml): the repository's test fixtures, which
    # serve the same aliases, are neither linked to them nor reported
    assert all(p.startswith("examples/") for _, p in found)
    assert all(f["fixes"] for f in payload["findings"] if f["path"].endswith("client.py"))  # one model, one fix


def test_model_command_json(capsys):
    assert main(["model", "Qwen/Qwen2.5-14B", "Qwen/Qwen3-8B", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["model"], r["kind"]) for r in rows][0] == ("Qwen/Qwen2.5-14B", "base")
    assert rows[1]["kind"] in ("instruct", "reasoning")
    assert all({"confidence", "evidence"} <= set(r) for r in rows)


def test_rules_and_explain(capsys):
    assert main(["rules"]) == 0
    listing = capsys.readouterr().out
    assert "VL001" in listing and "base-model-chat" in listing
    assert main(["explain", "VL001"]) == 0
    doc = capsys.readouterr().out
    assert doc.startswith("# VL001 base-model-chat") and "## Use instead" in doc
    assert main(["explain", "base-model-low-temperature"]) == 0
    assert main(["explain", "VL999"]) == 2
