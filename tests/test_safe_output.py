"""Scanned text never acts on a terminal or a CI log, in any output format.

Written as an attacker would: a repository plants terminal escapes, bidi overrides, a newline followed by
GitHub Actions workflow commands (`::add-mask::`, `::stop-commands::`) and the legacy mid-line `##[...]`
form in a served alias, in a model name its own config calls base, and in file names; then `vlint scan`
runs through `main(argv)` and through the installed console script, and the raw bytes of each output
are read back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path
from urllib.parse import unquote_to_bytes

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import REPO
from vlint.cli import main
from vlint.report.escape import line_head, printable, safe_json

SCHEMA = REPO / "tests" / "schemas" / "sarif-schema-2.1.0.json"
FORMATS = ("text", "json", "sarif", "github")

PAYLOAD = ("prod\x1b]0;owned\x07\x1b[2J\x9b31m\b\r\n::add-mask::hunter2\n  ::stop-commands::tok\u202eevil"
           "\u2028::error::x ##[error]boom")
CLIENT = f"""\
from openai import OpenAI

client = OpenAI()
client.chat.completions.create(model={PAYLOAD!r}, messages=[], temperature=0.1)
client.chat.completions.create(model={("evil-" + PAYLOAD)!r}, messages=[])
"""
LAUNCH = f"""\
import subprocess

