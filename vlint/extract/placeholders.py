"""Placeholders that documentation writes into command lines: `<service-ip>`, `<your-endpoint>`, `<model>`.

`curl http://<service-ip>:80/v1/chat/completions ...` is a request whose host is left to the reader; to a
shell, `<` and `>` are redirections and the URL falls apart (`http://`, then input from `service-ip`, output
to `:80/v1/...`). Before a shell parse, each placeholder's angle brackets become `‹` and `›` (one character
each, so every column stays true): the word stays whole, and a value that holds one is known to hold a
placeholder (`vlint.reach` treats such a host as unknown, a model so named classifies as unknown).

A placeholder is `<` + a letter + letters, digits, `_`, `-`, `.` + `>`, outside quotes on its line (inside
quotes the shell does not read them), not a heredoc (`<<EOF`) nor a process substitution (`<(...)`), and not
followed by a word character (`sort <in>out` is a real pair of redirections).
"""

from __future__ import annotations

import re

OPEN, CLOSE = "‹", "›"
_CANDIDATE = re.compile(r"<[A-Za-z][A-Za-z0-9_.-]{0,63}>")  # most texts have none: nothing else runs
# One left-to-right pass over a line: an escape, a quoted string (to the line's end when it is not closed
# there) and a comment are consumed whole, so a `<name>` the scan meets is outside all of them.
_SCAN = re.compile(r"""\\.|'[^'\n]*'?|"(?:[^"\\\n]|\\.)*"?|(?:(?<=\s)|^)#[^\n]*"""
                   r"|(?P<placeholder><[A-Za-z][A-Za-z0-9_.-]{0,63}>)(?![A-Za-z0-9_])", re.MULTILINE)


def mask_placeholders(text: str) -> str:
    """`text` with the angle brackets of every placeholder outside quotes replaced (same length). Quotes are
    followed within the lines that hold a candidate only: a multi-megabyte install script with a few
    `<namespace>` in its usage text costs those lines, not a scan of the whole file."""
    if "<" not in text:
        return text
    out: list[str] | None = None
    done = -1
    for candidate in _CANDIDATE.finditer(text):
        if candidate.start() < done:
            continue
        first = text.rfind("\n", 0, candidate.start()) + 1
        end = text.find("\n", candidate.end())
        done = len(text) if end < 0 else end
        for match in _SCAN.finditer(text, first, done):
            at = match.start("placeholder")
            if at < 0 or (at > 0 and text[at - 1] in "<$"):  # `<<EOF>`, `$<...>`: not a placeholder
                continue
            out = out if out is not None else list(text)
            out[at], out[match.end("placeholder") - 1] = OPEN, CLOSE
    return "".join(out) if out is not None else text


def has_placeholder(text: str | None) -> bool:
    return text is not None and OPEN in text
