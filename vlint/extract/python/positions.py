"""Node positions computed only where a fact needs one, equal to libcst's `PositionProvider`.

libcst's `PositionProvider` is exact but costs about twice the parse on vLLM's sources (a code-generation pass
over every node, whitespace included), and the visitor needs a few positions a file. `Positions` gives the
same `CodePosition`. Each statement is anchored by the matching statement of CPython's `ast` (its
`lineno`/`col_offset`, free once the file is parsed); the positions inside one statement come from CPython's
matching call or constant where the two trees agree, else from libcst's own position code generation run
over that statement alone (for a compound statement, over its header with the body left out), started at
the anchor. The two statement lists are matched in source order and checked kind by kind, and each small
statement's computed end is checked against `ast`'s; when anything disagrees (syntax CPython does not have,
a byte-order mark, a node outside every statement) the whole file falls back to `PositionProvider`, so a
position is never approximate. tests/test_python_walk.py compares every node's position with libcst's.
"""

from __future__ import annotations

import ast
import re
from typing import Any

import libcst as cst
from libcst import CSTNode
from libcst._nodes.internal import CodegenState
from libcst._position import CodePosition, CodeRange
from libcst.metadata import MetadataWrapper, PositionProvider

from vlint.extract.python.walk import VISIT_ORDER, Walk, walked_fields

# libcst statement class -> the `ast` classes it can be
_AST_KINDS: dict[str, tuple[str, ...]] = {
    "Del": ("Delete",),
    "FunctionDef": ("FunctionDef", "AsyncFunctionDef"),
    "For": ("For", "AsyncFor"),
    "With": ("With", "AsyncWith"),
    "ExceptStarHandler": ("ExceptHandler",),
}


def _ast_anchors(tree: ast.Module) -> list[ast.stmt | ast.excepthandler]:
    out: list[Any] = []
    todo: list[Any] = list(tree.body)
    while todo:
        node = todo.pop()
        out.append(node)
        for name in ("body", "orelse", "finalbody", "handlers"):
            todo.extend(getattr(node, name, ()))
        for case in getattr(node, "cases", ()):
            todo.extend(case.body)
    out.sort(key=lambda n: (n.lineno, n.col_offset))
    return out


_NEWLINES = re.compile(r"\r\n?|\n")


_SUITE = cst.SimpleStatementSuite(body=[cst.Pass()])


