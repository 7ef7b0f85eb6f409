"""Hostile and broken input never crashes vlint, never runs anything, never phones home."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import REPO, scan_dir
from vlint.cli import main
from vlint.extract import EXTRACTORS
from vlint.extract.perfile import extract_text

FUZZ_EXAMPLES = int(os.environ.get("VLINT_FUZZ_EXAMPLES", "300"))


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test."""
    attempts: list[object] = []

    def refuse(self, address, *args, **kwargs):
        attempts.append(address)
        raise AssertionError(f"vlint tried to connect to {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: refuse(None, a))
    return attempts


def test_static_scan_opens_no_connection(no_network, monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    code = main(["scan", "examples", "tests/fixtures", "--no-cache", "--format", "json"])
    assert code in (0, 1)
    assert no_network == []


def test_model_command_offline_opens_no_connection(no_network, capsys):
    assert main(["model", "someorg/anonymous-upload", "Qwen/Qwen2.5-14B"]) == 0
    assert no_network == []


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(EXTRACTORS))
@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=400))
def test_random_text_never_escapes_an_extractor(kind, text):
    facts = extract_text(kind, text, f"fuzz.{kind}")
    for error in facts.errors:
        assert error.path == f"fuzz.{kind}" and error.reason
        assert "internal error" not in error.reason, error.reason


TRIGGERS = ["vllm serve ", "--model ", "client.chat.completions.create(", "model=", '"messages": [',
            "temperature: 0", "curl http://h/v1/chat/completions -d '", "{{ .Values.x }}", "${{ env.X }}",
            "```python\n", "LLM(", "SamplingParams(", "image: vllm/vllm-openai", "args:\n  - ", "\\\n", "'", '"',
            "$(", "${MODEL:-", "<<EOF\n", "[", "{", "- ", ": ", "\n", "\t", "\x00", "\ud7ff"]


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(EXTRACTORS))
@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(st.sampled_from(TRIGGERS) | st.text(max_size=12), max_size=40))
def test_trigger_soup_never_escapes_an_extractor(kind, parts):
    text = "".join(parts)
    facts = extract_text(kind, text, f"soup.{kind}")
    assert all("internal error" not in e.reason for e in facts.errors), facts.errors


def test_binary_non_utf8_huge_and_deep_inputs(project):
    root = project({})
    (root / "blob.py").write_bytes(b"\x00\x01\x02" * 1000)
    (root / "latin.py").write_bytes('# caf\xe9\nfrom openai import OpenAI\n'.encode("latin-1"))
    (root / "big.py").write_text("x = 1\n" * 400_000)
    (root / "deep.py").write_text("from openai import OpenAI\nx = " + "(" * 5000 + ")" * 5000 + "\n")
    (root / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    result = scan_dir(root, max_file_size=1_000_000)
    reasons = {e.path: e.reason for e in result.errors}
    assert "max-file-size" in reasons["big.py"]
    assert "blob.py" not in reasons and "latin.py" not in reasons
    assert all("internal error" not in r for r in reasons.values()), reasons


def test_yaml_alias_bomb_finishes_quickly(project):
    import time

    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 12):
        bomb += f"{chr(97 + i)}: &{chr(97 + i)} [*{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, " \
                f"*{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}]\n"
    bomb += "model: Qwen/Qwen2.5-7B\nserved-model-name: *l\n"
    root = project({"bomb.yaml": bomb})
    start = time.monotonic()
    scan_dir(root)
    assert time.monotonic() - start < 10


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can read unreadable files")
def test_unreadable_file_is_reported(project):
    root = project({"secret.py": "from openai import OpenAI\n"})
    (root / "secret.py").chmod(0)
    result = scan_dir(root)
    assert [e.path for e in result.errors] == ["secret.py"]


def test_symlink_loop_does_not_hang(project):
    root = project({"a/c.py": "from openai import OpenAI\n"})
    (root / "a" / "loop").symlink_to(root, target_is_directory=True)
    (root / "dangling.py").symlink_to(root / "nowhere.py")
    result = scan_dir(root)
    assert result.files_scanned == 1


