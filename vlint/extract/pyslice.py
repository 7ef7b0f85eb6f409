"""What libcst need not parse of a module: the bodies of functions that hold nothing the extractor reads.

libcst's parse is the largest cost of a scan, and most of a module that passes the prefilter is code
around the few calls that matter. The extractor (`vlint/extract/python.py`) reads a function's body
only for these, and everything else it knows comes from outside function bodies:
  * the calls `visit_Call` takes (`Survey.matching_calls`, the prefilter's test, which says yes whenever the
    extractor could), their arguments and the names they use, looked up in the enclosing scopes;
  * module-wide tables filled from any depth: imports, `self.`/`cls.` attribute assignments,
    `add_argument` defaults, class bodies, and bindings of `SamplingParams(...)` calls (looked up across
    functions when unambiguous).
A function (top level, or a method of a class at any depth of classes) whose lines hold none of these
is not needed: its body becomes `pass` on its first line and blank lines after, so every kept line keeps
its number and columns, and its decorators, parameters and name still bind as before. Bodies of needed
functions, module-level code, class bodies and everything in `if`/`try`/`with` blocks are kept whole.
CPython's tree of the module is updated to match, for the position anchors.
tests/test_pyslice.py extracts real sources both ways and compares every fact.
"""

from __future__ import annotations

import ast
import re
from bisect import bisect_left
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vlint.extract import Survey

_NEWLINE = re.compile(r"\r\n?|\n")


@lru_cache(maxsize=1)
def _sampling_names() -> frozenset[str]:
    from vlint.knowledge import load_data

    return frozenset(q.rsplit(".", 1)[-1] for q in load_data("clients.yaml")["offline"]["sampling_params"])


def _trigger_lines(survey: Survey) -> list[int]:
    """Lines of everything that makes the function around it needed (sorted)."""
    sampling = set(_sampling_names())
    lines = {call.lineno for call in survey.matching_calls()}
    for node in survey.anchors:
        lines.add(node.lineno)
        if isinstance(node, ast.ImportFrom):  # `from vllm import SamplingParams as SP`
            sampling.update(a.asname for a in node.names if a.asname and a.name in sampling)
    for node in survey.named:
        if isinstance(node, ast.Attribute):
            if node.attr in sampling or node.attr == "add_argument" or isinstance(node.ctx, ast.Store) \
                    and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                lines.add(node.lineno)
        elif node.id in sampling or node.id == "add_argument":  # type: ignore[attr-defined]
            lines.add(node.lineno)
    return sorted(lines)


def slice_module(text: str, tree: ast.Module, survey: Survey) -> str:
    """`text` with the bodies of unneeded functions blanked (see the module's docstring); `tree` (which
    `survey` walked) is updated in place to the same shape. Returns `text` itself when nothing is blanked."""
    triggers = _trigger_lines(survey)
    stubs: list[tuple[int, int, ast.FunctionDef | ast.AsyncFunctionDef]] = []

    def needed(first: int, last: int) -> bool:
        at = bisect_left(triggers, first)
        return at < len(triggers) and triggers[at] <= last

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef):
                visit(node.body)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = min([d.lineno for d in node.decorator_list] + [node.lineno])
                if not needed(first, node.end_lineno or node.lineno):
                    stubs.append((node.body[0].lineno, node.end_lineno or node.lineno, node))

    visit(tree.body)
    if not stubs:
        return text
    starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]  # offset of each line (1-based: starts[n-1])
    out: list[str] = []
    done = 0
    for first, last, node in stubs:
        begin = starts[first - 1]
        end = starts[last] if last < len(starts) else len(text)
        line = text[begin:starts[first] if first < len(starts) else len(text)]
        indent = len(line) - len(line.lstrip(" \t\f"))
        body0 = node.body[0]
        if first == node.lineno or body0.col_offset != indent or begin < done:
            continue  # the body shares a line with the header: kept
        out.append(text[done:begin])
        out.append(line[:indent] + "pass\n" + "\n" * (last - first))
        done = end
        node.body = [ast.Pass(lineno=first, col_offset=indent, end_lineno=first, end_col_offset=indent + 4)]
        node.end_lineno, node.end_col_offset = first, indent + 4
    if not out:
        return text
    out.append(text[done:])
    return "".join(out)
