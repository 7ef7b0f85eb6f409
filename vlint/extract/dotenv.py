"""`.env` files -> EnvBinding list (what docker compose and python-dotenv read).

Why its own parser: the format is line-based and forgiving (`export KEY=...`, quotes, inline comments,
multi-line double-quoted values) and must never run anything. Values of the form `${VAR:-default}`
are kept as references, the way compose interpolates them, so the linker can resolve them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from vlint.extract.cmdline.variables import resolve_text
from vlint.extract.expansion import bounded
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
            value_text, i = _single_quoted(rest, lines, i)
            literal = True
        elif rest.startswith('"'):
            value_text, i, literal = _double_quoted(rest, lines, i)
        else:
            value_text = re.split(r"[ \t]+#", rest, maxsplit=1)[0].rstrip()
        value = resolve_text(value_text, loc, env, quoted=literal, k8s_refs=False)
        value = Value(value.literal, loc, note=value.note or f"set in {path}", env=value.env,
                      is_default=value.is_default)
        env[name] = value
        facts.env.append(EnvBinding(name, value, scope="project"))
    return facts


# Quoted values may span lines (to the end of the file when unclosed). They are read character by character
# from where they start, each character once: re-reading the value from its quote for every line it adds
# was quadratic (an unclosed `"` over 300,000 lines ran for minutes).


def _single_quoted(rest: str, lines: list[str], i: int) -> tuple[str, int]:
    """The value inside `'...'` starting on `rest`, and the index of the line after it."""
    parts = [rest[1:]]
    end = parts[0].find("'")
    while end < 0 and i < len(lines):
        parts.append(lines[i])
        i += 1
        end = parts[-1].find("'")
    if end >= 0:
        parts[-1] = parts[-1][:end]
    return "\n".join(parts), i


def _double_quoted(rest: str, lines: list[str], i: int) -> tuple[str, int, bool]:
    """The value inside `"..."` starting on `rest`, the index of the line after it, and whether every `$`
    in it was escaped (then it is literal text, not a reference)."""
    after = i

    def characters() -> Iterator[str]:
        nonlocal after
        yield from rest[1:]
        while after < len(lines):
            after += 1
            yield "\n"
            yield from lines[after - 1]

    out: list[str] = []
    escaped_dollar = plain_dollar = False
    stream = characters()
    for ch in stream:
        if ch == "\\":
            nxt = next(stream, None)
            if nxt is not None:
                escaped_dollar = escaped_dollar or nxt == "$"
                out.append(_DQ_ESCAPES.get(nxt, "\\" + nxt))
                continue
        if ch == '"':
            break
        plain_dollar = plain_dollar or ch == "$"
        out.append(ch)
    return "".join(out), after, escaped_dollar and not plain_dollar
