"""What libcst need not parse of a module: statements that hold nothing the extractor reads.

libcst's parse is the largest cost of a scan, and most of a module that passes the prefilter is code
around the few calls that matter. Every fact the visitor (`visitor.py`) makes starts at a
call `visit_Call` takes (`Survey.matching_calls`, the prefilter's test, which says yes whenever the
extractor could), and reads from there only:
  * the call's arguments and the names they use, looked up in the enclosing scopes (module, functions,
    parameters), and recursively the names in what those names are bound to;
  * module-wide tables filled from any depth: imports, classes and their bodies, `self.`/`cls.` attribute
    assignments, `add_argument` defaults, parameter defaults, and bindings of `SamplingParams(...)` calls;
  * what the module's calls of a function pass for its parameters (`callsites.py`), what a list is grown
    with (`prompts.append(...)`), and what a function returns (an engine, a chat-templated prompt:
    `offline.py`), so a needed function's `return` statements are kept.
So a statement is kept when its lines hold one of those (a *trigger*: a matching call, a `self.` store, a
SamplingParams name, `add_argument`, a chat-template call), when it binds (by assignment, `for`, `with ...
as`, import, `x.append(...)`, or a call of a module function that binds its parameters, as the visitor's
collector (`scopes.Collector`) and `callsites.py` record bindings) a name that some kept code may look up, or when it is a block
statement with something kept inside (its header is kept, its blocks are sliced in turn). Names are taken
module-wide, whatever the scope, which only ever keeps more; the rule is applied to a fixpoint. Functions
and classes are always kept with their headers (parameters and their defaults, bases; decorators only
where the extractor reads them) and class bodies whole; a function that holds no trigger, import or class
has its body replaced by `pass`.
A left-out statement's lines are left out (a block left empty gets `pass` on its first line), and a kept
statement keeps all its lines, unchanged: positions inside a statement are computed from its start in the
source (`positions.Positions`), and `Sliced.line_of` maps each line libcst sees back to the source for the
rest. A statement that shares a line with another is kept. CPython's tree of the module is updated to the
same statements, for the position anchors.
tests/test_python_slicer.py extracts real sources both ways and compares every fact; on vLLM's 258 files that
pass the prefilter the facts are identical and libcst gets 0.9 of their 2.7 MB, in 35k of 79k lines.
"""

from __future__ import annotations

import ast
import re
from bisect import bisect_left
from typing import TYPE_CHECKING, NamedTuple

from vlint.extract.python.catalogue import catalogue
from vlint.extract.python.scopes import DATACLASS_PARSERS, GROWING_METHODS

if TYPE_CHECKING:
    from vlint.extract.python.survey import Survey

_NEWLINE = re.compile(r"\r\n?|\n")


# `fire.Fire(main)` and dataclass parsers (`HfArgumentParser`): the visitor reads which functions and classes
# a command line sets (`scopes.py`), so they are triggers; so is `typer.run(main)`, tested apart (`run` is
# too common a name).
_CLI_WORDS = frozenset({"Fire", *DATACLASS_PARSERS})


def _sampling_names() -> frozenset[str]:
    return frozenset(q.rsplit(".", 1)[-1] for q in catalogue().sampling_params)


class _Lines(NamedTuple):
    triggers: list[int]  # sorted
    needs: list[int]  # sorted: the lines that make the function around them needed
    names_at: dict[int, set[str]]  # the names written on each line
    producers: list[int]  # sorted: where an engine, sampling parameters or a chat-templated prompt is made
    engine_args: frozenset[int]  # where engine arguments alone are made (`EngineArgs(...)`, no engine)


