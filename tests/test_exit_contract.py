"""The exit contract under hostile or mistaken input: 0 clean, 1 findings, 2 usage or configuration error.

A path that is not there fails (a typo in a CI step must not go green), a configuration file that is not
UTF-8 or has the wrong types fails naming the file and the key, standard input that is not UTF-8 is still
linted, and `jobs` in a repository's own configuration (which a fork's pull request controls) cannot ask
for more workers than the machine has cores.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from vlint.cli import main
from vlint.config import load_config, usable_cpus

CHAT = 'from openai import OpenAI\nOpenAI().chat.completions.create(model="Qwen/Qwen2.5-7B", messages=[])\n'


def _vlint(args: list[str], cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    script = Path(sys.executable).with_name("vlint")
    if not script.exists():
        pytest.skip("the console script is not installed next to this interpreter")
    return subprocess.run([str(script), *args], cwd=cwd, input=stdin, capture_output=True, timeout=300)


# ---- paths ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [["scan", "srcc"], ["scan", "src", "typo.py"], ["srcc"], ["scan", "src/nope/"]])
def test_a_path_that_does_not_exist_exits_2_with_one_line(tmp_path: Path, monkeypatch, capsys, args):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text(CHAT)
    monkeypatch.chdir(tmp_path)
    assert main([*args, "--no-cache"]) == 2
    out = capsys.readouterr()
    missing = next(a for a in args[1:] + args[:1] if a not in ("scan", "src"))
    assert out.out == "" and out.err.count("\n") == 1 and missing in out.err and "no such file" in out.err


def test_the_console_script_fails_a_missing_path_too(tmp_path: Path):
    done = _vlint(["scan", "does-not-exist", "--no-cache"], tmp_path)
    assert done.returncode == 2 and done.stdout == b""
    assert done.stderr == b"vlint: does-not-exist: no such file or directory\n"


def test_existing_paths_and_a_dangling_symlink_still_scan(tmp_path: Path, monkeypatch, capsys):
    (tmp_path / "a.py").write_text(CHAT)
    (tmp_path / "gone.py").symlink_to(tmp_path / "never-there.py")
    monkeypatch.chdir(tmp_path)
    assert main(["scan", "a.py", "gone.py", "--no-cache"]) == 1  # the dangling link is the scan's to report


# ---- configuration ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name, content, key", [
    ("vlint.toml", b'select = ["VL001"]  # caf\xe9\n', None),
    (".vlint.toml", b"\xff\xfe", None),
    ("pyproject.toml", b"[project]\nname = 'x'\ndescription = 'caf\xe9'\n", None),
    ("pyproject.toml", b"tool = 5\n", "tool"),
    ("pyproject.toml", b"[tool]\nvlint = 5\n", "tool.vlint"),
    ("vlint.toml", b'tool = "x"\n', "tool"),
    ("pyproject.toml", b"[tool.vlint]\njobs = -1\n", "jobs"),
    ("pyproject.toml", b'[tool.vlint]\nseverity = { VL001 = ["error"] }\n', "severity"),
    ("pyproject.toml", b"[tool.vlint]\nper-file-ignores = { \"a/*\" = 5 }\n", "per-file-ignores"),
])
def test_config_encoding_and_type_errors_exit_2_naming_file_and_key(tmp_path: Path, monkeypatch, capsys, name,
                                                                     content, key):
    (tmp_path / name).write_bytes(content)
    (tmp_path / "a.py").write_text(CHAT)
    monkeypatch.chdir(tmp_path)
    for args in (["scan", ".", "--no-cache"], ["config"], ["scan", ".", "--no-cache", "--config", name]):
        assert main(args) == 2, args
        err = capsys.readouterr().err
        assert err.startswith("vlint: configuration error: ") and err.count("\n") == 1, err
        assert name in err and "internal error" not in err
        if key is None:
            assert "UTF-8" in err
        else:
            assert f"`{key}`" in err


# ---- standard input ---------------------------------------------------------------------------------

def test_stdin_that_is_not_utf8_is_decoded_with_replacement(tmp_path: Path, monkeypatch, capsys):
    data = b"# caf\xe9 \xff\n" + CHAT.encode()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    assert main(["scan", "--stdin-filename", "buf.py", "--format", "json"]) == 1
    [finding] = json.loads(capsys.readouterr().out)["findings"]
    assert (finding["path"], finding["line"], finding["rule"]) == ("buf.py", 3, "VL001")

    done = _vlint(["scan", "--stdin-filename", "buf.py", "--format", "json"], tmp_path, stdin=data)
    assert done.returncode == 1, done.stderr
    assert [f["line"] for f in json.loads(done.stdout)["findings"]] == [3]


# ---- jobs from the repository -----------------------------------------------------------------------

def test_repository_jobs_are_clamped_to_the_cores_and_the_command_line_is_not(tmp_path: Path, monkeypatch,
                                                                              capsys):
    (tmp_path / "pyproject.toml").write_text("[tool.vlint]\njobs = 100000\n")
    cores = usable_cpus()
    assert load_config(tmp_path).jobs == cores
    assert load_config(tmp_path, overrides={"jobs": cores + 7}).jobs == cores + 7
    (tmp_path / "vlint.toml").write_text(f"jobs = {cores}\n")
    assert load_config(tmp_path).jobs == cores
    (tmp_path / "vlint.toml").unlink()
    monkeypatch.chdir(tmp_path)
    assert main(["config"]) == 0
    line = next(row for row in capsys.readouterr().out.splitlines() if row.startswith("jobs"))
    assert line.startswith(f"jobs = {cores}  ") and f"100000 clamped to {cores} cores" in line
