"""JSON request bodies written on a command line (`curl -d`, `--override-generation-config`).

Bodies are often not quite JSON: `$TEMP` or `{{ x }}` stand where a value should be. They are quoted so
the rest parses, and a body that still does not parse gives up only the keys a regex can pick out.
Values inside are resolved field by field through the variables in scope, keeping their provenance.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

from vlint.extract.cmdline.context import CommandContext
from vlint.extract.cmdline.variables import join_notes, resolve_text
from vlint.extract.positions import Token
from vlint.extract.templates import TemplateScanner
from vlint.facts import Location, Value

# Placeholders a body may hold where a JSON value should be: `${X}`, `$(cmd)`, `{{ x }}`, `{% x %}`, `$X`.
_PLACEHOLDER_PAIRS = (("${", "}"), ("$(", ")"), ("{{", "}}"), ("{%", "%}"))
_PLACEHOLDER_NAME_RE = re.compile(r"\$[A-Za-z_][A-Za-z0-9_]*")


def parse_json_body(text: str) -> Any:
    """json.loads, tolerating template placeholders (`$TEMP`, `{{ x }}`) where a JSON value should be."""
    text = text.strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: `[[[[...` deeper than json's C scanner goes
        pass
    quoted = _quote_placeholders(text)
    if quoted != text:
        try:
            return json.loads(quoted)
        except (ValueError, RecursionError):
            pass
    return _regex_body(text)


def _quote_placeholders(text: str) -> str:
    """Wrap placeholders that sit outside JSON strings in quotes, so the rest parses."""
    out: list[str] = []
    i = 0
    in_str = False
    placeholders = TemplateScanner(text, _PLACEHOLDER_PAIRS)
    while i < len(text):
        ch = text[i]
        if in_str:
            out.append(ch)
            if ch == "\\" and i + 1 < len(text):
                out.append(text[i + 1])
                i += 2
                continue
            if ch == '"':
                in_str = False
            i += 1
            continue
        if ch == '"':
            in_str = True
            out.append(ch)
            i += 1
            continue
        end = placeholders.end_at(i)
        if end is None and (name := _PLACEHOLDER_NAME_RE.match(text, i)) is not None:
            end = name.end()
        if end is not None:
            out.append(json.dumps(text[i:end]))
            i = end
            continue
        out.append(ch)
        i += 1
    return "".join(out)


_KEY_STR_RE = r'"{key}"\s*:\s*"((?:[^"\\]|\\.)*)"'
_KEY_NUM_RE = r'"{key}"\s*:\s*(-?[0-9.]+(?:[eE][-+]?\d+)?)'


def _regex_body(text: str) -> dict[str, Any] | None:
    """Last resort for a body that is not JSON even with placeholders quoted: pick out the keys we need."""
    out: dict[str, Any] = {}
    for key in ("model", "prompt", "chat_template"):
        m = re.search(_KEY_STR_RE.format(key=key), text)
        if m:
            out[key] = m.group(1)
    m = re.search(_KEY_NUM_RE.format(key="temperature"), text)
    if m:
        try:
            out["temperature"] = float(m.group(1))
        except ValueError:
            pass
    else:
        m = re.search(_KEY_STR_RE.format(key="temperature"), text)
        if m:
            out["temperature"] = m.group(1)
    if re.search(r'"messages"\s*:', text):
        out["messages"] = None
    if re.search(r'"input"\s*:', text):
        out["input"] = None
    return out or None


def locate_key(tok: Token, key: str) -> Location:
    """Where `"key"` sits inside a (possibly multi-line) body token: exact line, column on the first line."""
    idx = tok.text.find(f'"{key}"')
    loc = tok.location
    if idx < 0:
        return loc
    before = tok.text[:idx]
    nl = before.count("\n")
    if nl == 0:
        return Location(loc.path, loc.line, loc.column + idx)
    return Location(loc.path, loc.line + nl, len(before) - before.rfind("\n"))


def as_number(v: Value) -> Value:
    """A text value as the JSON number (or other JSON value) it spells, when it spells one."""
    if isinstance(v.literal, str):
        try:
            return replace(v, literal=json.loads(v.literal))
        except (ValueError, RecursionError):
            return v
    return v


def json_value(raw: object, tok: Token, ctx: CommandContext, note: str, key: str | None = None) -> Value:
    """A body field as a Value: text resolved through the variables in scope (a number when it spells one),
    placed at `"key"` inside the body when the key is given."""
    loc = tok.location if key is None else locate_key(tok, key)
    if isinstance(raw, str):
        v = resolve_text(raw, loc, ctx.env, quoted=tok.quoted, k8s_refs=ctx.k8s_refs)
        v = as_number(v) if v.literal is not None and _looks_numeric(str(v.literal)) else v
        return replace(v, note=join_notes(v.note, note))
    if isinstance(raw, (int, float, bool)) or raw is None:
        return Value(raw, loc, note=note)
    return Value(None, loc, note=note)


def _looks_numeric(s: str) -> bool:
    return bool(re.fullmatch(r"-?\d+(\.\d*)?([eE][-+]?\d+)?", s.strip()))
