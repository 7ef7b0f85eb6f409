"""What every command-line family reads and writes while one argv is read: the `CommandContext`.

The families (`vllm`, `docker`, `curl`, `nested` shells) never import the dispatcher nor the shell
extractor: `docker run IMAGE CMD...` hands its command back through `CommandContext.dispatch`, and a
`bash -c "..."` string goes to `CommandContext.read_shell`, which the shell extractor supplies. So the
arrows stay one way: shell -> cmdline.dispatch -> families -> context.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from vlint.extract.cmdline.variables import resolve_text
from vlint.extract.positions import PositionMap, Token
from vlint.facts import FileFacts, Location, Request, ScriptRun, Serve, Value


class ShellReader(Protocol):
    """Reads shell text nested in a command line (`vlint.extract.shell.extract_shell`)."""

    def __call__(self, text: str, path: str, /, *, positions: PositionMap, env: Mapping[str, Value | None],
                 context: str, nesting: int) -> FileFacts: ...


class Dispatch(Protocol):
    """Reads one command's argv (`vlint.extract.cmdline.dispatch`), with the image whose entrypoint runs it."""

    def __call__(self, tokens: list[Token], ctx: CommandContext, *, image: str | None,
                 launcher: str | None) -> None: ...


@dataclass
class CommandContext:
    """One command line being read: the variables in scope, where its facts go, and the two ways a family
    hands work on (a command to dispatch again, a shell string to read)."""

    env: Mapping[str, Value | None]
    context: str
    k8s_refs: bool
    stdin: Token | None
    token_maps: Mapping[Token, tuple[str, PositionMap]]
    read_shell: ShellReader
    run: Dispatch
    nesting: int = 0  # shells this command line is nested in (`bash -c "bash -c '...'"`)
    serves: list[Serve] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    runs: list[ScriptRun] = field(default_factory=list)  # programs run (`python eval.py ...`: cmdline/scripts.py)
    depth: int = 0  # commands handed on inside this one (`docker run IMAGE sudo nohup vllm ...`)

    def value(self, tok: Token) -> Value:
        return resolve_text(tok.text, tok.location, self.env, quoted=tok.quoted, k8s_refs=self.k8s_refs)

    def literal(self, tok: Token) -> str | None:
        lit = self.value(tok).literal
        return None if lit is None else str(lit)

    def dispatch(self, tokens: list[Token], *, image: str | None, launcher: str | None) -> None:
        self.run(tokens, self, image=image, launcher=launcher)


def value_token(tok: Token, offset: int, text: str) -> Token:
    """The part of `tok` that starts `offset` characters in (`--flag=value`'s value), at its own column."""
    loc = tok.location
    return Token(text, Location(loc.path, loc.line, loc.column + offset), tok.quoted)


def base_name(tok: Token) -> str:
    """The command's name without its folder (`/usr/bin/docker` -> `docker`)."""
    return tok.text.rsplit("/", 1)[-1]


def skip_options(tokens: Sequence[Token], i: int, value_opts: frozenset[str]) -> int:
    """Index of the first non-option token from i, skipping the values of value-taking options."""
    while i < len(tokens):
        t = tokens[i].text
        if t == "--":
            return i + 1
        if not t.startswith("-") or t == "-":
            return i
        bundled = len(t) > 2 and not t.startswith("--") and "-" + t[-1] in value_opts  # screen -dmS NAME
        if "=" not in t and (t in value_opts or bundled):
            i += 2
        else:
            i += 1
    return i
