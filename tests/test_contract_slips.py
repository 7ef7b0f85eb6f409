"""The small promises of the CLI, the configuration and the docs, each held by a test (issue 19, part 3)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
import yaml

from tests.conftest import REPO
from vlint import __version__
from vlint.cli import main
from vlint.config import load_config

CALL = """\
from openai import OpenAI

client = OpenAI()
client.chat.completions.create(
    model="Qwen/Qwen2.5-14B",{model_comment}
    messages=[],
    temperature=0.1,{temperature_comment}
)
"""
LAUNCH_ONLY = "vllm serve Qwen/Qwen2.5-7B --port 8000\n"


def call(model_comment: str = "", temperature_comment: str = "") -> str:
    return CALL.format(model_comment=model_comment, temperature_comment=temperature_comment)


def rules(root: Path, monkeypatch, capsys, *args: str) -> tuple[int, list[str]]:
    monkeypatch.chdir(root)
    code = main(["scan", ".", "--no-cache", "--format", "json", *args])
    out = capsys.readouterr().out
    return code, sorted(f["rule"] for f in json.loads(out)["findings"]) if out else []


# ---- rule selection: comma lists, names, prefixes -------------------------------------------------------

@pytest.mark.parametrize("args, expected", [
    (("--select", "VL001,VL002"), ["VL001", "VL002"]),
    (("--select", "VL001, VL003"), ["VL001", "VL003"]),
    (("--ignore", "VL001,VL002"), []),
    (("--select", "VL001", "--extend-select", "VL002,VL003"), ["VL001", "VL002", "VL003"]),
    (("--extend-select", "base-model-served"), ["VL001", "VL002", "VL003"]),
    (("--select", "base-model-chat"), ["VL001"]),
    (("--select", "base-model"), ["VL001", "VL002", "VL003"]),             # a name prefix
    (("--select", "base-model-low"), ["VL002"]),
    (("--select", "VL0", "--ignore", "base-model-low-temperature"), ["VL001", "VL003"]),  # a code prefix
])
def test_rule_selection_takes_comma_lists_codes_names_and_prefixes(project, monkeypatch, capsys, args, expected):
    root = project({"c.py": call(), "serve.sh": LAUNCH_ONLY})
    assert rules(root, monkeypatch, capsys, *args)[1] == expected


def test_configuration_takes_names_prefixes_and_extend_select(project, monkeypatch, capsys):
    root = project({"c.py": call(), "serve.sh": LAUNCH_ONLY,
                    "vlint.toml": 'select = ["base-model-chat"]\nextend-select = ["VL002,VL003"]\n'
                                  'ignore = ["base-model-s"]\n'})
    with pytest.raises(Exception, match="unknown rule 'base-model-s'"):
        load_config(root)
    (root / "vlint.toml").write_text('select = ["base-model-chat"]\nextend-select = ["VL002,VL003"]\n'
                                     'ignore = ["base-model-served"]\n')
    assert rules(root, monkeypatch, capsys)[1] == ["VL001", "VL002"]


def test_an_unknown_rule_on_the_command_line_is_a_usage_error(project, monkeypatch, capsys):
    root = project({"c.py": call()})
    monkeypatch.chdir(root)
    assert main(["scan", ".", "--no-cache", "--select", "VL001,nonsense"]) == 2
    assert "unknown rule 'nonsense'" in capsys.readouterr().err


# ---- suppressions where the message points ------------------------------------------------------------

def test_a_suppression_on_the_temperature_line_suppresses_the_low_temperature_finding(project, monkeypatch, capsys):
    root = project({"c.py": call(temperature_comment="  # vlint: ignore[VL002] sampled greedily on purpose")})
    assert rules(root, monkeypatch, capsys)[1] == ["VL001"]
    root = project({"c.py": call(model_comment="  # vlint: ignore[base-model-chat] we know")})
    assert rules(root, monkeypatch, capsys)[1] == ["VL002"]  # the model line covers the chat finding
    root = project({"c.py": call(model_comment="  # vlint: ignore[base-model] we know")})
    assert rules(root, monkeypatch, capsys)[1] == []  # a name prefix: both rules, both named on that line


def test_a_suppression_elsewhere_in_the_call_is_unused(project, monkeypatch, capsys):
    root = project({"c.py": call().replace("    messages=[],", "    messages=[],  # vlint: ignore[VL002]")})
    assert rules(root, monkeypatch, capsys)[1] == ["VL001", "VL002", "VL100"]


# ---- configuration ---------------------------------------------------------------------------------------

CONFIG = """\
[tool.vlint]
select = ["VL0"]
extend-select = ["base-model-served"]
ignore = ["VL100"]
per-file-ignores = { "legacy/*" = ["VL001"], "docs \\"quoted\\"/*.md" = ["VL002"] }
extend-exclude = ["third_party\\\\vendored", "build/"]
severity = { VL002 = "error", VL100 = "info" }
temperature-threshold = 0.3
fail-on = "error"
min-confidence = "medium"
models = { base = ["acme/*-pretrain"], instruct = ["acme/support-bot", "tab\\there"] }
docs-severity = "info"
max-file-size = 1000
cache = false
jobs = 1
"""


def test_vlint_config_prints_toml_that_reads_back_to_the_same_configuration(tmp_path, monkeypatch, capsys):
    (tmp_path / "pyproject.toml").write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    assert main(["config"]) == 0
    printed = capsys.readouterr().out
    table = tomllib.loads(printed)["tool"]["vlint"]
    assert table["per-file-ignores"] == {"legacy/*": ["VL001"], 'docs "quoted"/*.md': ["VL002"]}
    assert table["models"] == {"base": ["acme/*-pretrain"], "instruct": ["acme/support-bot", "tab\there"]}
    again = tmp_path / "again"
    again.mkdir()
    (again / "vlint.toml").write_text(printed)
    original, reread = load_config(tmp_path), load_config(again)
    fields = [f for f in vars(original) if f not in ("sources", "root")]
    assert {f: getattr(reread, f) for f in fields} == {f: getattr(original, f) for f in fields}
    assert re.search(r"^temperature-threshold = 0\.3  # .*pyproject\.toml$", printed, re.MULTILINE)
    assert re.search(r"^online = false  # default$", printed, re.MULTILINE)


@pytest.mark.parametrize("key, suggestion", [
    ("temprature-threshold", "temperature-threshold"),
    ("extend_select", "extend-select"),
    ("per-file-ignore", "per-file-ignores"),
    ("failon", "fail-on"),
])
def test_a_typo_in_a_config_key_suggests_the_nearest_key(tmp_path, monkeypatch, capsys, key, suggestion):
    (tmp_path / "vlint.toml").write_text(f"{key} = 1\n")
    monkeypatch.chdir(tmp_path)
    assert main(["scan", ".", "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert f"unknown key `{key}`; did you mean `{suggestion}`?" in err and "vlint.toml" in err


def test_a_severity_override_applies_to_unused_suppressions_too(project, monkeypatch, capsys):
    root = project({"vlint.toml": 'severity = { VL100 = "error" }\nfail-on = "error"\n',
                    "c.py": "x = 1  # vlint: ignore[VL001]\n"})
    monkeypatch.chdir(root)
    code = main(["scan", ".", "--no-cache", "--format", "json"])
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert [(f["rule"], f["severity"]) for f in findings] == [("VL100", "error")] and code == 1


# ---- the command line ------------------------------------------------------------------------------------

def test_baseline_and_write_baseline_together_is_a_usage_error(project, monkeypatch, capsys):
    root = project({"c.py": call()})
    monkeypatch.chdir(root)
    assert main(["scan", ".", "--baseline", "b.json", "--write-baseline", "b.json"]) == 2
    assert "--baseline and --write-baseline cannot be used together" in capsys.readouterr().err
    assert not (root / "b.json").exists()


def test_help_shows_verify_and_fix(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "vlint --verify" in out and "vlint --fix" in out
    assert main(["scan", "--help"]) == 0
    out = capsys.readouterr().out
    assert all(flag in out for flag in ("--verify", "--fix", "--diff", "--color", "--statistics", "--extend-select"))


def test_quiet_means_findings_only_in_scan(project, monkeypatch, capsys):
    root = project({"c.py": call()})
    monkeypatch.chdir(root)
    main(["scan", ".", "--no-cache", "--format", "concise"])
    loud = capsys.readouterr().out
    main(["scan", ".", "--no-cache", "--format", "concise", "-q"])
    quiet = capsys.readouterr().out
    assert "Found 2 findings" in loud and quiet.splitlines() == loud.splitlines()[:2]


def test_a_python_syntax_error_is_listed_without_trigger_words_at_cpython_s_line(project, monkeypatch, capsys):
    root = project({
        "util.py": "import os\n\n\ndef cwd(:\n    return os.getcwd()\n",
        "indent.py": "def f():\n    x = 1\n      y = 2\n",
        "fine.py": "def f(x):\n    return x\n",
    })
    monkeypatch.chdir(root)
    for cache in ("--no-cache", "--jobs=1", "--jobs=1"):  # cold, then through the per-file cache, then warm
        assert main(["scan", ".", cache, "--format", "json"]) == 0  # errors do not fail a scan
        errors = json.loads(capsys.readouterr().out)["errors"]
        assert [(e["path"], e["line"]) for e in errors] == [("indent.py", 3), ("util.py", 4)]
        assert all(e["reason"].startswith("Python syntax error: ") for e in errors)


@pytest.mark.slow
def test_output_to_a_stream_that_is_not_utf8_does_not_crash(project):
    """A latin-1 or cp1252 terminal gets `\\u` escapes for what it cannot show; an ASCII one gets UTF-8 (click
    takes ASCII for a misconfiguration and writes UTF-8). Either way the findings come out, whole."""
    root = project({"vlint.toml": 'models = { base = ["acme/模型-*"] }\n',
                    "c.py": call().replace("Qwen/Qwen2.5-14B", "acme/模型-7b")})
    for encoding in ("latin-1", "cp1252", "ascii"):
        for fmt in ("full", "concise", "json", "github"):
            done = subprocess.run([sys.executable, "-m", "vlint", "scan", ".", "--no-cache", "--format", fmt],
                                  cwd=root, env={**os.environ, "PYTHONIOENCODING": encoding}, capture_output=True,
                                  timeout=120)
            assert done.returncode == 1 and b"internal error" not in done.stderr, (encoding, fmt, done.stderr)
            out = done.stdout.decode("utf-8" if encoding == "ascii" else encoding)
            assert "acme/模型-7b" in out or "acme/\\u6a21\\u578b-7b" in out, (encoding, fmt)
            assert out.count("VL002") >= 1


# ---- install hints and the release tag -------------------------------------------------------------------

def test_install_hints_work_from_a_clone():
    """vlint is installed from its repository, not PyPI: no hint may name `vlint[...]` as a PyPI requirement,
    and the verify hook installs exactly the `verify` extra's requirement next to the hook's own checkout."""
    from vlint.verify.replay import INSTALL_HINT

    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    verify_extra = pyproject["project"]["optional-dependencies"]["verify"]
    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert hooks["vlint-verify"]["additional_dependencies"] == verify_extra
    assert f"pip install '{verify_extra[0]}'" in INSTALL_HINT and "pip install -e '.[verify]'" in INSTALL_HINT
    for path in [REPO / "README.md", REPO / ".pre-commit-hooks.yaml", *REPO.glob("scripts/*"), *REPO.glob("docs/*.md"),
                 *(REPO / "vlint").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"pip install [\"']?vlint\[", text), path
        assert '"vlint[verify]"' not in text and "-vlint[verify]}" not in text, path


def test_the_readme_pre_commit_rev_is_the_release_tag():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    revs = set(re.findall(r"^\s+rev: (\S+)$", readme, re.MULTILINE))
    uses = set(re.findall(r"uses: vlint/vlint@(\S+)", readme))
    assert revs == uses == {f"v{__version__}"}
    hooks = {h["id"] for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert set(re.findall(r"- id: (\S+)", readme)) <= hooks
    tags = subprocess.run(["git", "tag", "--list", "v*"], cwd=REPO, capture_output=True, text=True).stdout.split()
    if tags:  # once the project is tagged, the README must name a tag that exists
        assert f"v{__version__}" in tags
