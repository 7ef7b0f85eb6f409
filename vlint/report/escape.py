"""Scanned text made safe to print: the scanned tree is untrusted, and its strings reach terminals and CI logs.

A model name, a served alias, a path or an error reason can hold terminal escapes (ESC, CSI, OSC, BEL,
backspace, carriage return, the C1 controls), bidirectional overrides that reorder what a reviewer reads,
a newline followed by a GitHub Actions workflow command, or the legacy `##[command]` form, which the
Actions runner obeys anywhere in a line. Every renderer passes scanned text through one of these
functions; ordinary text comes out unchanged.
"""

from __future__ import annotations

import re

# C0 and C1 controls and DEL, the bidirectional marks, embeddings, overrides and isolates, the Unicode
# line and paragraph separators, and lone surrogates (a non-UTF-8 file name decoded with surrogateescape).
_BEYOND_C0 = "\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_UNSAFE = re.compile(f"[\x00-\x1f{_BEYOND_C0}]")
_UNSAFE_IN_JSON = re.compile(f"[{_BEYOND_C0}]")  # json.dumps escapes C0 itself; raw newlines are its layout
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_LEGACY_COMMAND = "##["   # the runner's legacy workflow-command prefix, honoured mid-line


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape's stand-in for an undecodable byte: show the byte
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """Text for a terminal or a log, on one line: unsafe characters as visible backslash escapes."""
    return _UNSAFE.sub(_visible, text).replace(_LEGACY_COMMAND, "##\\x5b")


def line_head(path: str) -> str:
    """A path that starts a line of output: one that would read as a `::command::` once leading blanks
    are trimmed (as the Actions runner trims them) gets a `./` in front, which names the same file."""
    path = printable(path)
    return f"./{path}" if path.lstrip().startswith("::") else path


def safe_json(text: str) -> str:
    """Rendered JSON whose strings cannot act on a terminal or a CI log, decoding to the same values.

    `json.dumps(..., ensure_ascii=False)` escapes only C0 controls; the rest of the unsafe set (and lone
    surrogates, which cannot be encoded as UTF-8) become `\\uXXXX`, and `##[` becomes `##\\u005b`.
    These characters only occur inside JSON strings, where a `\\u` escape means the same character.
    """
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text).replace(_LEGACY_COMMAND, "##\\u005b")
