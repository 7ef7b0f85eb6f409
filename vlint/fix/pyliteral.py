"""Python string literals swapped through a libcst codemod: the tree is parsed, the `SimpleString` nodes at
the planned positions whose value is the base model get the new name in the same quotes and prefix, and
the module is written back from the tree, so every other byte (comments, spacing, line endings) stays.

A value that is not one plain string literal (an f-string, a concatenation, a call) has no such node where
the facts point, and is left alone.
"""

from __future__ import annotations

import libcst as cst
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand
from libcst.metadata import PositionProvider

from vlint.findings import Edit

Target = tuple[int, int]  # (1-based line, 1-based column) of a character of the literal


class SwapModelLiterals(VisitorBasedCodemodCommand):
    """Replace the one-line string literal that holds each target position when its value is exactly the
    target's model."""

    DESCRIPTION = "Swap base-model string literals for their chat siblings."
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, context: CodemodContext, path: str, targets: dict[Target, tuple[str, str]]) -> None:
        super().__init__(context)
        self.path = path
        self.targets = targets
        self.edits: list[Edit] = []
        self._in_concatenation = 0  # a part of `"a" "b"` is not the value: never swapped

    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> None:  # noqa: N802 (libcst's naming)
        self._in_concatenation += 1

    def leave_ConcatenatedString(self, original_node: cst.ConcatenatedString,  # noqa: N802
                                 updated_node: cst.ConcatenatedString) -> cst.ConcatenatedString:
        self._in_concatenation -= 1
        return updated_node

    def leave_SimpleString(self, original_node: cst.SimpleString,  # noqa: N802 (libcst's naming)
                           updated_node: cst.SimpleString) -> cst.SimpleString:
        where = self.get_metadata(PositionProvider, original_node)
        target = next((t for (line, column), t in self.targets.items()
                       if line == where.start.line == where.end.line
                       and where.start.column < column <= where.end.column), None)
        if target is None or self._in_concatenation:
            return updated_node
        model, new = target
        try:
            value = original_node.evaluated_value
        except Exception:  # noqa: BLE001 - an odd literal is simply not the one we look for
            return updated_node
        if value != model:
            return updated_node
        token = f"{original_node.prefix}{original_node.quote}{new}{original_node.quote}"
        self.edits.append(Edit(self.path, where.start.line, where.start.column + 1, where.end.line,
                               where.end.column + 1, original_node.value, token))
        return updated_node.with_changes(value=token)


def swap_literals(text: str, path: str, targets: dict[Target, tuple[str, str]]) -> tuple[str, list[Edit]]:
    """The module's new text and the edits made. Raises `libcst.ParserSyntaxError` on a file that does not parse."""
    command = SwapModelLiterals(CodemodContext(filename=path), path, targets)
    module = command.transform_module(cst.parse_module(text))
    return module.code, command.edits
