"""What libcst is never given: Python that CPython's parser refuses, and Python nested deeper than libcst's
native parser survives or parses in linear time.

libcst parses with native code (a recursive-descent parser in Rust). On deep nesting it does not raise: it
overflows the thread's stack and the process dies with SIGSEGV, taking every other file of the scan with it;
before that, its time grows with the square of the depth. Measured with libcst 1.9.0 on CPython 3.11
(x86-64), each construct generated at growing sizes and parsed in a subprocess:

* stack: about 25 KiB per indented block, 1.2-2.5 KiB per level of expression nesting (a link of
  `a.b().c()` 1.3 KiB per level, a nested `lambda` 2.4, a binary operator, `and`/`or`, attribute or
  subscript 1.2-1.4), 1.1 KiB per `elif`, 0.85 KiB per implicitly concatenated string. With 1 MiB of stack
  it crashes at 41 nested blocks, ~430 nested lambdas or ~1,250 concatenated strings; with 8 MiB at
  ~5,000 links of `x = c.a.a.a...` or ~7,000 `and` terms. CPython keeps `a and b and ...` and implicit
  concatenation flat, so its own limits do not stop those.
* time: a chain of 400 calls `c.a().a()...` costs 8x per byte what a chain of 10 does; 1,000 attribute
  links take 0.2 s for 2 KB, 5,000 links 12 s for 10 KB.

So every file is parsed by CPython first (`ast.parse`, which refuses deep nesting with an exception, in
milliseconds), and what it refuses is reported, never handed on. Then the nesting libcst would meet is
measured on CPython's tree, as libcst nests it (an `elif` inside its `if`, `a and b and c` as
`(a and b) and c`): more than `MAX_NESTING` levels of blocks, `elif`s and expressions along one path is
refused (the time, and vlint's own walks of the tree, which recurse once a level), and so is an estimated
stack need (the figures above summed along the path) over `STACK_BUDGET_KIB`, half of the smallest stack
CPython gives a thread on the platforms vlint runs on (2 MiB on Windows). The Python installed here (vLLM and
~25,000 library files) stays under 400 KiB and 100 levels, except generated tables (sympy's polynomial
constants, 566 levels; pydoc's topics, 2,236 concatenated strings).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

MAX_NESTING = 200  # blocks, `elif`s and expression levels along one path of the tree, as libcst nests them
STACK_BUDGET_KIB = 1024
_BLOCK_KIB = 25.0
_EXPRESSION_KIB = 2.5  # the costliest level measured (a nested lambda), for every level
_ELIF_KIB = 1.1
_STRING_PART_KIB = 0.85
_BLOCK_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")
_HAS_BLOCKS = (ast.stmt, ast.excepthandler, ast.match_case)
_NEWLINES = re.compile(r"\r\n?|\n")
_LONG_CONSTANT = 400  # characters: only a string constant this long can hold enough parts to matter


@dataclass(frozen=True)
class Refusal:
    """Why a file is not parsed by libcst, and the line it happens at (None when CPython does not say)."""

    reason: str
    line: int | None


def parse_with_cpython(text: str) -> ast.Module | Refusal:
    """CPython's tree of `text`, or why CPython refuses it."""
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError) as exc:  # also IndentationError, "too many nested parentheses", a null byte
        line = getattr(exc, "lineno", None)
        if line is None and "\x00" in text:  # CPython names no line for a null byte
            line = text.count("\n", 0, text.index("\x00")) + 1
        return Refusal(f"Python syntax error: {getattr(exc, 'msg', None) or exc}", line)
    except (RecursionError, MemoryError):
        return Refusal("nested too deeply for CPython's parser; not parsed", locate_deep_line(text))


def nesting_refusal(tree: ast.Module, text: str) -> Refusal | None:
    """A refusal when libcst's parser would meet more nesting in `tree` than the bounds above allow."""
    return _Nesting(tree, text).run()


