"""The fast walk and the on-demand positions (`vlint/extract/cstwalk.py`) against libcst's own machinery:
every node the walk reaches must get exactly the position `PositionProvider` gives it, and the walk must
see the nodes libcst's visitor sees, in the same order."""

from __future__ import annotations

import ast
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from vlint.extract.cstwalk import VISIT_ORDER, Positions, Walk, walked_fields

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


def test_parse_without_revalidation_builds_the_same_tree_and_restores_validation() -> None:
    from libcst._nodes.base import CSTNode

    from vlint.extract.cstwalk import parse_module

    hook = CSTNode.__dict__["__post_init__"]
    files = [*sorted((ROOT / "vlint").rglob("*.py")), *sorted((ROOT / "tests" / "golden").rglob("*.py"))]
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert parse_module(text).deep_equals(cst.parse_module(text)), path
    with pytest.raises(cst.ParserSyntaxError):
        parse_module("def broken(:\n")
    assert CSTNode.__dict__["__post_init__"] is hook
    with pytest.raises(cst.CSTValidationError):  # validation is back for nodes built by hand
        cst.Name("not a name")


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


def test_literal_starts_come_from_cpython_and_equal_libcst() -> None:
    """Strings, numbers, True/False/None and `...` asked for first take CPython's `Constant` start; f-strings
    and what is inside them are left to code generation. Both agree with PositionProvider everywhere."""
    from vlint.extract.cstwalk import _LITERALS

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
