"""Placeholders that documentation writes into command lines: `<service-ip>`, `<your-endpoint>`, `<model>`.

`curl http://<service-ip>:80/v1/chat/completions ...` is a request whose host is left to the reader; to a
shell, `<` and `>` are redirections and the URL falls apart (`http://`, then input from `service-ip`, output
to `:80/v1/...`). Before a shell parse, each placeholder's angle brackets become `‹` and `›` (one character
each, so every column stays true): the word stays whole, and a value that holds one is known to hold a
placeholder (`vlint.reach` treats such a host as unknown, a model so named classifies as unknown).

A placeholder is `<` + a letter + letters, digits, `_`, `-`, `.` + `>`, outside quotes (inside quotes the
shell does not read them), not a heredoc (`<<EOF`) nor a process substitution (`<(...)`), and not followed
by a word character (`sort <in>out` is a real pair of redirections).
"""

from __future__ import annotations

import re

OPEN, CLOSE = "‹", "›"
_PLACEHOLDER = re.compile(r"<([A-Za-z][A-Za-z0-9_.-]{0,63})>(?![A-Za-z0-9_])")


def mask_placeholders(text: str) -> str:
    """`text` with the angle brackets of every placeholder outside quotes replaced (same length)."""
    if "<" not in text or ">" not in text:
        return text
    out = list(text)
    changed = False
    for start, end in _unquoted_spans(text):
        for match in _PLACEHOLDER.finditer(text, start, end):
            at = match.start()
            if at > 0 and text[at - 1] in "<$":  # `<<EOF>`, `$<...>`: not a placeholder
                continue
            out[at], out[match.end() - 1] = OPEN, CLOSE
            changed = True
    return "".join(out) if changed else text


def has_placeholder(text: str | None) -> bool:
    return text is not None and OPEN in text


def _unquoted_spans(text: str) -> list[tuple[int, int]]:
    """The stretches of `text` outside single and double quotes (backslash escapes honoured; a comment's
    quotes are ignored, as the shell does)."""
    spans: list[tuple[int, int]] = []
    start, i, n = 0, 0, len(text)
    quote: str | None = None
    while i < n:
        ch = text[i]
        if quote is None:
            if ch == "\\":
                i += 2
                continue
            if ch == "#" and (i == 0 or text[i - 1] in " \t\n"):
                end = text.find("\n", i)
                i = n if end < 0 else end
                continue
            if ch in "'\"":
                spans.append((start, i))
                quote = ch
        elif ch == quote:
            quote = None
            start = i + 1
        elif ch == "\\" and quote == '"':
            i += 2
            continue
        i += 1
    if quote is None:
        spans.append((start, n))
    return spans