class _Nesting:
    """Statements are walked block by block, with the blocks and `elif`s around them; a statement's own
    expressions only where they are long enough to nest deeper than allowed (a level of nesting takes at
    least one character), which on real code is a few per cent of them."""

    def __init__(self, tree: ast.Module, text: str) -> None:
        self.tree = tree
        self.lines = _NEWLINES.split(text) if "\r" in text else text.split("\n")  # as `ast` counts lines
        self.widths = list(map(len, self.lines))

    def run(self) -> Refusal | None:
        todo: list[tuple[list[ast.stmt], int, int]] = [(self.tree.body, 1, 0)]
        while todo:
            body, blocks, elifs = todo.pop()
            fixed = _BLOCK_KIB * blocks + _ELIF_KIB * elifs
            room = min((STACK_BUDGET_KIB - fixed) / _EXPRESSION_KIB, MAX_NESTING - blocks - elifs)
            if room < 0:
                return self._refusal(fixed, blocks, elifs, 0, body[0])
            for node in body:
                block_fields = _FIELDS[node.__class__][1]
                if not block_fields:  # a simple statement
                    if node.end_lineno == node.lineno and node.end_col_offset - node.col_offset <= room:  # type: ignore[operator]
                        continue
                    if self.longer_than(node, room):
                        refusal = self.expressions(node, blocks, elifs, fixed, room)
                        if refusal is not None:
                            return refusal
                    continue
                if self.header_longer_than(node, room):
                    refusal = self.expressions(node, blocks, elifs, fixed, room)
                    if refusal is not None:
                        return refusal
                for name in block_fields:
                    children = getattr(node, name)
                    if not children:
                        continue
                    if name == "orelse" and node.__class__ is ast.If and len(children) == 1 \
                            and children[0].__class__ is ast.If and children[0].col_offset == node.col_offset:
                        todo.append((children, blocks, elifs + 1))  # an `elif`: libcst nests it in the `if`
                    elif name == "handlers" or name == "cases":
                        todo.append((children, blocks, elifs))  # `except` and `case` clauses: their bodies nest
                    else:
                        todo.append((children, blocks + 1, elifs))
        return None

    def expressions(self, statement: ast.AST, blocks: int, elifs: int, fixed: float, room: float) -> Refusal | None:
        """The deepest expression of one statement (its header, for a compound one), as libcst nests it. A
        subtree too short to nest deeper than the room left below it is not entered."""
        todo: list[tuple[ast.AST, int]] = []
        pop, push, node_class, fields = todo.pop, todo.append, ast.AST, _FIELDS
        bool_op, constant, joined = ast.BoolOp, ast.Constant, ast.JoinedStr
        deepest, at, need = 0, statement, fixed
        node, depth = statement, 0
        while True:
            if depth > deepest:
                deepest, at = depth, node
            cls = node.__class__
            if cls is bool_op:  # `a and b and c` is `(a and b) and c` in libcst
                count = len(node.values)  # type: ignore[attr-defined]
                todo.extend((value, depth + count - (i or 1)) for i, value in enumerate(node.values))  # type: ignore[attr-defined]
            else:
                if (cls is constant or cls is joined) and self.longer_than(node, _LONG_CONSTANT):
                    need = max(need, fixed + _EXPRESSION_KIB * depth + _STRING_PART_KIB * self.string_parts(node))
                depth += 1
                left = room - depth
                for name in fields[cls][0]:
                    value = getattr(node, name)
                    for item in value if value.__class__ is list else (value,):
                        if isinstance(item, node_class):
                            end = getattr(item, "end_lineno", None)  # `arguments`, `withitem`... have none
                            if end is None or (item.end_col_offset - item.col_offset > left if end == item.lineno  # type: ignore[attr-defined]
                                               else self.lines_longer_than(item.lineno, end, left)):  # type: ignore[attr-defined]
                                push((item, depth))
            if not todo:
                break
            node, depth = pop()
        need = max(need, fixed + _EXPRESSION_KIB * deepest)
        if blocks + elifs + deepest > MAX_NESTING or need > STACK_BUDGET_KIB:
            return self._refusal(need, blocks, elifs, deepest, at)
        return None

    def _refusal(self, need: float, blocks: int, elifs: int, depth: int, node: ast.AST) -> Refusal:
        levels = blocks + elifs + depth
        path = f"{blocks} blocks, {elifs} elifs, expressions {depth} deep"
        if levels > MAX_NESTING:
            why = f"{levels} levels ({path}; at most {MAX_NESTING}: its parse time grows with the square of the depth)"
        else:
            why = f"~{need:.0f} KiB of its parser's stack ({path}; at most {STACK_BUDGET_KIB}: beyond, it crashes)"
        return Refusal(f"nested too deeply for libcst: {why}; not parsed", _line(node))

    def longer_than(self, node: ast.AST, limit: float) -> bool:
        """Whether the node may be longer than `limit` characters (a multi-line node: the lines it is on)."""
        first = getattr(node, "lineno", None)
        if first is None:
            return True
        last = node.end_lineno or first  # type: ignore[attr-defined]
        if first == last:
            return (node.end_col_offset or 0) - node.col_offset > limit  # type: ignore[attr-defined]
        return self.lines_longer_than(first, last, limit)

    def header_longer_than(self, node: ast.AST, limit: float) -> bool:
        """Whether what `expressions` walks of a compound statement (from its first decorator, or its
        pattern, to its body) may be longer than `limit` characters."""
        body = getattr(node, "body", None)
        inside = body[0] if body else node.cases[0].pattern  # type: ignore[attr-defined]  # `match`: its subject
        decorators = getattr(node, "decorator_list", None)
        start = decorators[0] if decorators else getattr(node, "pattern", node)
        first, last = getattr(start, "lineno", None), inside.lineno
        if first is None:
            return True
        if first == last:
            return inside.col_offset - start.col_offset > limit  # type: ignore[attr-defined, no-any-return]
        return self.lines_longer_than(first, last, limit)

    def lines_longer_than(self, first: int, last: int, limit: float) -> bool:
        total, widths = 0, self.widths
        for index in range(first - 1, last):
            total += widths[index] + 1
            if total > limit:
                return True
        return False

    def string_parts(self, node: ast.AST) -> int:
        """How many literals an implicit concatenation is made of: at most half its quotes, counted exactly
        (with the tokenizer) only when that bound matters."""
        segment = self.segment(node)
        bound = (segment.count('"') + segment.count("'")) // 2
        if bound * _STRING_PART_KIB < STACK_BUDGET_KIB / 8:
            return bound
        import io
        import tokenize

        count = 0
        try:
            for token in tokenize.generate_tokens(io.StringIO(f"({segment})").readline):
                count += token.type == tokenize.STRING or token.type == getattr(tokenize, "FSTRING_START", -1)
        except (tokenize.TokenError, SyntaxError):
            return bound
        return count

    def segment(self, node: ast.AST) -> str:
        lines = self.lines
        first, last = node.lineno, node.end_lineno or node.lineno  # type: ignore[attr-defined]
        head = _chars(lines[first - 1], node.col_offset)  # type: ignore[attr-defined]
        tail = _chars(lines[last - 1], node.end_col_offset or 0)  # type: ignore[attr-defined]
        if first == last:
            return lines[first - 1][head:tail]
        return "\n".join([lines[first - 1][head:], *lines[first:last - 1], lines[last - 1][:tail]])