def test_internal_error_exits_2_with_one_line_and_debug_traceback(monkeypatch, capsys, project):
    import vlint.link

    root = project({"c.py": "from openai import OpenAI\n"})
    monkeypatch.chdir(root)

    def boom(*_args, **_kwargs):
        raise RuntimeError("linker exploded")

    monkeypatch.setattr(vlint.link, "link", boom)
    assert main(["scan", ".", "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == ["vlint: internal error: RuntimeError: linker exploded "
                                        "(run with --debug for the traceback)"]
    assert main(["scan", ".", "--no-cache", "--debug"]) == 2
    assert "Traceback" in capsys.readouterr().err


def test_a_crashing_extractor_loses_only_its_file(monkeypatch, project):
    import vlint.extract.python as py

    root = project({"a.py": "from openai import OpenAI\nclient = OpenAI()\n",
                    "b.py": "from openai import OpenAI\nclient = OpenAI()\n"})
    real = py.extract_python

    def flaky(text, path, **kw):
        if path == "a.py":
            raise ValueError("bad day")
        return real(text, path, **kw)

    monkeypatch.setattr(py, "extract_python", flaky)
    result = scan_dir(root)
    assert [(e.path, "bad day" in e.reason) for e in result.errors] == [("a.py", True)]


def test_never_imports_vllm_or_runs_scanned_code(project, monkeypatch):
    import sys

    marker = Path(project({}) / "ran.txt")
    root = project({"evil.py": f"open({str(marker)!r}, 'w').write('x')\nfrom openai import OpenAI\n"
                               "OpenAI().chat.completions.create(model='Qwen/Qwen2.5-7B', messages=[])\n",
                    "evil.sh": f"touch {marker}\nvllm serve Qwen/Qwen2.5-7B\n"})
    scan_dir(root)
    assert not marker.exists()
    assert "vllm" not in sys.modules


REGRESSIONS = REPO / "tests" / "fixtures" / "regressions"


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(p.name for p in REGRESSIONS.iterdir()), ids=str)
def test_inputs_that_once_crashed_vlint(case):
    """Each input once killed the process (native parser crashes are intermittent: repeat them)."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from vlint.extract.perfile import extract_text\n"
        "from vlint.discover import kind_of\n"
        "p = Path(sys.argv[1])\n"
        "text = p.read_text(encoding='utf-8')\n"
        "for _ in range(1500):\n"
        "    extract_text(kind_of(p), text, p.name)\n"
        "print('survived')\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(REGRESSIONS / case)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0 and "survived" in done.stdout, done.stderr[-2000:]


@pytest.mark.slow
def test_a_hundred_thousand_files_stay_within_bounded_memory(tmp_path):
    """Facts are kept per file only when a file says something; a huge tree of irrelevant files must not
    make memory grow with it. Measured as peak RSS of a child process scanning 100k files."""
    import subprocess
    import sys

    root = tmp_path / "tree"
    body = "# notes about the weather station\nvalue = 1\n"
    for d in range(200):
        folder = root / f"pkg{d}"
        folder.mkdir(parents=True)
        for i in range(500):
            (folder / f"m{i}.py").write_text(body)
    (root / "pkg0" / "client.py").write_text(
        'from openai import OpenAI\nOpenAI().chat.completions.create(model="Qwen/Qwen2.5-7B", messages=[])\n')
    script = (
        "import resource, sys\n"
        "from vlint.api import scan\n"
        "from vlint.config import Config\n"
        "r = scan([sys.argv[1]], Config(cache=False, jobs=1))\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024\n"
        "print(r.files_scanned, len(r.findings), peak)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(root)], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    files, findings, peak_mib = map(int, done.stdout.split())
    assert files == 100_001 and findings == 1
    print(f"peak RSS {peak_mib} MiB for 100k files")
    assert peak_mib < 400, f"peak RSS {peak_mib} MiB for 100k files"
