"""Hostile Python never takes a scan down (`vlint/extract/python/guard.py`): what CPython's parser refuses, and what
is nested deeper than libcst's native parser survives, is an error entry with its line, never a crash or a
hang, and the rest of the scan goes on.

The attacks run the real CLI in a subprocess (a native crash must not kill pytest) with a 2 MiB stack, the
smallest a Python thread gets on the platforms vlint runs on (Windows), so a bound that is too generous
shows as a crash here and not only on someone else's machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vlint.extract.python.guard import (
    MAX_NESTING,
    Refusal,
    locate_deep_line,
    nesting_refusal,
    parse_with_cpython,
)

REPO = Path(__file__).resolve().parent.parent
STACK = 2 << 20
REAL = ('from openai import OpenAI\nclient = OpenAI()\n'
        'client.chat.completions.create(model="Qwen/Qwen2.5-7B", messages=[{"role": "user", "content": "hi"}])\n')
# A hostile module that passes every prefilter stage: it makes a client and calls it with the hostile value.
HEAD = "from openai import OpenAI\nclient = OpenAI()\n"
CALL = "client.chat.completions.create(model=x, messages=[])\n"


def _limited_stack() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_STACK, (STACK, STACK))


def scan_in_subprocess(root: Path) -> tuple[int, dict, float]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "vlint.cli", "scan", ".", "--format", "json", "--no-cache"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=300,
                          preexec_fn=_limited_stack if os.name == "posix" else None)
    elapsed = time.monotonic() - start
    assert done.returncode in (0, 1), (done.returncode, done.stderr[-2000:])
    return done.returncode, json.loads(done.stdout), elapsed


def attr_chain(n: int) -> str:
    return "x = c" + ".a" * n + "\n"


def long_sum(n: int) -> str:
    return "x = " + " + ".join(["1"] * n) + "\n"


def and_chain(n: int) -> str:
    return "x = " + " and ".join(["a"] * n) + "\n"


def call_chain(n: int) -> str:
    return "x = c" + ".a()" * n + "\n"


def nested_blocks(n: int) -> str:
    return "".join(" " * i + "if a:\n" for i in range(n)) + " " * n + "x = 1\n"


def elif_chain(n: int) -> str:
    return "if a:\n    x = 0\n" + "".join(f"elif a{i}:\n    x = {i}\n" for i in range(n))


def concatenation(n: int) -> str:
    return "x = (\n" + "".join('    "a"\n' for _ in range(n)) + ")\n"


def brackets(n: int) -> str:
    return "x = " + "(" * n + "1" + ")" * n + "\n"


def lambdas(n: int) -> str:
    return "x = " + "lambda: " * n + "1\n"


def conditionals(n: int) -> str:
    return "x = " + " if a else ".join(["1"] * n) + "\n"


# (hostile statement, what the error says): CPython refuses the first two and the brackets; the others it
# accepts, and libcst would crash on them (a 2 MiB stack) or take minutes.
ATTACKS = {
    "attribute-chain-10k": (attr_chain(10_000), "CPython"),
    "sum-20k": (long_sum(20_000), "CPython"),
    "brackets-5k": (brackets(5_000), "too many nested parentheses"),
    "and-chain-10k": (and_chain(10_000), "libcst"),
    "call-chain-1k": (call_chain(1_000), "libcst"),
    "nested-blocks-90": (nested_blocks(90), "libcst"),
    "elif-chain-2k": (elif_chain(2_000), "libcst"),
    "concatenation-3k": (concatenation(3_000), "libcst"),
}


@pytest.mark.slow
@pytest.mark.skipif(os.name != "posix", reason="the stack limit is set with setrlimit")
@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_a_hostile_module_loses_only_itself(name: str, tmp_path: Path) -> None:
    statement, says = ATTACKS[name]
    (tmp_path / "real.py").write_text(REAL)
    (tmp_path / "hostile.py").write_text(HEAD + statement + CALL)
    code, report, elapsed = scan_in_subprocess(tmp_path)
    assert code == 1
    assert [(f["rule"], f["path"], f["line"]) for f in report["findings"]] == [("VL001", "real.py", 3)]
    (error,) = report["errors"]
    assert error["path"] == "hostile.py" and says in error["reason"], error
    assert 3 <= error["line"] < 3 + statement.count("\n"), error  # a line of the hostile construct
    assert elapsed < 30


@pytest.mark.skipif(os.name != "posix", reason="the stack limit is set with setrlimit")
def test_every_attack_at_once_next_to_a_real_finding(tmp_path: Path) -> None:
    (tmp_path / "real.py").write_text(REAL)
    for name, (statement, _) in ATTACKS.items():
        (tmp_path / f"{name}.py").write_text(HEAD + statement + CALL)
    code, report, elapsed = scan_in_subprocess(tmp_path)
    assert code == 1 and [f["path"] for f in report["findings"]] == ["real.py"]
    assert sorted(e["path"] for e in report["errors"]) == sorted(f"{name}.py" for name in ATTACKS)
    assert elapsed < 60


# ---- the bounds: what is accepted parses safely, one step more is refused --------------------------------

def accepted(text: str) -> bool:
    tree = parse_with_cpython(text)
    return not isinstance(tree, Refusal) and nesting_refusal(tree, text) is None


def deepest_accepted(make) -> int:
    n = 1
    while accepted(make(n * 2)):
        n *= 2
    low, high = n, n * 2
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if accepted(make(mid)) else (low, mid)
    return low


def _accepted_at_the_bound() -> dict[str, str]:
    """For each way to nest, the deepest module the guard still hands to libcst."""
    def blocks_and_lambdas(n: int) -> str:  # half the blocks allowed, then the deepest expression allowed
        return nested_blocks(20).replace("x = 1", lambdas(n).strip())

    makers = {"blocks": nested_blocks, "lambdas": lambdas, "conditionals": conditionals, "calls": call_chain,
              "and": and_chain,
              "elifs": elif_chain, "concatenation": concatenation, "blocks-and-lambdas": blocks_and_lambdas}
    return {name: make(deepest_accepted(make)) for name, make in makers.items()}


def parse(text: str):
    tree = parse_with_cpython(text)
    assert not isinstance(tree, Refusal), tree
    return tree


@pytest.mark.skipif(os.name != "posix", reason="the stack limit is set with setrlimit")
def test_what_the_guard_accepts_libcst_parses_with_a_2_mib_stack(tmp_path: Path) -> None:
    """The bounds against the installed libcst: a libcst that needs more stack per level fails here."""
    cases = _accepted_at_the_bound()
    for name, text in cases.items():
        (tmp_path / f"{name}.py").write_text(text)
    script = "import sys, libcst\nfor p in sys.argv[1:]:\n    libcst.parse_module(open(p).read())\nprint('survived')\n"
    done = subprocess.run([sys.executable, "-c", script, *(str(tmp_path / f"{n}.py") for n in cases)],
                          capture_output=True, text=True, timeout=300, preexec_fn=_limited_stack)
    assert done.returncode == 0 and "survived" in done.stdout, (done.returncode, done.stderr[-1000:])


@pytest.mark.parametrize("make", [lambdas, conditionals, call_chain, and_chain, long_sum, elif_chain, attr_chain,
                                  nested_blocks, concatenation])
def test_one_level_past_the_bound_is_refused_with_its_line(make) -> None:
    n = 1
    while nesting_refusal(parse(make(n)), make(n)) is None:
        n += 25
    text = "import os\n\n" + make(n)
    refusal = nesting_refusal(parse(text), text)
    assert refusal is not None and "nested too deeply for libcst" in refusal.reason
    assert refusal.line is not None and refusal.line >= 3


def test_real_code_shapes_are_not_refused() -> None:
    """The deepest shapes found in real code (vLLM, the standard library, ~25,000 installed files) pass."""
    shapes = [nested_blocks(15), elif_chain(80), long_sum(150), call_chain(40), and_chain(60), concatenation(500),
              nested_blocks(12).replace("x = 1", long_sum(60).strip())]
    for text in shapes:
        assert nesting_refusal(parse(text), text) is None
    assert MAX_NESTING >= 150


# ---- what CPython refuses is reported with CPython's line ------------------------------------------------

def test_cpython_refusals_carry_the_line() -> None:
    syntax = parse_with_cpython("x = 1\ndef broken(:\n    pass\n")
    assert isinstance(syntax, Refusal) and syntax.line == 2 and "syntax error" in syntax.reason
    null = parse_with_cpython("x = 1\ny = 2\nz = '\x00'\n")
    assert isinstance(null, Refusal) and null.line == 3
    deep = parse_with_cpython("import os\n\n" + attr_chain(10_000) + "y = 1\n")
    assert isinstance(deep, Refusal) and "CPython" in deep.reason and deep.line == 3


def test_where_cpython_gives_up_without_a_line_is_found() -> None:
    # the deepest statement is not the longest line, and spans several lines
    text = "x = '" + "a" * 50_000 + "'\n" + "y = (1\n" + "".join(" + 1\n" for _ in range(5_000)) + ")\n"
    assert locate_deep_line(text) == 2
    assert locate_deep_line("import os\n" + elif_chain(5_000)) == 2
    assert locate_deep_line("x = 1\n") is None