def _line(node: ast.AST) -> int | None:
    """A node's line; a `case` of `match` has none of its own, its pattern has."""
    return getattr(node, "lineno", None) or getattr(getattr(node, "pattern", None), "lineno", None)


def _chars(line: str, byte_offset: int) -> int:
    if line.isascii():
        return byte_offset
    return len(line.encode("utf-8")[:byte_offset].decode("utf-8", "replace"))


def _node_fields() -> dict[type, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Each `ast` class: the fields that may hold expressions, and the fields that hold statement blocks.
    Fields that only ever hold names, flags or a constant's value are left out (most nodes are leaves)."""
    plain = {"ctx", "id", "attr", "arg", "name", "asname", "names", "module", "level", "kind", "type_comment",
             "is_async", "conversion", "simple"}
    out: dict[type, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    todo = [ast.AST]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        fields = [f for f in cls._fields if f not in plain and not (cls is ast.Constant and f == "value")]
        # `body` and `orelse` of a lambda or a conditional expression are expressions, not blocks
        blocks = [f for f in fields if f in _BLOCK_FIELDS and issubclass(cls, _HAS_BLOCKS)]
        out[cls] = (tuple(f for f in fields if f not in blocks), tuple(blocks))
    return out


_FIELDS = _node_fields()


# ---- where CPython gives up ---------------------------------------------------------------------------

_LOCATE_TOKENS = 500_000  # the tokenizer's work on a refused file is bounded (~1 s)


def locate_deep_line(text: str) -> int | None:
    """The line of the statement that is too deep for CPython (which names none when it gives up on depth):
    the longest line first (the usual shape: one long chain), then the logical lines with the most tokens,
    each parsed alone; else the `if` of the longest `elif` chain."""
    lines = text.split("\n")
    longest = max(range(len(lines)), key=lambda i: len(lines[i]))
    if _too_deep_alone(lines[longest]):
        return longest + 1
    import io
    import tokenize

    logical: list[tuple[int, int, int]] = []  # (tokens, first line, last line)
    chains: dict[int, tuple[int, int]] = {}  # column of an `if` -> (its line, elifs after it)
    longest_chain = (0, 0)
    count, first, seen = 0, 0, 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            seen += 1
            if seen > _LOCATE_TOKENS:
                break
            if token.type in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING):
                continue
            if count == 0:
                first = token.start[0]
                if token.type == tokenize.NAME and token.string in ("if", "elif"):
                    column = token.start[1]
                    line, elifs = chains.get(column, (first, 0)) if token.string == "elif" else (first, 0)
                    chains[column] = (line, elifs + (token.string == "elif"))
                    longest_chain = max(longest_chain, (chains[column][1], line))
            if token.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
                if count:
                    logical.append((count, first, token.start[0]))
                count = 0
            else:
                count += 1
    except (tokenize.TokenError, SyntaxError):
        pass
    for _, start, end in sorted(logical, reverse=True)[:3]:
        if _too_deep_alone("\n".join(lines[start - 1:end])):
            return start
    return longest_chain[1] or None


def _too_deep_alone(statement: str) -> bool:
    """Whether one logical line, parsed as a statement of its own, is too deep for CPython."""
    source = statement.lstrip(" \t\f")
    head = source.split(None, 1)[0] if source.strip() else ""
    if source.rstrip().endswith(":"):  # a compound statement's header: give it a body
        if head == "elif":
            source = source[2:]
        elif head in ("except", "except*"):
            source = "try: pass\n" + source
        elif head == "case":
            source = "match _:\n " + source
        source += " pass"
    elif head.startswith("@"):
        source += "\ndef _(): pass"
    try:
        ast.parse(source)
    except (RecursionError, MemoryError):
        return True
    except (SyntaxError, ValueError):
        return False
    return False
