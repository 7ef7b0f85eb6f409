"""One pass over a libcst tree, without rebuilding it.

libcst's own visitors rebuild every node they pass (`_visit_and_replace_children`), which on vLLM's sources
costs about twice the parse; the visitor reads a few dozen nodes of a file. `Walk` visits every node once,
calling the visitor's `visit_<Type>` and `leave_<Type>` methods (libcst's naming), numbering the statements in
source order and remembering which statement owns each node (`positions.py` anchors positions on them).
Whitespace, comments, parentheses and punctuation are not visited: nothing reads them.
tests/test_python_walk.py checks the order and the nodes against libcst's own visitor.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import libcst as cst
from libcst import CSTNode

_NOT_WALKED = frozenset({
    "lpar", "rpar", "lbracket", "rbracket", "lbrace", "rbrace", "leading_lines", "lines_after_decorators",
    "header", "footer", "comma", "semicolon", "equal", "colon", "newline", "trailing_whitespace", "operator",
    "asynchronous", "dot", "relative", "star", "indent", "default_indent", "default_newline", "encoding",
    "has_trailing_newline", "first_line", "last_line", "empty_lines", "leading_whitespace",
    "first_colon", "second_colon", "trailing_comma", "separator",
})
# Where libcst's visitors take a node's children in another order than its dataclass fields (source
# order: decorators before the name, a keyword before its value); tests/test_python_walk.py re-derives this
# table from libcst's own `_visit_and_replace_children`, so an upgrade that changes it fails there.
VISIT_ORDER: dict[str, tuple[str, ...]] = {
    "Arg": ("keyword", "value"),
    "ClassDef": ("decorators", "name", "type_parameters", "bases", "keywords", "body"),
    "ExceptHandler": ("type", "name", "body"),
    "ExceptStarHandler": ("type", "name", "body"),
    "FormattedStringExpression": ("expression", "format_spec", "conversion"),
    "FunctionDef": ("decorators", "name", "type_parameters", "params", "returns", "body"),
    "IfExp": ("body", "test", "orelse"),
    "MatchCase": ("pattern", "guard", "body"),
    "Parameters": ("posonly_params", "posonly_ind", "params", "star_arg", "kwonly_params", "star_kwarg"),
    "TemplatedStringExpression": ("expression", "format_spec", "conversion"),
    "TypeAlias": ("name", "type_parameters", "value"),
}
_ANCHORS = (cst.BaseSmallStatement, cst.BaseCompoundStatement, cst.ExceptHandler, cst.ExceptStarHandler)

_Info = tuple[tuple[str, ...], bool, "Callable[[Any], Any] | None", "Callable[[Any], Any] | None"]


def walked_fields(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls)
                 if f.name not in _NOT_WALKED and not f.name.startswith("whitespace"))


class Walk:
    """One pass over a module: the visitor's `visit_X(node)` before a node's children, `leave_X(node)`
    after them (a `False` from `visit_X` is not honoured: every node is seen)."""

    def __init__(self, visitor: object) -> None:
        self.visitor = visitor
        self.statements: list[CSTNode] = []
        self.owner: dict[int, int] = {}  # id(node) -> index of the statement that owns it, -1 for none
        self.calls: list[tuple[int, cst.Call]] = []  # every call, in walk order, with its statement
        self._info: dict[type, _Info] = {}

    def _describe(self, cls: type) -> _Info:
        name = cls.__name__
        fields = VISIT_ORDER.get(name) or walked_fields(cls)
        info = (fields, issubclass(cls, _ANCHORS), getattr(self.visitor, f"visit_{name}", None),
                getattr(self.visitor, f"leave_{name}", None))
        self._info[cls] = info
        return info

    def run(self, module: cst.Module) -> None:
        statements, owner, infos, describe = self.statements, self.owner, self._info, self._describe
        calls, call_class = self.calls, cst.Call
        shapes: dict[type, int] = {}  # a field value's class: 1 a node, 2 a sequence, 0 neither (isinstance
        # on libcst's abstract node class is an ABC check, ten times slower than this look-up)

        def shape(cls: type) -> int:
            found = shapes[cls] = 1 if issubclass(cls, CSTNode) else 2 if cls is tuple or cls is list else 0
            return found

        def walk(node: CSTNode, current: int) -> None:
            cls = node.__class__
            fields, anchor, visit, leave = infos.get(cls) or describe(cls)
            if anchor:
                current = len(statements)
                statements.append(node)
            owner[id(node)] = current
            if cls is call_class:
                calls.append((current, node))
            if visit is not None:
                visit(node)
            for name in fields:
                child = getattr(node, name)
                kind = shapes.get(child.__class__)
                if kind is None:
                    kind = shape(child.__class__)
                if kind == 1:
                    walk(child, current)
                elif kind == 2:
                    for item in child:
                        if (shapes.get(item.__class__) or shape(item.__class__)) == 1:
                            walk(item, current)
            if leave is not None:
                leave(node)

        try:
            walk(module, -1)
        finally:
            # `walk` refers to itself through its closure: left alone, that cycle (and the statements it
            # holds) outlives the run until the garbage collector finds it.
            walk = None  # type: ignore[assignment]
