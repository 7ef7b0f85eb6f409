"""`.env` files -> EnvBinding list (what docker compose and python-dotenv read).

Why its own parser: the format is line-based and forgiving (`export KEY=...`, quotes, inline comments,
multi-line double-quoted values) and must never run anything. Values of the form `${VAR:-default}`
are kept as references, the way compose interpolates them, so the linker can resolve them.
"""

from __future__ import annotations

import re

from vlint.extract.expansion import bounded
from vlint.extract.vllm_cli import resolve_text
from vlint.facts import EnvBinding, FileFacts, Location, Value

_LINE_RE = re.compile(r"^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*=[ \t]*(.*)$")
_DQ_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$"}


@bounded
def extract_dotenv(text: str, path: str) -> FileFacts:
    facts = FileFacts(path, "dotenv")
    env: dict[str, Value] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        raw = lines[i]
        lineno = i + 1
        i += 1
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _LINE_RE.match(raw)
        if m is None:
            continue  # like python-dotenv and compose: a line that is no assignment is skipped
        name, rest = m.group(1), m.group(2)
        loc = Location(path, lineno, m.start(1) + 1)
        literal = False
        if rest.startswith("'"):
            end = rest.find("'", 1)
            while end < 0 and i < len(lines):  # a multi-line single-quoted value
                rest += "\n" + lines[i]
                i += 1
                end = rest.find("'", 1)
            value_text = rest[1:end] if end > 0 else rest[1:]
            literal = True
        elif rest.startswith('"'):
            value_text, end, literal = _double_quoted(rest)
            while end < 0 and i < len(lines):
                rest += "\n" + lines[i]
                i += 1
                value_text, end, literal = _double_quoted(rest)
        else:
            value_text = re.split(r"[ \t]+#", rest, maxsplit=1)[0].rstrip()
        value = resolve_text(value_text, loc, env, quoted=literal, k8s_refs=False)
        value = Value(value.literal, loc, note=value.note or f"set in {path}", env=value.env,
                      is_default=value.is_default)
        env[name] = value
        facts.env.append(EnvBinding(name, value, scope="project"))
    return facts


def _double_quoted(rest: str) -> tuple[str, int, bool]:
    """The value inside `"..."`, the index of the closing quote (-1 when the value goes on to the next
    line), and whether every `$` in it was escaped (then it is literal text, not a reference)."""
    out: list[str] = []
    escaped_dollar = plain_dollar = False
    k = 1
    while k < len(rest):
        ch = rest[k]
        if ch == "\\" and k + 1 < len(rest):
            nxt = rest[k + 1]
            escaped_dollar = escaped_dollar or nxt == "$"
            out.append(_DQ_ESCAPES.get(nxt, "\\" + nxt))
            k += 2
            continue
        if ch == '"':
            return "".join(out), k, escaped_dollar and not plain_dollar
        plain_dollar = plain_dollar or ch == "$"
        out.append(ch)
        k += 1
    return "".join(out), -1, escaped_dollar and not plain_dollar