class Positions:
    """Start positions of nodes, as libcst's `PositionProvider` gives them, computed one statement at a
    time on demand (see the module's docstring)."""

    def __init__(self, module: cst.Module, text: str, walk: Walk, tree: ast.Module | None,
                 line_of: list[int] | None = None) -> None:
        """`text` is the source; `module` the tree of the source or, when `line_of` is given, of the lines of
        it that `line_of` lists (`slicer.py`): the statements kept are the source's own lines, whole."""
        self.module = module
        self.text = text
        self.line_of = line_of
        self.statements = walk.statements
        self.owner = walk.owner
        self.walk_calls = walk.calls
        self._cst_calls: dict[int, list[cst.Call]] = {}  # statement -> its calls in walk order (made on first use)
        self._ast_nodes: list[Any] = []
        self._calls: dict[int, dict[int, tuple[int, int]]] | None = None  # statement -> id(call) -> start
        self._literals: dict[int, dict[int, tuple[int, int]]] | None = None  # the same for literals
        self._lines: list[str] | None = None
        self._done: dict[int, tuple[dict[CSTNode, tuple[int, int]], int]] = {}  # statement -> (starts, line shift)
        self._full: dict[CSTNode, Any] | None = None
        self.anchors: list[tuple[int, int, int, int]] | None = None  # (line, col, end line, end col)
        if tree is not None and not text.startswith("\ufeff"):
            self.anchors = self._match(tree)

    # ---- anchoring --------------------------------------------------------------------------------

    def _match(self, tree: ast.Module) -> list[tuple[int, int, int, int]] | None:
        nodes = _ast_anchors(tree)
        if len(nodes) != len(self.statements):
            return None
        out = []
        for ours, theirs in zip(self.statements, nodes, strict=True):
            name = ours.__class__.__name__
            if theirs.__class__.__name__ not in _AST_KINDS.get(name, (name,)):
                return None
            out.append((theirs.lineno, self._column(theirs.lineno, theirs.col_offset),
                        theirs.end_lineno or 0, theirs.end_col_offset or 0))
        self._ast_nodes = nodes
        return out

    def _call_start(self, index: int, node: cst.Call) -> tuple[int, int] | None:
        """A call's start from CPython's matching `Call` node, without code generation: a statement's calls
        in walk order are its `ast` calls in source order (a call before the calls inside it), when both
        count the same; each start is checked against the text (the first token of the callee must be
        there). None where that does not hold: the statement's code generation decides."""
        if self._calls is None:
            self._calls = {}
            by_statement: dict[int, list[cst.Call]] = {}
            for owner, call in self.walk_calls:
                by_statement.setdefault(owner, []).append(call)
            self._cst_calls = by_statement
        starts = self._calls.get(index)
        if starts is None:
            starts = self._calls[index] = self._map_calls(index)
        return starts.get(id(node))

    def _literal_start(self, index: int, node: CSTNode) -> tuple[int, int] | None:
        """A literal's start from CPython's matching `Constant`, the way `_call_start` does for calls: a
        statement's literals in walk order are its constants in source order (literals do not nest; the
        parts of an implicit concatenation are one constant, and f-strings, whose inner positions CPython
        3.11 does not always get right, are left to code generation on both sides)."""
        if self._literals is None:
            self._literals = {}
        starts = self._literals.get(index)
        if starts is None:
            starts = self._literals[index] = self._map_literals(index)
        return starts.get(id(node))

    def _map_literals(self, index: int) -> dict[int, tuple[int, int]]:
        ours: list[CSTNode] = []
        owner = self.owner
        todo: list[CSTNode] = [self.statements[index]]
        while todo:
            node = todo.pop()
            cls = node.__class__
            if cls is cst.FormattedString:
                continue
            if cls in _LITERALS:
                if cls is not cst.Name or node.value in _CONSTANT_NAMES:  # type: ignore[attr-defined]
                    if cls is not cst.ConcatenatedString or not _has_fstring(node):
                        ours.append(node)
                if cls is not cst.Name:
                    continue
            children: list[CSTNode] = []
            for name in VISIT_ORDER.get(cls.__name__) or walked_fields(cls):
                value = getattr(node, name, None)
                for child in (value if isinstance(value, (list, tuple)) else (value,)):
                    if isinstance(child, CSTNode) and owner.get(id(child), index) == index:
                        children.append(child)
            todo.extend(reversed(children))
        theirs = _own_constants(self._ast_nodes[index])
        if len(ours) != len(theirs):
            return {}
        out: dict[int, tuple[int, int]] = {}
        for literal, found in zip(ours, theirs, strict=True):
            line, column = found.lineno, self._column(found.lineno, found.col_offset)
            if not self._line_text(line).startswith(_literal_text(literal), column):
                return {}  # out of step: trust none of this statement's
            out[id(literal)] = (line, column)
        return out

    def _map_calls(self, index: int) -> dict[int, tuple[int, int]]:
        ours = self._cst_calls.get(index, [])
        theirs = _own_calls(self._ast_nodes[index])
        if len(ours) != len(theirs):
            return {}
        out: dict[int, tuple[int, int]] = {}
        for call, found in zip(ours, theirs, strict=True):
            first = _first_token(call.func)
            if first is None:
                continue
            line, column = found.lineno, self._column(found.lineno, found.col_offset)
            if not self._line_text(line).startswith(first, column):
                return {}  # out of step: trust none of this statement's
            out[id(call)] = (line, column)
        return out

    def _column(self, line: int, byte_offset: int) -> int:
        """`ast` counts UTF-8 bytes, libcst characters."""
        if byte_offset == 0 or self.text.isascii():
            return byte_offset
        return len(self._line_text(line).encode("utf-8")[:byte_offset].decode("utf-8", "replace"))

    def _line_text(self, line: int) -> str:
        if self._lines is None:
            self._lines = _NEWLINES.split(self.text)
        return self._lines[line - 1]

    # ---- positions --------------------------------------------------------------------------------

    def start(self, node: CSTNode) -> CodePosition:
        if self._full is None and self.anchors is not None:
            index = self.owner.get(id(node), -1)
            if index >= 0:
                if self.statements[index] is node:
                    line, column, _, _ = self.anchors[index]
                    return CodePosition(line, column)
                if index not in self._done:
                    cls = node.__class__
                    start = self._call_start(index, node) if cls is cst.Call \
                        else self._literal_start(index, node) if cls in _LITERALS else None  # type: ignore[arg-type]
                    if start is not None:
                        return CodePosition(*start)
                done = self._done.get(index) or self._statement(index)
                if done is not None:
                    computed, shift = done
                    found = computed.get(node)
                    if found is not None:
                        return CodePosition(found[0] + shift, found[1])
        return self._fallback()[node].start

    def line(self, node: CSTNode) -> int:
        return self.start(node).line

    def _fallback(self) -> dict[CSTNode, Any]:
        if self._full is None:
            full = dict(MetadataWrapper(self.module, unsafe_skip_copy=True).resolve(PositionProvider))
            line_of = self.line_of
            if line_of is not None:  # positions in the sliced text: back to the source's lines
                full = {node: CodeRange(CodePosition(line_of[min(r.start.line, len(line_of)) - 1], r.start.column),
                                        CodePosition(line_of[min(r.end.line, len(line_of)) - 1], r.end.column))
                        for node, r in full.items()}
            self._full = full
        return self._full

    def _statement(self, index: int) -> tuple[dict[CSTNode, tuple[int, int]], int] | None:
        assert self.anchors is not None
        node = self.statements[index]
        line, column, end_line, end_column = self.anchors[index]
        state = _StartState(default_indent=self.module.default_indent, default_newline=self.module.default_newline)
        if isinstance(node, cst.BaseSmallStatement):
            # lines continued inside brackets print the block's indentation before their own whitespace
            text = self._line_text(line)
            indent = len(text) - len(text.lstrip(" \t\f"))
            state.indent_tokens = [" " * indent] if indent else []
            state.line, state.column = line, column
            node._codegen(state)
            if state.ends[node] != (end_line, self._column(end_line, end_column)):
                return None
            done = (state.starts, 0)
        else:
            header = _header(node)
            if header is None:
                return None
            state.indent_tokens = [" " * column] if column else []
            if isinstance(node, cst.If):  # an `elif` is an `If` that its parent prints with `is_elif`
                header._codegen(state, is_elif=self._line_text(line).startswith("elif", column))
            else:
                header._codegen(state)
            start_line, start_column = state.starts[header]
            if start_column != column:
                return None
            done = (state.starts, line - start_line)
        self._done[index] = done
        return done