subprocess.run(["vllm", "serve", "Qwen/Qwen2.5-7B", "--served-model-name", {PAYLOAD!r}])
"""
CHAT = 'from openai import OpenAI\nOpenAI().chat.completions.create(model="Qwen/Qwen2.5-7B", messages=[])\n'
# File names a repository can commit: a line break then a command, an escape, a leading command.
HOSTILE_NAMES = ("a\n::add-mask::x.py", "b\x1b[31m.py", "::stop-commands::tok.py", " ::warning::w.py",
                 "c ##[error]d.py")
BIDI = {"\u061c", "\u200e", "\u200f", *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))}


def _unsafe(char: str) -> bool:
    """Defined from Unicode categories, independently of the module under test."""
    return char != "\n" and (unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp") or char in BIDI)


def assert_inert(raw: bytes, fmt: str) -> str:
    """The output is UTF-8, holds no control, bidi or separator character but its own line breaks, no
    legacy `##[` command anywhere, and no line that starts with `::` after blanks (github: only its own
    annotation commands do)."""
    text = raw.decode("utf-8")
    assert not [c for c in text if _unsafe(c)], sorted({c for c in text if _unsafe(c)})
    assert "##[" not in text
    for line in text.splitlines():
        if fmt == "github":
            assert line.startswith(("::error file=", "::warning file=", "::notice file=")), line
            assert line.count("::") >= 2 and "\r" not in line
        else:
            assert not line.lstrip().startswith("::"), line
    return text


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[tool.vlint]\nmodels = { base = ["evil-*"] }\n', encoding="utf-8")
    (tmp_path / "client.py").write_text(CLIENT, encoding="utf-8")
    (tmp_path / "serve.py").write_text(LAUNCH, encoding="utf-8")
    for name in HOSTILE_NAMES:
        (tmp_path / name).write_text(CHAT, encoding="utf-8")
    (tmp_path / "broken \x1b[5m.py").write_text("from openai import OpenAI\n(\n", encoding="utf-8")
    return tmp_path


def _scan_to_file(root: Path, fmt: str, monkeypatch) -> tuple[int, bytes]:
    monkeypatch.chdir(root)
    out = root.parent / f"report.{fmt}"
    code = main(["scan", ".", "--no-cache", "--format", fmt, "--output", str(out), "--show-suppressed"])
    return code, out.read_bytes()


@pytest.mark.parametrize("fmt", FORMATS)
def test_planted_alias_model_and_file_names_reach_no_output_raw(planted, fmt, monkeypatch):
    code, raw = _scan_to_file(planted, fmt, monkeypatch)
    assert code == 1
    text = assert_inert(raw, fmt)
    if fmt == "text":
        assert "served as `prod\\x1b]0;owned\\x07\\x1b[2J\\x9b31m\\x08\\r\\n::add-mask::hunter2" in text
        assert "./::stop-commands::tok.py:2:1: VL001" in text and "./ ::warning::w.py:2:1: VL001" in text
        assert "a\\n::add-mask::x.py:2:1: VL001" in text and "broken \\x1b[5m.py:" in text
    if fmt == "github":
        assert "%0A::add-mask::hunter2" in text  # the runner's own escape, as before


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_machine_formats_still_carry_the_exact_scanned_strings(planted, fmt, monkeypatch):
    _, raw = _scan_to_file(planted, fmt, monkeypatch)
    data = json.loads(raw)
    if fmt == "json":
        evidence = [e for f in data["findings"] for e in f["evidence"]]
        assert any(f"served as `{PAYLOAD}`" in e for e in evidence)
        assert {f["model"] for f in data["findings"]} >= {"Qwen/Qwen2.5-7B", "evil-" + PAYLOAD}
        assert {f["path"] for f in data["findings"]} >= set(HOSTILE_NAMES)
    else:
        jsonschema.validate(data, json.loads(SCHEMA.read_text()))
        models = {r["properties"]["model"] for r in data["runs"][0]["results"]}
        assert "evil-" + PAYLOAD in models
        uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in data["runs"][0]["results"]}
        assert {unquote_to_bytes(u).decode() for u in uris} >= set(HOSTILE_NAMES)


def _console_script() -> Path:
    script = Path(sys.executable).with_name("vlint")
    if not script.exists():
        pytest.skip("the console script is not installed next to this interpreter")
    return script


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
def test_installed_console_script_prints_inert_bytes(planted, fmt):
    done = subprocess.run([str(_console_script()), "scan", ".", "--no-cache", "--format", fmt],
                          cwd=planted, capture_output=True, timeout=300)
    assert done.returncode == 1, done.stderr
    assert_inert(done.stdout, fmt)
    assert_inert(done.stderr, "text")


@pytest.mark.slow
def test_sarif_is_always_written_for_a_name_that_is_not_utf8(tmp_path: Path):
    """A file name of raw bytes (Linux allows any but `/` and NUL) used to end in UnicodeEncodeError,
    exit 2 and no report, even with --exit-zero."""
    name = b"caf\xe9 \xff%.py"
    with open(os.path.join(os.fsencode(tmp_path), name), "w", encoding="utf-8") as fh:
        fh.write(CHAT)
    for extra in (["--exit-zero"], []):
        done = subprocess.run([str(_console_script()), "scan", ".", "--no-cache", "--format", "sarif",
                               "--output", "out.sarif", *extra], cwd=tmp_path, capture_output=True, timeout=300)
        assert done.returncode == (0 if extra else 1), done.stderr
        sarif = json.loads((tmp_path / "out.sarif").read_bytes())
        jsonschema.validate(sarif, json.loads(SCHEMA.read_text()))
        [result] = sarif["runs"][0]["results"]
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri == "caf%E9%20%FF%25.py" and unquote_to_bytes(uri) == name
    for fmt in ("text", "json", "github"):
        done = subprocess.run([str(_console_script()), "scan", ".", "--no-cache", "--format", fmt],
                              cwd=tmp_path, capture_output=True, timeout=300)
        assert done.returncode == 1, done.stderr
        assert_inert(done.stdout, fmt)
    done = subprocess.run([str(_console_script()), "scan", ".", "--no-cache", "--format", "json"],
                          cwd=tmp_path, capture_output=True, timeout=300)
    [finding] = json.loads(done.stdout)["findings"]
    assert os.fsencode(finding["path"]) == name  # lossless: a Python consumer can open the file


def test_config_error_naming_a_hostile_key_is_escaped(tmp_path: Path, monkeypatch, capsysbinary):
    (tmp_path / "vlint.toml").write_text('"\\u001b]0;x\\u0007\\n::add-mask::k" = 1\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["scan", "."]) == 2
    err = assert_inert(capsysbinary.readouterr().err, "text")
    assert "vlint.toml" in err and "\\x1b]0;x\\x07\\n::add-mask::k" in err


# ---- the escaping itself -----------------------------------------------------------------------------

@given(st.text())
def test_printable_leaves_nothing_unsafe_on_one_line(text):
    shown = printable(text)
    assert not [c for c in shown if _unsafe(c) or c == "\n"] and "##[" not in shown
    assert not line_head(text).lstrip().startswith("::")


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"))))
def test_ordinary_text_is_unchanged(text):
    if "##[" not in text and not set(text) & BIDI:
        assert printable(text) == text


@given(st.recursive(st.text() | st.integers() | st.none(),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3)))
@pytest.mark.slow
def test_safe_json_decodes_to_the_same_values(value):
    rendered = safe_json(json.dumps(value, indent=2, ensure_ascii=False))
    assert json.loads(rendered) == value
    assert not [c for c in rendered if _unsafe(c)] and "##[" not in rendered