def _lines(survey: Survey) -> _Lines:
    """The lines of triggers, the lines that make the function around them needed (triggers, imports and
    classes, which fill module-wide tables, and calls of needed functions), the names written on each
    line, and the lines that make what a function may return to the visitor."""
    sampling = set(_sampling_names())
    template_call = catalogue().chat_template_call
    triggers = {call.lineno for call in survey.matching_calls()}
    producers: set[int] = set()
    engine_args: set[int] = set()
    others: set[int] = set()  # producers other than engine arguments
    if survey.has_engines:  # where engines are built: a function that returns one must keep its body
        for call in survey.calls:
            if survey.builds_engine(call):
                producers.add(call.lineno)
                if not survey.is_engine_call(call):
                    engine_args.add(call.lineno)
                else:
                    others.add(call.lineno)
    needs: set[int] = set()
    for node in survey.anchors:
        needs.add(node.lineno)
        if isinstance(node, ast.ImportFrom):  # `from vllm import SamplingParams as SP`
            sampling.update(a.asname for a in node.names if a.asname and a.name in sampling)
    names_at: dict[int, set[str]] = {}
    for node in survey.named:
        if isinstance(node, ast.Attribute):
            if node.attr in sampling or node.attr == template_call:
                producers.add(node.lineno)
                others.add(node.lineno)
            elif node.attr in _CLI_WORDS or node.attr == "add_argument" \
                    or node.attr == "run" and isinstance(node.value, ast.Name) and node.value.id == "typer" \
                    or isinstance(node.ctx, ast.Store) \
                    and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                triggers.add(node.lineno)
        else:
            name: str = node.id  # type: ignore[attr-defined]
            found = names_at.get(node.lineno)
            if found is None:
                names_at[node.lineno] = {name}
            else:
                found.add(name)
            if name in sampling:
                producers.add(node.lineno)
                others.add(node.lineno)
            elif name == "add_argument" or name in _CLI_WORDS:
                triggers.add(node.lineno)
    alone = frozenset(engine_args - triggers - others)  # before the union below: lines with nothing else
    triggers |= producers
    needs |= triggers
    return _Lines(sorted(triggers), sorted(needs), names_at, sorted(producers), alone)


class Sliced(NamedTuple):
    text: str  # what libcst parses
    line_of: list[int] | None  # the source line of each of its lines (None: the source itself, unchanged)


def slice_module(text: str, tree: ast.Module, survey: Survey) -> Sliced:
    """`text` without what the extractor cannot need (see the module's docstring), and where each line
    left came from; `tree` (which `survey` walked) is updated in place to the same statements."""
    return _Slicer(text, tree, survey).run()


_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
_COMPOUND = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try, ast.TryStar)


class _Item:
    """A statement inside a needed function that may be left out."""

    __slots__ = ("node", "binds", "compound", "header", "function", "kept")

    def __init__(self, node: ast.stmt, binds: frozenset[str], compound: bool, header: tuple[int, int],
                 function: _Function | None) -> None:
        self.node = node
        self.binds = binds  # the names it binds as the extractor's collector sees bindings
        self.compound = compound  # a block statement whose blocks are sliced in turn
        self.header = header  # its lines whose names are read once it is kept (a compound: the header's)
        self.function = function  # the function it is in (None: the module)
        self.kept = False


class _Function(NamedTuple):
    """A needed function, as the slicer sees it: the name its calls use (a class's for `__init__`), its
    parameters, and whether it makes something a caller may get back (its `return`s are then kept)."""

    key: str
    params: frozenset[str]
    produces: bool


