"""Template expressions masked so a templated YAML file still loads with its structure: never rendered.

Helm/Go, Jinja and GitHub/GitLab expressions (`{{ }}`, `{% %}`, `{# #}`, `${{ }}`, `$[[ ]]`) are masked so
that a file that is valid YAML once rendered still loads, and every line stays where it was:

* an expression inside a line becomes a same-length run of a placeholder character: columns stay true, and
  a value that holds one is unresolved (`is_templated`);
* an expression broken across lines keeps its newlines and the indentation of its continuation lines when
  they are deeper than the line it opens on (a plain scalar goes on); otherwise its text is joined onto its
  first line and its newlines move to the end of the line where it closes (what rendering does to it);
* a line that holds only expressions (`{{- if .Values.x }}`, `{{- toYaml . | nindent 4 }}`,
  `${{ matrix.cmd }}`) is settled by `blocks.settle_template_lines`: blank outside block scalars, and
  inside one an empty line for a directive that prints nothing, or a placeholder at the scalar's
  indentation for an expression that prints.

Lines are always true; columns are true except on a line that holds only expressions and on the line where
a joined expression closes.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from vlint.extract.templates import TemplateScanner
from vlint.extract.yaml.blocks import TemplateLines, settle_template_lines

PLACEHOLDER = "\u00a7"  # '§': a plain-scalar character that no real value repeats four times
_PLACEHOLDER_RUN = PLACEHOLDER * 4
TEMPLATE_PAIRS = (("${{", "}}"), ("$[[", "]]"), ("{{", "}}"), ("{%", "%}"), ("{#", "#}"))
_OPENERS = ("{{", "{%", "{#", "$[[")
MAX_EXPRESSION = 4000  # longer is not one expression but an unclosed brace and what follows it

# A Go template action that prints nothing: control flow, a definition, a variable, a comment. Everything
# else (`toYaml`, `include`, `template`, `.Values.x`) prints text we cannot know.
_GO_SILENT_RE = re.compile(r"\{\{-?\s*(?:/\*|(?:if|else|end|range|with|define|break|continue)\b|\$\w*\s*:?=)")
_JINJA_PRINTS_RE = re.compile(r"\{%-?\s*include\b")
_INDENT_RE = re.compile(r"[ \t]*")
_STRUCTURE_RE = re.compile(r" *(?:- +)*")  # indentation and block-sequence dashes: where a node's content starts
_KEY_AFTER_RE = re.compile(r"[^\n#]*?:(?:[ \t]|$)", re.MULTILINE)


def prints_nothing(expression: str) -> bool:
    """Whether a template expression renders to nothing (a directive or a comment)."""
    if expression.startswith("{#"):
        return True
    if expression.startswith("{%"):
        return not _JINJA_PRINTS_RE.match(expression)
    return expression.startswith("{{") and _GO_SILENT_RE.match(expression) is not None


def mask_templates(text: str) -> str:
    """The text with every template expression masked (see the module docstring); same number of lines."""
    if not any(opener in text for opener in _OPENERS):
        return text
    spans = list(TemplateScanner(text, TEMPLATE_PAIRS, MAX_EXPRESSION).spans())
    if not spans:
        return text
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    lines = _classify(text, spans, starts)
    masked = _mask_spans(text, spans, starts, lines).split("\n")
    if lines.only:
        settle_template_lines(masked, lines)
    return "\n".join(masked)


def _classify(text: str, spans: list[tuple[int, int]], starts: list[int]) -> TemplateLines:
    """Which lines hold only expressions (nothing else but whitespace), and which of those print nothing."""
    touched: dict[int, list[tuple[int, int]]] = {}
    loud: set[int] = set()
    multiline: list[tuple[int, int]] = []
    lines = TemplateLines()
    for start, end in spans:
        first, last = bisect_right(starts, start) - 1, bisect_right(starts, end - 1) - 1
        if last > first:
            multiline.append((first, last))
        quiet = prints_nothing(text[start:end])
        for row in range(first, last + 1):
            touched.setdefault(row, []).append((max(start, starts[row]), min(end, _line_end(text, starts, row))))
            if not quiet:
                loud.add(row)
            if row > first:
                lines.continued.add(row)
    for row, covered in touched.items():
        cursor, rest = starts[row], []
        for start, end in covered:
            rest.append(text[cursor:start])
            cursor = end
        rest.append(text[cursor:_line_end(text, starts, row)])
        if not "".join(rest).strip():
            lines.only.add(row)
    for first, last in multiline:  # an expression that shares a line with content is part of that content
        if any(row not in lines.only for row in range(first, last + 1)):
            lines.only.difference_update(range(first, last + 1))
    lines.silent = lines.only - loud
    lines.continued &= lines.only
    return lines


def _line_end(text: str, starts: list[int], row: int) -> int:
    return starts[row + 1] - 1 if row + 1 < len(starts) else len(text)


def _mask_spans(text: str, spans: list[tuple[int, int]], starts: list[int], lines: TemplateLines) -> str:
    """Every expression replaced by placeholders, multi-line ones kept in place or joined (module docstring)."""
    out: list[str] = []
    owed = 0  # newlines of joined expressions, written after the line where the expression closes
    done = 0
    for index, (start, end) in enumerate(spans):
        segment = text[start:end]
        out.append(text[done:start])
        if "\n" not in segment:
            out.append(PLACEHOLDER * len(segment))
        elif _keeps_layout(text, start, end, starts, lines):
            out.append("\n".join(_mask_keeping_indent(part, i) for i, part in enumerate(segment.split("\n"))))
        else:
            newlines = segment.count("\n")
            out.append(PLACEHOLDER * (len(segment) - newlines))
            owed += newlines
        done = end
        if owed:
            line_end = text.find("\n", done)
            next_start = spans[index + 1][0] if index + 1 < len(spans) else len(text)
            if line_end < 0 or line_end < next_start:
                stop = len(text) if line_end < 0 else line_end
                out.append(text[done:stop] + "\n" * owed)
                done, owed = stop, 0
    out.append(text[done:])
    return "".join(out)


def _mask_keeping_indent(part: str, index: int) -> str:
    """One line's share of a multi-line expression: its leading whitespace kept on continuation lines."""
    indent = _INDENT_RE.match(part).end() if index else 0  # type: ignore[union-attr]
    return part[:indent] + PLACEHOLDER * (len(part) - indent)


def _keeps_layout(text: str, start: int, end: int, starts: list[int], lines: TemplateLines) -> bool:
    """A multi-line expression keeps its lines when it stands on lines of its own, or when every continuation
    line is indented deeper than where the content of its first line starts (so a plain or block scalar
    goes on across them, as it does once rendered on one line)."""
    first, last = bisect_right(starts, start) - 1, bisect_right(starts, end - 1) - 1
    if all(row in lines.only for row in range(first, last + 1)):
        return True
    if _KEY_AFTER_RE.match(text, end):
        return False  # `{{ … }}: value` is a key, and a key cannot span lines
    opening = text[starts[first]:start]
    floor = _STRUCTURE_RE.match(opening).end()  # type: ignore[union-attr]
    for row in range(first + 1, last + 1):
        line = text[starts[row]:_line_end(text, starts, row)]
        if line.strip() and _INDENT_RE.match(line).end() <= floor:  # type: ignore[union-attr]
            return False
    return True


def is_templated(text: object) -> bool:
    return isinstance(text, str) and _PLACEHOLDER_RUN in text
