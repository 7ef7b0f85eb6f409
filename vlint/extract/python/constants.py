"""A module's constants for the linker, read with CPython's `ast` (cheap, and enough for constants): a warm
(cached) scan links without importing libcst."""

from __future__ import annotations

import ast


def module_constants(text: str) -> dict[str, tuple[object, int, int]]:
    """Top-level `NAME = literal` assignments of a module, for the linker to resolve `from settings import
    MODEL` across files. Name -> (value, line, column)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    out: dict[str, tuple[object, int, int]] = {}
    for node in tree.body:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        if value is None:
            continue
        literal: object = None
        if isinstance(value, ast.Constant) and isinstance(value.value, (str, int, float)):
            literal = value.value
        elif isinstance(value, ast.Call) and value.args and isinstance(value.args[-1], ast.Constant) \
                and isinstance(value.func, ast.Attribute) and value.func.attr in ("get", "getenv"):
            literal = value.args[-1].value if len(value.args) > 1 else None  # os.getenv("X", "default")
        if literal is None:
            continue
        for target in targets:
            if isinstance(target, ast.Name):
                out[target.id] = (literal, value.lineno, value.col_offset + 1)
    return out
