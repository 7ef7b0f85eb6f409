"""The fast walk and the on-demand positions (`vlint/extract/python/walk.py`, `positions.py`) against libcst's
own machinery:
every node the walk reaches must get exactly the position `PositionProvider` gives it, and the walk must
see the nodes libcst's visitor sees, in the same order."""

from __future__ import annotations

import ast
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from vlint.extract.python.positions import Positions
from vlint.extract.python.walk import VISIT_ORDER, Walk, walked_fields

ROOT = Path(__file__).resolve().parents[1]

# Containers: never asked for (the extractor reads expressions, statements, parameters, arguments).
_CONTAINERS = (cst.Module, cst.IndentedBlock, cst.SimpleStatementLine, cst.SimpleStatementSuite, cst.Else,
               cst.Finally, cst.MatchCase)

TRICKY = {
    "decorators and elif": '''
import os

@app.post("/v1/x",
          tags=["a"])
@other
def handler(model=os.getenv("M", "Qwen/Qwen2.5-7B"), *, t: float = 0.1) -> dict:
    if model:
        x = 1
    elif model.startswith("a"):
        x = 2
    elif (y := len(model)) > 3: x = 3
    else:
        x = 4
    return {"model": model, "x": x}
''',
    "continuation lines inside brackets and backslashes": '''
class Config:
    model = (
        "Qwen/"
        "Qwen2.5-14B"
    )
    def run(self):
        payload = {
            "model": self.model,
                "temperature": 0.1,
        }; other = [1,
                    2]
        total = 1 + \\
            2
        return client.chat.completions.create(**payload)
''',
    "non-ASCII text before nodes": '''
# café
greeting = "héllo wörld"; model = "Qwen/Qwen2.5-14B"  # ü
résumé = f"{greeting} → {model!r:>10}"
call(é=1, b="ß", c=[résumé, "日本語"])
''',
    "tabs and form feeds": "def f():\n\tif x:\n\t\ty = call(a=1,\n\t\t\tb=2)\n\f\ndef g(): return h(1)\n",
    "crlf line endings": "import os\r\nx = call(\r\n    a=1,\r\n)\r\nif x:\r\n    y = 2\r\n",
    "async, with, try, comprehensions, lambdas": '''
async def main(llm=LLM(model="m")):
    async with (
        open("a") as a,
        open("b") as b,
    ):
        try:
            out = [await f(i) for i in range(3) if i]
        except* ValueError as exc:
            out = lambda q=1: q + 1
        except* (TypeError, KeyError):
            pass
        else:
            pass
        finally:
            del out
    for i, j in zip(a, b): print(i)
    else:
        while True: break
    global g
    assert x, "message"
    raise ValueError("x") from None
''',
    "match statement (falls back to PositionProvider)": '''
match command.split():
    case [action]:
        go(action)
    case [action, obj] if obj.startswith("x"):
        go(action, obj)
    case {"model": str(model)}:
        serve(model)
    case _:
        pass
''',
    "byte-order mark": "\ufeffx = call(1)\ny = 2\n",
    "newer syntax than CPython's (type parameters; falls back)": "def f[T](x: T) -> T:\n    return g(x)\n",
    "triple-quoted strings spanning lines": 's = """a\nb\nc"""; t = call("""\nq""", r=1)\nu = 3\n',
}


def _check(text: str) -> tuple[int, bool]:
    module = cst.parse_module(text)
    try:
        tree: ast.Module | None = ast.parse(text)
    except SyntaxError:
        tree = None
    walk = Walk(object())
    walk.run(module)
    positions = Positions(module, text, walk, tree)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    checked = 0
    for node, code_range in expected.items():
        if walk.owner.get(id(node), -1) < 0 or isinstance(node, _CONTAINERS):
            continue
        assert positions.start(node) == code_range.start, (type(node).__name__, module.code_for_node(node)[:80])
        checked += 1
    return checked, positions._full is not None


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_positions_match_libcst(name: str) -> None:
    checked, fell_back = _check(TRICKY[name])
    assert checked > 3
    expect_fallback = "falls back" in name or "byte-order" in name
    assert fell_back == expect_fallback


@pytest.mark.slow
def test_positions_match_libcst_on_real_sources() -> None:
    """vlint's own sources and tests: hundreds of real modules, no fallback expected."""
    files = [*sorted((ROOT / "vlint").rglob("*.py")), *sorted((ROOT / "tests").glob("*.py")),
             *sorted((ROOT / "tests" / "golden").rglob("*.py")), *sorted((ROOT / "bench").glob("*.py"))]
    total = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        if "match " in text:
            continue
        checked, fell_back = _check(text)
        assert not fell_back, path
        total += checked
    assert total > 10_000


class _Recorder:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.seen.append(("visit", cst.Module([]).code_for_node(node.func)))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.seen.append(("leave", node.name.value))