class _Slicer:
    def __init__(self, text: str, tree: ast.Module, survey: Survey) -> None:
        self.text = text
        self.tree = tree
        self.triggers, self.needs, self.names_at, self.producers, self.engine_args = _lines(survey)
        self.called = {name for call in survey.calls for name in _callee_names(call.func)[:1]}
        self.passes = _parameters_passed(survey)
        self.classes: list[str] = []  # the classes being registered, innermost last
        self.stub_classes: dict[int, list[str]] = {}  # a function left out -> the classes it is in
        self.current: _Function | None = None
        self.lines = _NEWLINE.split(text)
        self.items: list[_Item] = []  # a compound statement after the statements of its blocks
        self.item_of: dict[int, _Item] = {}
        self.needed: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
        self.stubs: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
        self.names: set[str] = set()  # names some kept code in a needed function may look up
        self.blanks: list[tuple[int, int, bool]] = []  # decorators left out

    def has_trigger(self, first: int, last: int) -> bool:
        return _any_between(self.triggers, first, last)

    def passed_on(self, first: int, last: int) -> frozenset[str]:
        """The parameters the calls on these lines may pass a value for (the visitor reads them there), as
        `callee/parameter`: bound only where the callee's own kept code reads that parameter."""
        if not self.passes:
            return frozenset()
        found: set[str] = set()
        for line in range(first, last + 1):
            names = self.passes.get(line)
            if names:
                found |= names
        return frozenset(found)

    def read(self, first: int, last: int, function: _Function | None = None) -> None:
        """Every name written on these lines may be looked up; in a function, a parameter it reads is also
        `function/parameter` (what the calls of the function pass for it)."""
        for line in range(first, last + 1):
            found = self.names_at.get(line)
            if found:
                self.names |= found
                if function is not None and not function.params.isdisjoint(found):
                    self.names.update(f"{function.key}/{name}" for name in found & function.params)

    def run(self) -> Sliced:
        self.block(self.tree.body)
        while True:
            changed = True
            while changed:  # to a fixpoint: what kept code reads keeps the statements that bind it
                changed = False
                for item in self.items:
                    if not item.kept and (item.binds & self.names or item.compound and self.holds_kept(item.node)):
                        self.keep(item)
                        changed = True
            if not self.promote():
                return self.rewrite()

    def promote(self) -> bool:
        """Functions left out that call a function whose kept code reads a parameter they pass are needed
        after all (the visitor reads the argument there, `callsites.py`): their bodies are sliced in turn."""
        wanted = {name for name in self.names if "/" in name} if self.passes and self.stubs else None
        if not wanted:
            return False
        lines = sorted(line for line, names in self.passes.items() if not names.isdisjoint(wanted))
        promoted = [node for node in self.stubs if _any_between(lines, node.lineno, node.end_lineno or node.lineno)]
        for node in promoted:
            self.stubs.remove(node)
            outer, self.classes = self.classes, self.stub_classes.pop(id(node))
            try:
                self.register(node)
            finally:
                self.classes = outer
        return bool(promoted)

    def keep(self, item: _Item) -> None:
        item.kept = True
        self.read(*item.header, item.function)

    def holds_kept(self, node: ast.stmt) -> bool:
        for block in _blocks(node):
            for child in block:
                item = self.item_of.get(id(child))
                if item is None or item.kept:  # functions and classes are always kept
                    return True
        return False

    # ---- registering ---------------------------------------------------------------------------

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        first = min([d.lineno for d in node.decorator_list] + [node.lineno])
        if node.body[0].lineno == node.lineno:
            return  # the body shares the header's line: kept as it is
        last = node.end_lineno or node.lineno
        if _any_between(self.needs, first, last) and not self.only_engine_args(node, first, last):
            self.register(node)
        else:
            self.stubs.append(node)
            self.stub_classes[id(node)] = list(self.classes)

    def only_engine_args(self, node: ast.FunctionDef | ast.AsyncFunctionDef, first: int, last: int) -> bool:
        """A function needed only for the engine arguments it makes (`def run_x(): return EngineArgs(...)`)
        is of no use when the module never calls it by name: the visitor follows only such calls (a table
        of them, `{"x": run_x}[name](...)`, it cannot), and such tables of fifty makers are common."""
        if not self.engine_args or node.name in self.called:
            return False
        lines = self.needs[bisect_left(self.needs, first):bisect_left(self.needs, last + 1)]
        return all(line in self.engine_args for line in lines)

    def register(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """A needed function: its statements are items of the fixpoint, seen as the statements of it."""
        self.needed.append(node)
        args = node.args
        params = frozenset(a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs))
        key = self.classes[-1] if node.name == "__init__" and self.classes else node.name
        produces = _any_between(self.producers, node.lineno, node.end_lineno or node.lineno)
        outer, self.current = self.current, _Function(key, params, produces)
        try:
            self.block(node.body)
        finally:
            self.current = outer

    def block(self, body: list[ast.stmt]) -> None:
        for index, node in enumerate(body):
            first, last = node.lineno, node.end_lineno or node.lineno
            if isinstance(node, (*_DEFS, ast.ClassDef)):
                self.definition(node)
                continue
            compound = isinstance(node, _COMPOUND) and node.body[0].lineno > first
            header = (first, node.body[0].lineno - 1 if compound else last)
            if compound:
                for block in _blocks(node):
                    self.block(block)
            item = _Item(node, _binds(node) | self.passed_on(*header), compound, header, self.current)
            self.items.append(item)
            self.item_of[id(node)] = item
            before = body[index - 1] if index else None
            after = body[index + 1] if index + 1 < len(body) else None
            # what a function that makes an engine or a prompt returns: the visitor follows calls of it
            returned = isinstance(node, ast.Return) and self.current is not None and self.current.produces
            if self.has_trigger(*header) or not self.alone(node, before, after) or returned:
                self.keep(item)

    def definition(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        """A function or class is always kept, with what its header reads (parameter defaults, bases, the
        decorators kept); a decorator that holds no trigger is left out unless it is a `...option(...)`
        call (click's, whose default the extractor gives the parameter)."""
        kept = []
        for decorator in node.decorator_list:
            first, last = decorator.lineno, decorator.end_lineno or decorator.lineno
            if self.has_trigger(first, last) or _reads_option(decorator) or not self.bare(decorator):
                kept.append(decorator)
                self.read(first, last)
            else:
                self.blanks.append((first, last, False))
        node.decorator_list = kept
        if not isinstance(node, ast.ClassDef):  # bases and annotations are never evaluated; defaults are
            for default in (*node.args.defaults, *node.args.kw_defaults):
                if default is not None:
                    self.read(default.lineno, default.end_lineno or default.lineno)
        if isinstance(node, ast.ClassDef):
            self.classes.append(node.name)
            try:
                self.class_body(node.body)
            finally:
                self.classes.pop()
        else:
            self.function(node)

    def bare(self, decorator: ast.expr) -> bool:
        """Whether a decorator's lines hold only `@` and the expression (no parentheses around it, no other
        code): then blank lines can replace it."""
        first, last = self.lines[decorator.lineno - 1], self.lines[(decorator.end_lineno or decorator.lineno) - 1]
        if not (first.isascii() and last.isascii()):
            return False
        after = last[decorator.end_col_offset or 0:].strip()
        return first[:decorator.col_offset].strip() == "@" and (not after or after.startswith("#"))

    def class_body(self, body: list[ast.stmt]) -> None:
        """A class inside a needed function: kept and read whole, its methods sliced or stubbed."""
        for node in body:
            if isinstance(node, (*_DEFS, ast.ClassDef)):
                self.definition(node)
            else:
                self.read(node.lineno, node.end_lineno or node.lineno)

    def alone(self, node: ast.stmt, before: ast.stmt | None, after: ast.stmt | None) -> bool:
        """Whether the statement's lines hold nothing else: no `;` neighbour, no header before it."""
        if before is not None and (before.end_lineno or before.lineno) >= node.lineno:
            return False
        if after is not None and after.lineno <= (node.end_lineno or node.lineno):
            return False
        return not self.lines[node.lineno - 1][:node.col_offset].strip()

    # ---- writing -------------------------------------------------------------------------------

    def rewrite(self) -> Sliced:
        edits: list[tuple[int, int, bool]] = list(self.blanks)  # (first line, last line, a `pass` on the first)
        for node in self.stubs:
            body0 = node.body[0]
            # a decorated function or class starts at its first decorator, before its `def` line
            first = min([d.lineno for d in getattr(body0, "decorator_list", ())] + [body0.lineno])
            last = node.end_lineno or node.lineno
            if first <= node.lineno or body0.col_offset != self.indent(first):
                continue  # something precedes the body on its first line: kept
            edits.append((first, last, True))
            node.body = [self.pass_at(first)]
            node.end_lineno, node.end_col_offset = first, self.indent(first) + 4
        self.emit(self.tree, "body", edits)
        for function in self.needed:
            self.emit(function, "body", edits)
        edits.extend(self.loose_lines(edits))
        if not edits:
            return Sliced(self.text, None)
        edits.sort()
        starts = [0] + [m.end() for m in _NEWLINE.finditer(self.text)]  # offset of line n: starts[n-1]
        total = len(starts)
        out: list[str] = []
        line_of: list[int] = []
        line = 1  # the next line of the text to copy
        for first, last, with_pass in edits:
            out.append(self.text[starts[line - 1]:starts[first - 1]])
            line_of.extend(range(line, first))
            if with_pass:
                out.append(self.lines[first - 1][:self.indent(first)] + "pass\n")
                line_of.append(first)
            line = last + 1
        if line <= total:
            out.append(self.text[starts[line - 1]:])
            line_of.extend(range(line, total + 1))
        return Sliced("".join(out), line_of)

    def loose_lines(self, edits: list[tuple[int, int, bool]]) -> list[tuple[int, int, bool]]:
        """Blank and comment-only lines outside every statement kept (between statements, where no
        bracket, string or continuation can hold them): libcst would build nodes for each."""
        covered = bytearray(len(self.lines) + 2)
        for first, last, _ in edits:
            covered[first:last + 1] = b"\x01" * (last + 1 - first)
        todo: list[ast.AST] = list(self.tree.body)
        while todo:
            node = todo.pop()
            first = min([d.lineno for d in getattr(node, "decorator_list", ())] + [node.lineno])  # type: ignore[attr-defined]
            last = node.end_lineno or node.lineno  # type: ignore[attr-defined]
            body = getattr(node, "body", None)
            if isinstance(body, list) and body and body[0].lineno > node.lineno and not isinstance(node, ast.Match):  # type: ignore[attr-defined]
                last = body[0].lineno - 1  # a header; its blocks' statements come in turn
                for name in ("body", "orelse", "finalbody", "handlers"):
                    todo.extend(getattr(node, name, ()))
            covered[first:last + 1] = b"\x01" * (last + 1 - first)
        out = []
        for number, line in enumerate(self.lines[:-1] if self.lines and not self.lines[-1] else self.lines, 1):
            if not covered[number]:
                stripped = line.strip()
                if not stripped or stripped.startswith("#"):
                    out.append((number, number, False))
        return out

    def emit(self, parent: ast.AST, field: str, edits: list[tuple[int, int, bool]]) -> None:
        """The edits for one block of kept code (recursively), and the tree updated to match."""
        body: list[ast.stmt] = getattr(parent, field)
        kept: list[ast.stmt] = []
        dropped: list[ast.stmt] = []
        for node in body:
            item = self.item_of.get(id(node))
            if item is None or item.kept:
                kept.append(node)
                if item is not None and item.compound:
                    for name in ("body", "orelse", "finalbody"):
                        if getattr(node, name, None):
                            self.emit(node, name, edits)
                    for handler in getattr(node, "handlers", ()):
                        self.emit(handler, "body", edits)
            else:
                dropped.append(node)
        if not dropped:
            return
        if not kept and not (field == "orelse" and _is_elif(self.lines, parent)):
            first = dropped[0]
            edits.append((first.lineno, first.end_lineno or first.lineno, True))
            dropped = dropped[1:]
            kept = [self.pass_at(first.lineno)]
        edits.extend((node.lineno, node.end_lineno or node.lineno, False) for node in dropped)
        setattr(parent, field, kept)

    def indent(self, line: int) -> int:
        text = self.lines[line - 1]
        return len(text) - len(text.lstrip(" \t\f"))

    def pass_at(self, line: int) -> ast.Pass:
        indent = self.indent(line)
        return ast.Pass(lineno=line, col_offset=indent, end_lineno=line, end_col_offset=indent + 4)


def _any_between(lines: list[int], first: int, last: int) -> bool:
    at = bisect_left(lines, first)
    return at < len(lines) and lines[at] <= last


def _reads_option(decorator: ast.expr) -> bool:
    """`@click.option(...)`, `@option(...)`, `@app.command()`: the extractor reads these decorators (defaults,
    and which parameters are command-line options)."""
    func = decorator.func if isinstance(decorator, ast.Call) else decorator
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name == "option" and isinstance(decorator, ast.Call) or name == "command"


def _blocks(node: ast.stmt) -> list[list[ast.stmt]]:
    blocks = [getattr(node, name) for name in ("body", "orelse", "finalbody") if getattr(node, name, None)]
    blocks.extend(handler.body for handler in getattr(node, "handlers", ()))
    return blocks


def _is_elif(lines: list[str], node: ast.AST) -> bool:
    """Whether an `if`'s `orelse` is an `elif` (left out whole, header and all, when nothing in it is kept)."""
    if not isinstance(node, ast.If) or len(node.orelse) != 1 or not isinstance(node.orelse[0], ast.If):
        return False
    inner = node.orelse[0]
    return lines[inner.lineno - 1][inner.col_offset:].startswith("elif")


def _parameters_passed(survey: Survey) -> dict[int, set[str]]:
    """Line -> the parameters (`callee/parameter`) of the module's functions that the calls on it may pass
    values for."""
    out: dict[int, set[str]] = {}
    parameters = survey.parameters
    if not parameters:
        return out
    for call in survey.calls:
        chain = _callee_names(call.func)
        for name in chain:
            found = parameters.get(name)
            if found is not None:
                out.setdefault(call.lineno, set()).update(f"{name}/{param}" for param in found[1])
    return out


def _callee_names(func: ast.expr) -> list[str]:
    """`f` of `f(...)`, `x.f(...)` and `x.f.remote(...)`, `C` of `C.remote(...)` and `C.options(...).remote(...)`."""
    names: list[str] = []
    for _ in range(3):
        if isinstance(func, ast.Name):
            names.append(func.id)
            break
        if isinstance(func, ast.Attribute):
            names.append(func.attr)
            func = func.value
        elif isinstance(func, ast.Call):
            func = func.func
        else:
            break
    return names


def _binds(node: ast.stmt) -> frozenset[str]:
    """The names a statement binds, as the visitor's collector (`scopes.Collector`) records bindings (assignments, `for`
    targets, `with ... as`, `x.append(...)`)."""
    targets: list[ast.expr]
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):  # `prompts.append(...)`
        func = node.value.func
        if isinstance(func, ast.Attribute) and func.attr in GROWING_METHODS and isinstance(func.value, ast.Name):
            return frozenset((func.value.id,))
        return frozenset()
    if isinstance(node, ast.Import):  # the collector's import table is module-wide, keyed by local name
        return frozenset(a.asname or a.name.split(".")[0] for a in node.names)
    if isinstance(node, ast.ImportFrom):
        return frozenset(a.asname or a.name for a in node.names if a.name != "*")
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor)):
        targets = [node.target]
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        targets = [item.optional_vars for item in node.items if item.optional_vars is not None]
    else:
        return frozenset()
    names: set[str] = set()
    while targets:
        target = targets.pop()
        if isinstance(target, ast.Name):
            names.add(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            targets.extend(target.elts)
        elif isinstance(target, ast.Starred):
            targets.append(target.value)
    return frozenset(names)