class _StartState(CodegenState):
    """libcst's `PositionProvidingCodegenState`, reduced to what `Positions` asks: where each node starts
    (and ends), by the same rules (a node's syntactic position where its code records one, else the
    span of its code, whitespace included), kept as plain tuples; no code text is kept. Position code
    generation spent most of its time in that class's bookkeeping: a regular-expression split of every
    token, two position objects and a generator-based context manager per node."""

    def __init__(self, default_indent: str, default_newline: str) -> None:
        super().__init__(default_indent=default_indent, default_newline=default_newline)
        self.line = 1
        self.column = 0
        self.starts: dict[CSTNode, tuple[int, int]] = {}
        self.ends: dict[CSTNode, tuple[int, int]] = {}
        self._stack: list[tuple[int, int]] = []

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.add_token(token)

    def add_token(self, value: str) -> None:
        if "\n" in value or "\r" in value:
            segments = _NEWLINES.split(value)
            self.line += len(segments) - 1
            self.column = len(segments[-1])
        else:
            self.column += len(value)

    def before_codegen(self, node: CSTNode) -> None:
        self._stack.append((self.line, self.column))

    def after_codegen(self, node: CSTNode) -> None:
        start = self._stack.pop()
        if node not in self.starts:  # a syntactic position recorded inside wins
            self.starts[node] = start
            self.ends[node] = (self.line, self.column)

    def record_syntactic_position(self, node: CSTNode, *, start_node: CSTNode | None = None,
                                  end_node: CSTNode | None = None) -> _Syntactic:  # type: ignore[override]
        return _Syntactic(self, node, start_node, end_node)


