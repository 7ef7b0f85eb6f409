"""Shells inside a command line: `bash -c "..."`, `eval`, `ssh host cmd`, `tmux new 'cmd'`.

The string is read by the shell extractor (`CommandContext.read_shell`) with a position map, so lines
stay true, and with the variables in scope. Nesting stops at `MAX_NESTING` levels.
"""

from __future__ import annotations

from collections.abc import Sequence

from vlint.extract.cmdline.context import CommandContext, skip_options
from vlint.extract.cmdline.heads import mentions_launch, mentions_program
from vlint.extract.cmdline.variables import is_reference
from vlint.extract.positions import PositionMap, Token

# Shells inside shells read at most this deep: `CMD='eval "$CMD"'` would otherwise recurse until Python's
# stack runs out, and no real launch hides under more than a few levels of `bash -c`/`ssh`/`eval`.
MAX_NESTING = 8


def shell_c(argv: list[Token], ctx: CommandContext) -> None:
    """`bash -c SCRIPT` (options before `-c` skipped); `bash script.sh` is a file read on its own."""
    i = 1
    while i < len(argv):
        t = argv[i].text
        if t in ("-o", "+o", "-O", "+O"):
            i += 2
            continue
        if t.startswith("-") and len(t) > 1 and not t.startswith("--"):
            if "c" in t[1:]:
                if i + 1 < len(argv):
                    run_shell_string(argv[i + 1], ctx)
                return
            i += 1
            continue
        if t.startswith("--"):
            i += 1
            continue
        return  # `bash script.sh`: a file we read on its own


def nested_shell(parts: Sequence[Token], ctx: CommandContext) -> None:
    """`eval A B`, `ssh host A B`: the words, joined by spaces, are one script."""
    if not parts:
        return
    if len(parts) == 1:
        run_shell_string(parts[0], ctx)
        return
    texts = [ctx.literal(p) or p.text for p in parts]
    run_shell_string(Token(" ".join(texts), parts[0].location, quoted=True), ctx)


def tmux_command(argv: list[Token], ctx: CommandContext) -> None:
    """`tmux new-session ... CMD` and `tmux send-keys ... CMD Enter`."""
    if len(argv) < 2:
        return
    sub = argv[1].text
    if sub in ("new", "new-session", "new-window", "neww", "split-window", "splitw"):
        j = skip_options(argv, 2, frozenset({"-s", "-n", "-c", "-t", "-x", "-y", "-e", "-F", "-l"}))
        nested_shell(argv[j:], ctx)
    elif sub in ("send-keys", "send"):
        j = skip_options(argv, 2, frozenset({"-t", "-N"}))
        parts = [p for p in argv[j:] if p.text not in ("Enter", "C-m", "KPEnter")]
        nested_shell(parts, ctx)


def run_shell_string(tok: Token, ctx: CommandContext) -> None:
    """Read one word as a script: a quoted string with its own position map, or a variable's value."""
    mapped = ctx.token_maps.get(tok)
    if not tok.quoted and is_reference(tok.text):
        mapped = None  # `eval "$CMD"`: the script is the variable's value
    if mapped is not None:
        text, positions = mapped
    else:
        text = ctx.literal(tok) if not tok.quoted else tok.text
        if text is None:
            return
        loc = tok.location
        positions = PositionMap(((loc.line, loc.column - 1),)
                                + tuple((loc.line + k, 0) for k in range(1, text.count("\n") + 1)))
    if not (mentions_launch(text) or mentions_program(text)) or ctx.nesting >= MAX_NESTING:
        return
    nested = ctx.read_shell(text, tok.location.path, positions=positions, env=ctx.env, context=ctx.context,
                            nesting=ctx.nesting + 1)
    ctx.serves.extend(nested.serves)
    ctx.requests.extend(nested.requests)
    ctx.runs.extend(nested.runs)
