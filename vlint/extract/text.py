"""Commands kept in plain-text notes (`.txt`): only what the shell extractor reads as a launch or request.

A `.txt` file is mostly prose. Prose goes nowhere near a parser: a line is a *candidate* only when it
names a trigger (`vllm`, `curl`, `docker run`, `podman run`, `api_server`) and, once a prompt (`$ `), a
list marker (`- `, `1. `) or inline-code backticks are stripped, it starts like a command (a known
program, possibly after `VAR=value`, `sudo`, `nohup`...). A candidate takes its continuation lines with
it (a trailing `\\`, a quote still open, a heredoc body) and the region goes to the shell extractor with a
position map, so findings point at the `.txt` line. The shell extractor then decides what is a launch or
a request; everything else in the region yields nothing.

The same line machinery reads `console` blocks in Markdown (prompts mark commands; other lines are output)
and sniffs untagged blocks, so it lives here and `vlint.extract.markdown` imports it.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate

from vlint.extract.embed import (
    Line,
    Snippet,
    drop_env,
    extract_snippet,
    host_lines,
    might_hold_facts,
    snippet_from_lines,
)
from vlint.extract.expansion import bounded
from vlint.facts import FileFacts

# Words a candidate line must contain (case-insensitive).
_TRIGGER = re.compile(r"vllm|curl|(?:docker|podman|nerdctl)\s+(?:container\s+)?run|api_server", re.IGNORECASE)
# Plain substrings that every `_TRIGGER` match contains: a case-insensitive regex search costs tens of
# microseconds a line, a substring test on a lower-cased line almost nothing, and most lines have none.
_TRIGGER_WORDS = ("vllm", "curl", "docker", "podman", "nerdctl", "api_server")


def has_trigger(text: str) -> bool:
    """Does `text` name vllm, curl, docker/podman run or api_server? (substrings first, then the regex)"""
    low = text.lower()
    return any(word in low for word in _TRIGGER_WORDS) and _TRIGGER.search(text) is not None


# A shell prompt before a command: `$ `, `% `, `(venv) $ `, `user@host:~/dir$ `. `#` is a root prompt in a
# console transcript, but in a note it is a comment (a commented-out command must not count), so it is
# only accepted where the caller says so.
_PROMPT = re.compile(r"^(?:\([^()\s]*\)\s*)?(?:[\w.-]+@[\w.-]+(?::\S*?)?\s*)?(?:[$%❯➜]|(?P<root>#))(?:\s+|$)")
_PS2 = re.compile(r"^>\s?")
_LIST_MARKER = re.compile(r"^(?:[-*+•]|\d{1,3}[.)])\s+")

# How a command line starts: assignments and wrappers, then a program that can launch vLLM or send a request.
_WRAPPERS = r"(?:(?:sudo|nohup|time|exec|env|command|nice|stdbuf|timeout\s+\S+)\s+(?:-\S+\s+)*)"
_ASSIGN = r"(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)"
_PROGRAMS = (
    r"(?:vllm|curl|docker|podman|nerdctl|python[0-9.]*|uv|uvx|pip|wget|http|https|apptainer|singularity|"
    r"bash|sh|zsh|torchrun|srun|kubectl|ray|tmux|screen|export)"
)
_COMMAND_START = re.compile(
    rf"^(?:{_ASSIGN}|{_WRAPPERS})*(?:\S*/)?{_PROGRAMS}(?:\s|$|;|&)"
    r"|^[A-Za-z_][A-Za-z0-9_]*=[\"']?\$\("
)
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1")

MAX_REGION_LINES = 400  # a quote opened by mistake must not swallow the rest of a long note


def strip_prompt(text: str, *, root_prompt: bool) -> tuple[str, int] | None:
    """The command after a prompt, and how many characters the prompt took; None when there is no prompt."""
    indent = len(text) - len(text.lstrip())
    match = _PROMPT.match(text, indent)
    if match is None or (match.group("root") and not root_prompt):
        return None
    return text[match.end() :], match.end()


def _strip_lead(text: str) -> tuple[str, int]:
    """A note line without its indentation, prompt, list marker and wrapping backticks (offset kept)."""
    offset = len(text) - len(text.lstrip())
    rest = text[offset:]
    marker = _LIST_MARKER.match(rest)
    if marker is not None:
        offset += marker.end()
        rest = rest[marker.end() :]
    prompted = strip_prompt(rest, root_prompt=False)
    if prompted is not None:
        offset += prompted[1]
        rest = prompted[0]
    stripped = rest.rstrip()
    if len(stripped) > 2 and stripped.startswith("`") and stripped.endswith("`") and stripped.count("`") == 2:
        return stripped[1:-1], offset + 1
    return rest, offset


def looks_like_command(text: str) -> bool:
    """Does this (prompt-free) line start like a command that could launch vLLM or send a request?"""
    return _COMMAND_START.match(text.lstrip()) is not None


def _quote_state(text: str, state: str) -> str:
    """The open quote ("", "'" or '"') after reading `text` with `state` open at its start."""
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if state == "'":
            if ch == "'":
                state = ""
        elif state == '"':
            if ch == "\\":
                i += 1
            elif ch == '"':
                state = ""
        else:
            if ch == "\\":
                i += 1
            elif ch in "'\"":
                state = ch
            elif ch == "#" and (i == 0 or text[i - 1].isspace()):
                break  # a comment: quotes in it mean nothing
        i += 1
    return state


class _Continuation:
    """Whether the next line still belongs to the command: `\\`, an open quote, or a heredoc body."""

    def __init__(self) -> None:
        self.quote = ""
        self.heredocs: list[str] = []
        self.backslash = False

    def feed(self, text: str) -> None:
        if self.heredocs:
            if text.strip().lstrip("\t") == self.heredocs[0]:
                self.heredocs.pop(0)
            return
        if not self.quote:
            self.heredocs.extend(m.group(2) for m in _HEREDOC.finditer(text))
        self.quote = _quote_state(text, self.quote)
        self.backslash = (
            not self.quote and text.rstrip().endswith("\\") and not text.rstrip().endswith("\\\\")
        )

    @property
    def open(self) -> bool:
        return bool(self.quote or self.heredocs or self.backslash)


def _trigger_lines(lines: Sequence[Line]) -> list[int]:
    """Indexes of the lines naming a trigger word, found in one pass over the lower-cased text (a long
    note is mostly prose; looking at each of its lines in Python would cost more than the rest)."""
    texts = [text for text, _, _ in lines]
    low = "\n".join(texts).lower()
    offsets = list(accumulate((len(t) + 1 for t in texts), initial=0))
    hits: set[int] = set()
    for word in _TRIGGER_WORDS:  # str.find is a fast scan; a regex alternation tries every position
        at = low.find(word)
        while at != -1:
            line = bisect_right(offsets, at) - 1
            hits.add(line)
            at = low.find(word, offsets[line + 1])  # on from the next line: one hit a line is enough
    found = sorted(hits)
    return [k for k in found if has_trigger(texts[k])]


def command_regions(
    lines: Sequence[Line], *, console: bool = False, root_prompt: bool = True
) -> list[list[Line]]:
    """Command lines with their continuations, as regions of host lines (prompts stripped).

    `console=False` (a note, an untagged block): a region starts at a line that names a trigger and starts
    like a command. `console=True` (a transcript): it starts at any line with a prompt (`#` too, unless
    `root_prompt=False`), and lines that neither have a prompt nor continue a command are output, dropped.
    """
    regions: list[list[Line]] = []
    n = len(lines)
    starts = range(n) if console else _trigger_lines(lines)
    i = 0
    for start in starts:
        if start < i:
            continue  # already taken as a continuation line
        i = start
        text, host_line, col = lines[i]
        if console:
            prompted = strip_prompt(text, root_prompt=root_prompt)
            if prompted is None:
                continue
            command, offset = prompted
        else:
            command, offset = _strip_lead(text)
            if not has_trigger(command) or not looks_like_command(command):
                continue
        region = [(command, host_line, col + offset)]
        state = _Continuation()
        state.feed(command)
        i += 1
        while i < n and state.open and len(region) < MAX_REGION_LINES:
            text, host_line, col = lines[i]
            ps2 = _PS2.match(text) if console else None
            if ps2 is not None:  # `> `: the continuation prompt of an interactive shell
                text, col = text[ps2.end() :], col + ps2.end()
            region.append((text, host_line, col))
            state.feed(text)
            i += 1
        regions.append(region)
    return regions


def command_snippets(
    lines: Sequence[Line], *, console: bool = False, root_prompt: bool = True, label: str = "command"
) -> list[Snippet]:
    """Shell snippets for the command regions of `lines` (see `command_regions`).

    A console transcript is one shell session, so its commands share one snippet (`export MODEL=...` then
    `vllm serve $MODEL`); the commands of a note are separate snippets, so one stray quote cannot garble
    the commands after it.
    """
    regions = command_regions(lines, console=console, root_prompt=root_prompt)
    if console and regions:
        return [snippet_from_lines("shell", [line for region in regions for line in region], label)]
    return [snippet_from_lines("shell", region, label) for region in regions]


@bounded
def extract_text(text: str, path: str) -> FileFacts:
    """Launches and `/v1/` requests written as commands in a text note; prose yields nothing.

    Context is "docs": a note is advice someone copies, not a running deployment. Variables assigned in a
    note are not published to the project (a note is not configuration), so no `EnvBinding`s.
    """
    facts = FileFacts(path, "text")
    if not might_hold_facts(text) or not any(word in text.lower() for word in _TRIGGER_WORDS):
        return facts  # no trigger word anywhere: no candidate line can exist
    for snippet in command_snippets(host_lines(text), label="command"):
        facts.extend(drop_env(extract_snippet(snippet, path, "docs", keep_errors=False)))
    return facts
