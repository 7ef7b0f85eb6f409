"""The human output, as a ruff user expects it: golden files for the concise, full and colour forms, colour
only on a terminal (a real pseudo-terminal here), NO_COLOR, `-q`, `--statistics`, shared evidence.

Regenerate the golden files after a deliberate change with `VLINT_UPDATE_GOLDEN=1 pytest tests/test_output.py`
and read the diff before committing it.
"""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys

import pytest

from tests.conftest import REPO
from vlint.cli import main
from vlint.report.frame import Mark, source_frame
from vlint.report.style import Style

OUTPUT = REPO / "tests" / "fixtures" / "output"
PROJECT = OUTPUT / "project"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    monkeypatch.chdir(PROJECT)
    code = main(["scan", "--no-cache", *args])
    return code, capsys.readouterr().out


@pytest.mark.parametrize("name, args", [
    ("concise", ("--format", "concise")),
    ("full", ("--format", "full")),
    ("colour", ("--format", "full", "--color", "always")),
])
def test_golden_output(name, args, monkeypatch, capsys):
    code, out = run(monkeypatch, capsys, *args)
    golden = OUTPUT / f"{name}.txt"
    if os.environ.get("VLINT_UPDATE_GOLDEN"):
        golden.write_text(out, encoding="utf-8")
    assert code == 1
    assert out == golden.read_text(encoding="utf-8")


def test_text_is_the_full_style_and_concise_is_one_line_a_finding(monkeypatch, capsys):
    _, text = run(monkeypatch, capsys)
    assert text == (OUTPUT / "full.txt").read_text(encoding="utf-8")
    _, concise = run(monkeypatch, capsys, "--format", "concise", "-q")
    lines = concise.splitlines()
    assert len(lines) == 5 + 1  # five findings and the file that does not parse
    assert all(re.match(r"^[\w/.]+:\d+:\d+: VL00\d (\[\*\] )?\S", line) for line in lines[:5])


def test_findings_on_one_call_share_one_evidence_block(monkeypatch, capsys):
    _, out = run(monkeypatch, capsys)
    block = out.split("client.py:8:13: VL001", 1)[1].split("\n\n", 1)[0]
    assert block.count("client.py:8:13: VL002") == 1
    assert block.count("= evidence:") == 1
    evidence = [line.strip() for line in block.splitlines() if line.startswith("      - ")]
    assert len(evidence) == len(set(evidence)) == 3  # VL002 adds its temperature line, repeats nothing
    assert block.count("= fix [*]") == 1


def test_rule_pointers_once_per_rule_and_a_summary_that_counts(monkeypatch, capsys):
    _, out = run(monkeypatch, capsys, "--format", "concise")
    assert out.count("vlint explain VL001") == 1 and out.count("vlint explain VL002") == 1
    assert "Found 5 findings (4 fixable) in 2 of 4 files scanned; 1 file could not be read." in out


def test_quiet_prints_the_findings_only(monkeypatch, capsys):
    _, out = run(monkeypatch, capsys, "--format", "concise", "-q")
    assert "Found" not in out and "vlint explain" not in out and out.count(": VL00") == 5


def test_statistics_count_findings_per_rule(monkeypatch, capsys):
    _, out = run(monkeypatch, capsys, "--statistics", "-q")
    assert out.splitlines() == ["3  VL001  [*] base-model-chat", "2  VL002  [*] base-model-low-temperature",
                                "broken.py:4: error: Python syntax error: invalid syntax"]


def test_piped_output_has_no_colour_unless_asked(monkeypatch, capsys):
    _, out = run(monkeypatch, capsys)  # capsys is not a terminal: --color auto means plain
    assert "\x1b" not in out
    monkeypatch.setenv("NO_COLOR", "1")
    _, out = run(monkeypatch, capsys, "--color", "always")  # an explicit request beats NO_COLOR
    assert ANSI.search(out)


def _on_a_terminal(*args: str, env: dict[str, str]) -> str:
    """Run the CLI with its standard output on a real pseudo-terminal and return what it wrote."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "vlint", "scan", "--no-cache", *args], cwd=PROJECT,
                            stdout=follower, stderr=subprocess.DEVNULL, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode("utf-8")


@pytest.mark.slow
def test_colour_on_a_terminal_and_none_with_no_color():
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    coloured = _on_a_terminal("--format", "concise", env=env)
    assert ANSI.search(coloured) and "\x1b[1;31mVL001\x1b[0m" in coloured
    plain = _on_a_terminal("--format", "concise", env={**env, "NO_COLOR": "1"})
    assert "\x1b" not in plain and "VL001" in plain
    assert ANSI.sub("", coloured).replace("\r\n", "\n") == plain.replace("\r\n", "\n")


def test_frames_escape_the_source_and_align_carets_after_wide_and_escaped_characters():
    lines = ["x = '\x1b[31m工'; call(model)", "\tnext(line)"]
    frame = source_frame(lines, [Mark(1, 15, "VL001", "red"), Mark(2, 2, "model", "cyan")], Style())
    assert frame[1] == "1 | x = '\\x1b[31m工'; call(model)"
    assert frame[2] == "  |                   ^^^^ VL001"  # `\x1b` shows as 4 columns, 工 takes 2
    assert frame[3] == "2 |     next(line)"
    assert frame[4] == "  |     ^^^^ model"
    assert source_frame(lines, [Mark(9, 1, "VL001", "red")], Style()) == []  # a line that is not there: no frame


def test_frames_of_standard_input_show_what_was_read(tmp_path, monkeypatch, capsys):
    (tmp_path / "c.py").write_text("# the file on disk says something else\n" * 5)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO(
        'from openai import OpenAI\nOpenAI().chat.completions.create(model="gpt2", messages=[])\n'))
    assert main(["scan", "--stdin-filename", "c.py", "--no-cache"]) == 1
    out = capsys.readouterr().out
    assert '2 | OpenAI().chat.completions.create(model="gpt2", messages=[])' in out and "on disk" not in out
