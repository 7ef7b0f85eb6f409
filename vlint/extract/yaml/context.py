"""One YAML document being read (`YamlDoc`): positions, tokens, and the hand-over to shell and argv.

Shell embedded in YAML (`run:`, `sh -c` args, compose `command:`) goes to the shell extractor with a
`PositionMap`; argv lists go to the command-line families. Whatever comes back from masked text is
checked for placeholders: a value holding one is unknown.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

from yaml.error import Mark
from yaml.nodes import Node, ScalarNode

from vlint.extract.positions import PositionMap, Token
from vlint.extract.shell import argv_facts, extract_shell
from vlint.extract.yaml.masking import is_templated
from vlint.extract.yaml.nodes import mapping_items, scalar, seq, text_of
from vlint.facts import EnvBinding, FileFacts, Location, Request, Serve, Value


@dataclass
class YamlDoc:
    """One YAML document being read: where it sits in the file and what it has produced so far."""

    path: str
    lines: list[str]
    line_offset: int
    facts: FileFacts
    handled: set[int] = field(default_factory=set)
    column_offset: int = 0  # a document embedded in a block scalar (a ConfigMap's config.yaml)
    config_name: str | None = None  # that embedded file's name, for `--config` joins
    config_maps: dict[str, dict[str, Value]] = field(default_factory=dict)  # ConfigMaps of this file
    original: str = ""  # the chunk before template masking (same lines; see `masking` for columns)

    def source(self, node: Node) -> str:
        """A node's text as written, template expressions included (masking keeps every line)."""
        return self.original[self._original_offset(node.start_mark):self._original_offset(node.end_mark)]

    def _original_offset(self, mark: Mark) -> int:
        starts = self._original_starts
        if mark.line >= len(starts):
            return len(self.original)
        end = starts[mark.line + 1] - 1 if mark.line + 1 < len(starts) else len(self.original)
        return min(starts[mark.line] + mark.column, end)

    @cached_property
    def _original_starts(self) -> list[int]:
        return [0] + [m.end() for m in re.finditer("\n", self.original)]

    # positions -------------------------------------------------------------------------------------
    def loc(self, node: Node, column_shift: int = 0) -> Location:
        mark = node.start_mark
        return Location(self.path, self.line_offset + mark.line + 1,
                        self.column_offset + mark.column + 1 + column_shift)

    def inner(self, node: Node, offset: int) -> Location:
        """The location `offset` characters into a scalar's value (past an opening quote)."""
        quote = 1 if (getattr(node, "style", None) or "") in ("'", '"') else 0
        return self.loc(node, offset + quote)

    def value(self, node: Node, note: str) -> Value:
        """A Value for a scalar: unresolved when it is (or contains) a template expression."""
        raw = scalar(node)
        if is_templated(raw):
            return Value(None, self.loc(node), note=f"{note}: template expression, not rendered")
        return Value(raw, self.loc(node), note=note)

    def positions(self, node: ScalarNode) -> PositionMap:
        """Where the characters of a scalar's value sit in the file.

        Literal blocks (`|`) keep their lines, so the map is exact. Quoted and plain scalars that span
        lines are folded into one, so everything maps to their first line (near enough for a command).
        """
        line0 = self.line_offset + node.start_mark.line + 1
        style = node.style or ""
        if style in ("|", ">"):
            indent = self.block_indent(node)
            if style == "|":
                return PositionMap.block(line0 + 1, self.column_offset + indent, node.value.count("\n") + 1)
            return PositionMap.single(line0 + 1, self.column_offset + indent)
        shift = 1 if style in ("'", '"') else 0
        return PositionMap.single(line0, self.column_offset + node.start_mark.column + shift)

    def block_indent(self, node: ScalarNode) -> int:
        """The indentation of a block scalar's content (its first non-blank line)."""
        for raw in self.lines[node.start_mark.line + 1:node.end_mark.line + 1]:
            if raw.strip():
                return len(raw) - len(raw.lstrip(" "))
        return 0

    def token(self, node: ScalarNode, text: str | None = None, offset: int = 0, literal: bool = False) -> Token:
        """An argv word for a scalar (or for the part of it that starts `offset` characters in).

        YAML quotes are not shell quotes: Kubernetes and compose still expand `$(VAR)`/`${VAR}` inside
        them, so a word is `quoted` (never expanded) only when the reader is `literal` (vLLM's --config).
        """
        if text is None:
            return Token(node.value, self.loc(node), quoted=literal)
        return Token(text, self.inner(node, offset), quoted=literal)

    # handing over to the shell extractor and the command-line families -----------------------------
    def shell(self, node: ScalarNode, env: Mapping[str, Value] | None = None,
              rewrite: Callable[[str], str] | None = None) -> None:
        """Extract a shell script held in one scalar, with lines mapped into this file."""
        self.handled.add(id(node))
        script = node.value
        if rewrite is not None:
            script = rewrite(script)
        found = extract_shell(script, self.path, positions=self.positions(node), env=env or {}, context="code")
        self.absorb(found)

    def argv(self, tokens: Sequence[Token], env: Mapping[str, Value] | None = None,
             image: str | None = None, k8s_refs: bool = True, anchor: Location | None = None,
             process_env: Mapping[str, Value] | None = None) -> tuple[list[Serve], list[Request]]:
        return argv_facts(list(tokens), env=env or {}, context="code", image=image, k8s_refs=k8s_refs,
                          runs=self.facts.runs, anchor=anchor, process_env=process_env)

    def absorb(self, found: FileFacts) -> None:
        self.facts.serves.extend(_untemplate_serve(s) for s in found.serves)
        self.facts.requests.extend(_untemplate_request(r) for r in found.requests)
        self.facts.env.extend(replace(b, value=untemplate_value(b.value, b.name)) for b in found.env)
        self.facts.errors.extend(found.errors)
        self.facts.runs.extend(found.runs)

    def add(self, serves: Sequence[Serve] = (), requests: Sequence[Request] = ()) -> None:
        self.facts.serves.extend(_untemplate_serve(s) for s in serves)
        self.facts.requests.extend(_untemplate_request(r) for r in requests)