class _Syntactic:
    """The context manager `record_syntactic_position` returns (a class: cheaper than a generator)."""

    __slots__ = ("state", "node", "start_node", "end_node", "start")

    def __init__(self, state: _StartState, node: CSTNode, start_node: CSTNode | None,
                 end_node: CSTNode | None) -> None:
        self.state, self.node, self.start_node, self.end_node = state, node, start_node, end_node

    def __enter__(self) -> None:
        self.start = (self.state.line, self.state.column)

    def __exit__(self, *exc: object) -> None:
        state = self.state
        start = state.starts[self.start_node] if self.start_node is not None else self.start
        end = state.ends[self.end_node] if self.end_node is not None else (state.line, state.column)
        state.starts[self.node] = start
        state.ends[self.node] = end


_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")


def _own_calls(statement: ast.AST) -> list[ast.Call]:
    """The calls of one statement (a compound one: of its header), in source order, outer before inner."""
    return _own_nodes(statement, ast.Call, None)  # type: ignore[return-value]


_LITERALS = frozenset({cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float, cst.Imaginary,
                       cst.Ellipsis, cst.Name})  # a Name only as True, False or None
_CONSTANT_NAMES = frozenset({"True", "False", "None"})


def _own_constants(statement: ast.AST) -> list[ast.Constant]:
    """A statement's (or compound statement's header's) constants outside f-strings, in source order."""
    return _own_nodes(statement, ast.Constant, ast.JoinedStr)  # type: ignore[return-value]


def _own_nodes(statement: ast.AST, wanted: type, pruned: type | None) -> list[ast.AST]:
    """The `wanted` nodes of one statement, not inside its nested statements nor inside a `pruned` node,
    sorted by start (an outer node before the inner ones starting at the same place)."""
    out: list[Any] = []
    todo = [statement]
    while todo:
        node = todo.pop()
        cls = node.__class__
        if cls is pruned:
            continue
        if cls is wanted:
            out.append(node)
        for name, value in ast.iter_fields(node):
            if isinstance(value, list):
                if node is statement and name in _BLOCKS:
                    continue  # nested statements anchor on their own
                todo.extend(v for v in value if isinstance(v, ast.AST))
            elif isinstance(value, ast.AST):
                todo.append(value)
    out.sort(key=lambda n: (n.lineno, n.col_offset, -(n.end_lineno or 0), -(n.end_col_offset or 0)))
    return out


def _has_fstring(node: CSTNode) -> bool:
    if isinstance(node, cst.ConcatenatedString):
        return _has_fstring(node.left) or _has_fstring(node.right)
    return isinstance(node, cst.FormattedString)


def _literal_text(node: CSTNode) -> str:
    """How a literal starts in the text (its first line)."""
    while isinstance(node, cst.ConcatenatedString):
        node = node.left
    if isinstance(node, cst.Ellipsis):
        return "..."
    return node.value.split("\n", 1)[0].split("\r", 1)[0]  # type: ignore[attr-defined]


def _first_token(expression: cst.BaseExpression) -> str | None:
    """The text a callee starts with, where it is a name chain (`(`, when parenthesised)."""
    while True:
        if expression.lpar:
            return "("
        if isinstance(expression, cst.Name):
            return expression.value
        if isinstance(expression, (cst.Attribute, cst.Subscript)):
            expression = expression.value
        elif isinstance(expression, cst.Call):
            expression = expression.func
        else:
            return None


def _header(node: CSTNode) -> CSTNode | None:
    """A copy of a compound statement without its body (the children are the same nodes), whose code
    generation places the header exactly as in the file."""
    if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.With, cst.ExceptHandler, cst.ExceptStarHandler)):
        return node.with_changes(body=_SUITE)
    if isinstance(node, (cst.If, cst.For, cst.While)):
        return node.with_changes(body=_SUITE, orelse=None)
    return None  # try/finally headers hold no expression; `match` falls back