class _LibcstRecorder(cst.CSTVisitor):
    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.seen.append(("visit", cst.Module([]).code_for_node(node.func)))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.seen.append(("leave", original_node.name.value))


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_walk_sees_what_libcst_visitors_see(name: str) -> None:
    module = cst.parse_module(TRICKY[name])
    ours, theirs = _Recorder(), _LibcstRecorder()
    Walk(ours).run(module)
    module.visit(theirs)
    assert ours.seen == theirs.seen
    assert any(kind == "visit" for kind, _ in ours.seen)


def test_visit_order_table_matches_libcst() -> None:
    """Children in the order libcst's visitors take them, derived from libcst's own source."""
    import dataclasses
    import inspect
    import re

    derived: dict[str, tuple[str, ...]] = {}
    for name in dir(cst):
        cls = getattr(cst, name)
        if not (isinstance(cls, type) and issubclass(cls, cst.CSTNode) and dataclasses.is_dataclass(cls)):
            continue
        fields = walked_fields(cls)
        try:
            source = inspect.getsource(cls._visit_and_replace_children)
        except (OSError, TypeError):
            continue
        order = list(dict.fromkeys(f for f in re.findall(r'visit_\w+\(\s*self,\s*"(\w+)"', source) if f in fields))
        order += [f for f in fields if f not in order]
        if tuple(order) != fields:
            derived[name] = tuple(order)
    assert derived == VISIT_ORDER


@pytest.mark.slow
def test_a_worker_without_node_validation_builds_the_same_trees() -> None:
    """`cstparse.skip_node_validation` (vlint's worker processes only) changes libcst for its whole process:
    checked in a process of its own, against the validated parse of the same files."""
    import subprocess
    import sys

    script = """
import sys
from pathlib import Path
import libcst as cst
from vlint.extract.python import cstparse
texts = [Path(p).read_text(encoding="utf-8") for p in sys.argv[1:]]
validated = [cst.parse_module(t) for t in texts]
cstparse.skip_node_validation()
assert all(cstparse.parse(t).deep_equals(v) for t, v in zip(texts, validated))
try:
    cstparse.parse("def broken(:\\n")
except cst.ParserSyntaxError:
    pass
else:
    raise AssertionError("a syntax error went through")
cst.Name("not a name")  # no longer validated in this process
print("same", len(texts))
"""
    files = [*sorted((ROOT / "vlint").rglob("*.py")), *sorted((ROOT / "tests" / "golden").rglob("*.py"))]
    done = subprocess.run([sys.executable, "-c", script, *map(str, files)], capture_output=True, text=True,
                          timeout=600, cwd=ROOT)
    assert done.returncode == 0 and done.stdout.split() == ["same", str(len(files))], done.stderr[-2000:]
    with pytest.raises(cst.CSTValidationError):  # this process still validates
        cst.Name("not a name")


@pytest.mark.slow
def test_call_starts_come_from_cpython_and_equal_libcst() -> None:
    """A call asked for before anything else in its statement gets its start from CPython's matching
    `Call` (no code generation): the same start as PositionProvider's, for every call of vlint's sources."""
    files = [*sorted((ROOT / "vlint").rglob("*.py")), *sorted((ROOT / "tests").glob("*.py"))]
    calls = mapped = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        module = cst.parse_module(text)
        walk = Walk(object())
        walk.run(module)
        positions = Positions(module, text, walk, ast.parse(text))
        expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        for _, call in walk.calls:
            assert positions.start(call) == expected[call].start, (path, cst.Module([]).code_for_node(call)[:60])
            calls += 1
        mapped += sum(len(starts) for starts in (positions._calls or {}).values())
    assert calls > 5_000
    assert mapped > 0.95 * calls


@pytest.mark.slow
def test_literal_starts_come_from_cpython_and_equal_libcst() -> None:
    """Strings, numbers, True/False/None and `...` asked for first take CPython's `Constant` start; f-strings
    and what is inside them are left to code generation. Both agree with PositionProvider everywhere."""
    from vlint.extract.python.positions import _LITERALS

    text = '''
MODEL = "Qwen/Qwen2.5-14B"
PARTS = ("a" "b", b"raw", f"{MODEL}-x" "y", 1_000, -0.5, 2j, ..., None, True)
def ask(model=MODEL, temperature=0.1, stream=False, extra={"k": [1, 2.0, f"{3}"]}):
    """Docstring."""
    return client.chat.completions.create(model=model, temperature=(0.2), messages=[
        {"role": "user", "content": """multi
line"""},
    ], stream=stream or None)
'''
    files = [text, *(p.read_text(encoding="utf-8") for p in sorted((ROOT / "vlint").rglob("*.py")))]
    literals = mapped = 0
    for source in files:
        module = cst.parse_module(source)
        walk = Walk(object())
        walk.run(module)
        positions = Positions(module, source, walk, ast.parse(source))
        expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        for node, code_range in expected.items():
            if node.__class__ in _LITERALS and walk.owner.get(id(node), -1) >= 0:
                assert positions.start(node) == code_range.start, cst.Module([]).code_for_node(node)[:60]
                literals += 1
        mapped += sum(len(starts) for starts in (positions._literals or {}).values())
    assert literals > 10_000
    assert mapped > 3_000  # most statements' literals need no code generation