def untemplate_value(value: Value | None, what: str) -> Value | None:
    """A value that came out of masked text: a placeholder inside it means it is not known."""
    if value is not None and is_templated(value.literal):
        return Value(None, value.location, note=f"{what}: template expression, not rendered", env=value.env)
    return value


def _untemplate_serve(serve: Serve) -> Serve:
    names = tuple(n for n in serve.served_names if not is_templated(n))
    return replace(serve, model=untemplate_value(serve.model, "model"), served_names=names,
                   temperature=untemplate_value(serve.temperature, "temperature"))


def _untemplate_request(request: Request) -> Request:
    return replace(request, model=untemplate_value(request.model, "model"),
                   temperature=untemplate_value(request.temperature, "temperature"))


def env_mapping(node: Node | None, doc: YamlDoc, scope: str, bind: bool = True) -> dict[str, Value]:
    """An `env:`-style mapping (or dstack's `- NAME=value` list) as values; expressions stay unresolved."""
    env: dict[str, Value] = {}
    for name, _key, value_node in mapping_items(node):
        raw = scalar(value_node)
        if raw is None or is_templated(raw) or not isinstance(value_node, ScalarNode):
            env[name] = Value(None, doc.loc(value_node), note=f"{scope} env {name} is not a literal")
        else:
            env[name] = Value(str(raw), doc.loc(value_node), note=f"{scope} env {name}")
    for item in seq(node):
        text = text_of(item)
        if text and "=" in text:
            name, _, rest = text.partition("=")
            env[name] = Value(None if is_templated(rest) else rest, doc.inner(item, len(name) + 1),
                              note=f"{scope} env {name}")
    if bind:
        doc.facts.env.extend(EnvBinding(name, value, scope=scope) for name, value in env.items())
    return env
