"""Template expressions masked so a templated YAML file still loads: never rendered, same offsets.

Helm/Jinja/GitHub expressions (`{{ }}`, `{% %}`, `${{ }}`, `{# #}`) become same-length runs of a
placeholder character (newlines kept), so columns stay true; a value that holds one is unresolved.
"""

from __future__ import annotations

import re

from vlint.extract.templates import TemplateScanner

PLACEHOLDER = "\u00a7"  # '§': a plain-scalar character that no real value repeats four times
_PLACEHOLDER_RUN = PLACEHOLDER * 4
TEMPLATE_PAIRS = (("${{", "}}"), ("{{", "}}"), ("{%", "%}"), ("{#", "#}"))
MAX_EXPRESSION = 4000  # longer is not one expression but an unclosed brace and what follows it
_ONLY_PLACEHOLDERS_RE = re.compile(rf"^[ \t]*{PLACEHOLDER}[{PLACEHOLDER} \t]*$", re.MULTILINE)


def mask_templates(text: str) -> str:
    """Replace Helm/Jinja/GitHub expressions by same-length placeholders, keeping newlines.

    A line that held nothing but template directives (`{{- if }}`, `{{- end }}`, `{{ toYaml … }}`) is
    blanked: as a placeholder it would be a stray scalar that breaks the YAML structure around it.
    """
    if "{{" not in text and "{%" not in text and "{#" not in text:
        return text

    pieces: list[str] = []
    done = 0
    for start, end in TemplateScanner(text, TEMPLATE_PAIRS, MAX_EXPRESSION).spans():
        pieces += [text[done:start], re.sub(r"[^\n]", PLACEHOLDER, text[start:end])]
        done = end
    masked = "".join(pieces) + text[done:]
    return _ONLY_PLACEHOLDERS_RE.sub(lambda m: " " * len(m.group(0)), masked)


def is_templated(text: object) -> bool:
    return isinstance(text, str) and _PLACEHOLDER_RUN in text
