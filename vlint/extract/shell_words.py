"""Quote removal for shell words: the escapes bash honours in double quotes, bare words and `$'…'`."""

from __future__ import annotations

_DQ_ESCAPES = {"$", "`", '"', "\\"}


def unescape_dq(text: str, *, keep_newline: bool) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "\n":
                if keep_newline:
                    out.append("\\\n")
                i += 2
                continue
            if nxt in _DQ_ESCAPES:
                out.append(nxt)
                i += 2
                continue
        out.append(ch)
        i += 1
    return "".join(out)


def unescape_word(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            if text[i + 1] != "\n":
                out.append(text[i + 1])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


_ANSI = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "a": "\a", "b": "\b", "e": "\x1b",
         "f": "\f", "v": "\v"}


def ansi_c(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in _ANSI:
            out.append(_ANSI[text[i + 1]])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)
