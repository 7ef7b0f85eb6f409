"""YAML extractor: vLLM launches and requests in manifests, compose files, CI workflows and proxy configs.

YAML is read through PyYAML's *safe composer* only (never `yaml.load`): composed nodes keep their start
marks, so every fact points at the line of the model value or command token in the file. Shell embedded
in YAML (`run:`, `sh -c` args, compose `command:`) goes to the shell extractor with a `PositionMap`, and
argv lists go to `facts_from_argv`; this module only knows where each YAML dialect keeps its launch.

Template expressions (`{{ }}`, `{% %}`, `${{ }}`) are masked with same-length placeholders before parsing
so columns stay true; they are never rendered, and a value that holds one is unresolved.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import lru_cache

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from vlint.extract.expansion import bounded, current_budget
from vlint.extract.positions import PositionMap, Token
from vlint.extract.templates import TemplateScanner
from vlint.facts import EnvBinding, FileFacts, Location, ParseError, Request, Serve, Value

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# --- cheap rejection ---------------------------------------------------------------------------------
# Every fact this module emits needs one of these words in the raw text (case-insensitive):
#  * a vLLM launch: `vllm` (command, module, image, KServe backend, kubeai engine) or `model`
#    (`--model`, `model:`, `modelURL`, `served-model-name`, `model_list`, `model_loading_config`,
#    `--model_id`, kubeai `kind: Model`, KServe `model:`/`modelFormat`);
#  * a vLLM config without a model key that still matters: `chat`(-template) or `generation`(-config);
#  * a request: `curl`, `/v1` or `completions` (the endpoint path or the tool);
#  * LiteLLM / Ray / served aliases: `litellm`, `llm_config`, `served`;
#  * an environment binding: `env` (`env:`, `envs:`, `environment:`) or GitLab's `variables:`.
# Template masking only removes text, so it cannot create these words. The one blind spot is a key
# spelled with YAML escapes ("mod\x65l"), which no real configuration does.
_RELEVANT_WORDS = ("vllm", "model", "chat", "generation", "curl", "/v1", "completions", "litellm",
                   "llm_config", "served", "env", "variables")


def _may_matter(text: str) -> bool:
    low = text.lower()
    return any(word in low for word in _RELEVANT_WORDS)


# --- template masking --------------------------------------------------------------------------------
PLACEHOLDER = "\u00a7"  # '§': a plain-scalar character that no real value repeats four times
_PLACEHOLDER_RUN = PLACEHOLDER * 4
_TEMPLATE_PAIRS = (("${{", "}}"), ("{{", "}}"), ("{%", "%}"), ("{#", "#}"))
_MAX_EXPRESSION = 4000  # longer is not one expression but an unclosed brace and what follows it
_ONLY_PLACEHOLDERS_RE = re.compile(rf"^[ \t]*{PLACEHOLDER}[{PLACEHOLDER} \t]*$", re.MULTILINE)


def mask_templates(text: str) -> str:
    """Replace Helm/Jinja/GitHub expressions by same-length placeholders, keeping newlines.

    A line that held nothing but template directives (`{{- if }}`, `{{- end }}`, `{{ toYaml … }}`) is
    blanked: as a placeholder it would be a stray scalar that breaks the YAML structure around it.
    """
    if "{{" not in text and "{%" not in text and "{#" not in text:
        return text

    pieces: list[str] = []
    done = 0
    for start, end in TemplateScanner(text, _TEMPLATE_PAIRS, _MAX_EXPRESSION).spans():
        pieces += [text[done:start], re.sub(r"[^\n]", PLACEHOLDER, text[start:end])]
        done = end
    masked = "".join(pieces) + text[done:]
    return _ONLY_PLACEHOLDERS_RE.sub(lambda m: " " * len(m.group(0)), masked)


def is_templated(text: object) -> bool:
    return isinstance(text, str) and _PLACEHOLDER_RUN in text


# --- documents and nodes -----------------------------------------------------------------------------
_DOC_MARKER_RE = re.compile(r"^(?:---|\.\.\.)(?=[ \t]|$)", re.MULTILINE)
MAX_NODES = 200_000  # nodes per document, an alias counted at each use (a billion-laughs bomb is refused)


_PREAMBLE_RE = re.compile(r"(?:[ \t]*(?:[%#][^\n]*)?(?:\n|\Z))*\Z")


def _documents(text: str) -> Iterator[tuple[int, int, str]]:
    """Split at document markers so one broken document does not hide the others.

    A `---` at column 0 always ends a document (block scalars must be indented), so the split is exact.
    A chunk of only directives and comments (`%YAML 1.2`) stays with the document it introduces.
    Yields (0-based line offset, character offset, chunk text).
    """
    starts = [0] + [m.start() for m in _DOC_MARKER_RE.finditer(text) if m.start() > 0]
    line = 0
    pending_line, pending_start, pending = 0, 0, ""
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        chunk = text[start:end]
        if not pending:
            pending_line, pending_start = line, start
        pending += chunk
        line += chunk.count("\n")
        if end < len(text) and _PREAMBLE_RE.fullmatch(pending):
            continue
        yield pending_line, pending_start, pending
        pending = ""


class _Budget(Exception):
    """A document has more nodes than any launch configuration would (aliases counted at each use)."""


def _check_expanded_size(root: Node) -> None:
    """Raise `_Budget` when the document has more than `MAX_NODES` nodes once every alias is counted at each
    place it is used. The readers below meet an aliased subtree once per use (a `env: *big` in 10,000
    jobs is read 10,000 times), so a small document of aliases would otherwise cost them quadratic time
    and memory; the count itself costs one pass over the distinct nodes (sizes are memoised)."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        children = _children(node)
        if finished:
            on_path.discard(key)
            sizes[key] = 1 + sum(sizes.get(id(child), 1) for child in children)  # a recursive alias: 1
            if sizes[key] > MAX_NODES:
                raise _Budget
            continue
        if key in sizes or key in on_path:
            continue
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


# The safe loader's own scalar builders (they read the node and keep no state, unlike construct_object,
# which caches every node it has built).
_SAFE = yaml.constructor.SafeConstructor
_SCALAR_BUILDERS: dict[str, Callable[[yaml.constructor.SafeConstructor, ScalarNode], object]] = {
    "tag:yaml.org,2002:bool": _SAFE.construct_yaml_bool,
    "tag:yaml.org,2002:int": _SAFE.construct_yaml_int,
    "tag:yaml.org,2002:float": _SAFE.construct_yaml_float,
    "tag:yaml.org,2002:null": _SAFE.construct_yaml_null,
}
_CONSTRUCTOR = _SAFE()


def _scalar(node: Node) -> object:
    """The Python value of a scalar node as the safe loader would build it (bool/int/float/null/str)."""
    if not isinstance(node, ScalarNode):
        return None
    build = _SCALAR_BUILDERS.get(node.tag or "")
    if build is None:
        return node.value
    try:
        return build(_CONSTRUCTOR, node)
    except Exception:  # noqa: BLE001 - an odd literal ("0x", "1_") stays text
        return node.value


def _text(node: Node | None) -> str | None:
    """A scalar's text as written (`true` stays "true"); None for null, absent or non-scalar values."""
    if not isinstance(node, ScalarNode) or _scalar(node) is None:
        return None
    return node.value


def _get(node: Node | None, *keys: str) -> Node | None:
    """The value under the first matching key of a mapping node (keys compared exactly, merges seen)."""
    if not isinstance(node, MappingNode):
        return None
    for key, value in node.value:  # fast path: most mappings have no merge key
        if isinstance(key, ScalarNode):
            if key.value in keys:
                return value
            if key.value == "<<":
                break
    else:
        return None
    for key_text, _key_node, value in _items(node):
        if key_text in keys:
            return value
    return None


_MERGE_BUDGET = 10_000  # merged mappings read per lookup: `<<: [*a, *a, …]` chains cannot blow up


def _items(node: Node | None, _budget: list[int] | None = None) -> list[tuple[str, Node, Node]]:
    """(key, key node, value node) of a mapping, with `<<: *anchor` merge keys applied the YAML way:
    the mapping's own keys win, then the merged mappings in order (compose `x-` templates use this)."""
    if not isinstance(node, MappingNode):
        return []
    budget = _budget if _budget is not None else [_MERGE_BUDGET]
    own: list[tuple[str, Node, Node]] = []
    merged: list[tuple[str, Node, Node]] = []
    for key, value in node.value:
        if not isinstance(key, ScalarNode):
            continue
        if key.value == "<<" and (key.tag or "").endswith(":merge"):
            for source in (value.value if isinstance(value, SequenceNode) else [value]):
                budget[0] -= 1
                if budget[0] < 0:
                    break
                merged.extend(_items(source, budget))
        else:
            own.append((key.value, key, value))
    if merged:
        names = {name for name, _k, _v in own}
        seen: set[str] = set()
        for entry in merged:
            if entry[0] not in names and entry[0] not in seen:
                seen.add(entry[0])
                own.append(entry)
    return own


def _seq(node: Node | None) -> list[Node]:
    return list(node.value) if isinstance(node, SequenceNode) else []


def _to_python(node: Node, budget: list[int], depth: int = 0) -> object:
    """A plain value for a (small) subtree, e.g. a dict that becomes a JSON flag value; bounded."""
    budget[0] -= 1
    if budget[0] < 0 or depth > 50:
        raise _Budget
    if isinstance(node, MappingNode):
        return {str(_scalar(k)): _to_python(v, budget, depth + 1) for k, v in node.value}
    if isinstance(node, SequenceNode):
        return [_to_python(v, budget, depth + 1) for v in node.value]
    return _scalar(node)


# --- the extraction context --------------------------------------------------------------------------
_SHELLS = {"sh", "bash", "dash", "zsh", "ash", "ksh"}
_SHELL_KEYS = {"run", "script", "before_script", "after_script", "setup", "cmds", "commands", "command",
               "cmd", "shell", "source", "entrypoint", "start_command", "exec", "bash", "inline"}
_ARGV_KEYS = {"command", "args", "entrypoint", "cmd"}
_CONTAINER_LIST_KEYS = {"containers", "initContainers", "ephemeralContainers", "sidecars", "steps"}


@dataclass
class _Doc:
    """One YAML document being read: where it sits in the file and what it has produced so far."""

    path: str
    lines: list[str]
    line_offset: int
    facts: FileFacts
    handled: set[int] = field(default_factory=set)
    column_offset: int = 0  # a document embedded in a block scalar (a ConfigMap's config.yaml)
    config_name: str | None = None  # that embedded file's name, for `--config` joins
    config_maps: dict[str, dict[str, Value]] = field(default_factory=dict)  # ConfigMaps of this file
    original: str = ""  # the chunk before template masking (same length, same offsets)

    def source(self, node: Node) -> str:
        """A node's text as written, template expressions included (masking keeps every offset)."""
        return self.original[node.start_mark.index:node.end_mark.index]

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
        raw = _scalar(node)
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

    # handing over to the shell and argv analysers --------------------------------------------------
    def shell(self, node: ScalarNode, env: Mapping[str, Value] | None = None,
              rewrite: Callable[[str], str] | None = None) -> None:
        """Extract a shell script held in one scalar, with lines mapped into this file."""
        self.handled.add(id(node))
        script = node.value
        if rewrite is not None:
            script = rewrite(script)
        from vlint.extract.shell import extract_shell

        found = extract_shell(script, self.path, positions=self.positions(node), env=dict(env or {}),
                              context="code")
        self.absorb(found)

    def argv(self, tokens: Sequence[Token], env: Mapping[str, Value] | None = None,
             image: str | None = None, k8s_refs: bool = True) -> tuple[list[Serve], list[Request]]:
        from vlint.extract.shell import argv_facts

        return argv_facts(list(tokens), env=dict(env or {}), context="code", image=image,
                               k8s_refs=k8s_refs)

    def absorb(self, found: FileFacts) -> None:
        self.facts.serves.extend(_untemplate_serve(s) for s in found.serves)
        self.facts.requests.extend(_untemplate_request(r) for r in found.requests)
        self.facts.env.extend(replace(b, value=_untemplate_value(b.value, b.name)) for b in found.env)
        self.facts.errors.extend(found.errors)

    def add(self, serves: Sequence[Serve] = (), requests: Sequence[Request] = ()) -> None:
        self.facts.serves.extend(_untemplate_serve(s) for s in serves)
        self.facts.requests.extend(_untemplate_request(r) for r in requests)


def _untemplate_value(value: Value | None, what: str) -> Value | None:
    """A value that came out of masked text: a placeholder inside it means it is not known."""
    if value is not None and is_templated(value.literal):
        return Value(None, value.location, note=f"{what}: template expression, not rendered", env=value.env)
    return value


def _untemplate_serve(serve: Serve) -> Serve:
    names = tuple(n for n in serve.served_names if not is_templated(n))
    return replace(serve, model=_untemplate_value(serve.model, "model"), served_names=names,
                   temperature=_untemplate_value(serve.temperature, "temperature"))


def _untemplate_request(request: Request) -> Request:
    return replace(request, model=_untemplate_value(request.model, "model"),
                   temperature=_untemplate_value(request.temperature, "temperature"))


# --- argv helpers ------------------------------------------------------------------------------------
def _shell_script_index(texts: Sequence[str]) -> int | None:
    """Index of the script in `sh -c SCRIPT ...` / `bash -lc SCRIPT`, or None if argv is not that."""
    if not texts:
        return None
    head = texts[0].rsplit("/", 1)[-1]
    if head == "env" and len(texts) > 1:  # `/usr/bin/env bash -c …`
        inner = _shell_script_index(texts[1:])
        return None if inner is None else inner + 1
    if head not in _SHELLS:
        return None
    for i, word in enumerate(texts[1:], start=1):
        if word.startswith("-") and not word.startswith("--") and "c" in word[1:]:
            return i + 1 if i + 1 < len(texts) else None
        if not word.startswith("-"):
            return None
    return None


def _split_words(node: ScalarNode, doc: _Doc) -> list[Token]:
    """Split a one-string command the way compose does (POSIX shlex rules), keeping each word's column.

    Columns are exact for single-line plain and quoted scalars; folded multi-line values map to their
    first line.
    """
    text = node.value
    shift = 1 if (node.style or "") in ("'", '"') else 0
    words: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " \t\n":
            i += 1
        if i >= n:
            break
        start, buf = i, []
        while i < n and text[i] not in " \t\n":
            ch = text[i]
            if ch == "'":
                end = text.find("'", i + 1)
                end = n if end < 0 else end
                buf.append(text[i + 1:end])
                i = end + 1
            elif ch == '"':
                i += 1
                while i < n and text[i] != '"':
                    if text[i] == "\\" and i + 1 < n and text[i + 1] in '"\\$`\n':
                        i += 1
                    buf.append(text[i])
                    i += 1
                i += 1
            elif ch == "\\" and i + 1 < n:
                buf.append(text[i + 1])
                i += 2
            else:
                buf.append(ch)
                i += 1
        column = start if text.rfind("\n", 0, start) < 0 else 0
        words.append(Token("".join(buf), doc.loc(node, shift + column)))  # compose ignores shell quoting
    return words


def _tokens(node: Node | None, doc: _Doc) -> list[tuple[Token, ScalarNode | None]]:
    """argv words from a YAML list (block or flow), each with its item node; a one-string value is
    split like compose does, and its words carry no node of their own (None)."""
    out: list[tuple[Token, ScalarNode | None]] = []
    if isinstance(node, SequenceNode):
        for item in node.value:
            if isinstance(item, ScalarNode) and _scalar(item) is not None:
                out.append((doc.token(item), item))
    elif isinstance(node, ScalarNode) and _text(node):
        out.extend((tok, None) for tok in _split_words(node, doc))
    return out


def _run_argv(doc: _Doc, pairs: list[tuple[Token, ScalarNode | None]], env: Mapping[str, Value],
              image: str | None, shell_rewrite: Callable[[str], str] | None = None, k8s_refs: bool = True) -> None:
    """An argv from YAML: `sh -c SCRIPT` goes to the shell extractor, anything else to the argv analyser."""
    texts = [tok.text for tok, _ in pairs]
    index = _shell_script_index(texts)
    if index is not None:
        tok, node = pairs[index]
        if node is not None:
            doc.shell(node, env, rewrite=shell_rewrite)
        else:  # the script was one word of a split string: map it to the word's own position
            from vlint.extract.shell import extract_shell

            script = shell_rewrite(tok.text) if shell_rewrite else tok.text
            loc = tok.location
            doc.absorb(extract_shell(script, doc.path, positions=PositionMap.single(loc.line, loc.column - 1),
                                     env=dict(env), context="code"))
        return
    if not pairs:
        return
    serves, requests = doc.argv([tok for tok, _ in pairs], env, image, k8s_refs=k8s_refs)
    doc.add(serves, requests)


# --- Kubernetes containers ---------------------------------------------------------------------------
_K8S_VAR_RE = re.compile(r"(?<!\$)\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def _k8s_env(container: Node, doc: _Doc, cname: str) -> dict[str, Value]:
    """A container's environment: `envFrom` ConfigMaps first, then `env:` entries, which win.

    `valueFrom.configMapKeyRef` resolves when that ConfigMap is in the same file; secrets, field refs and
    ConfigMaps defined elsewhere stay unresolved (and are not guessed from other variables).
    """
    env: dict[str, Value] = {}
    for source in _seq(_get(container, "envFrom")):
        data = doc.config_maps.get(_text(_get(_get(source, "configMapRef"), "name")) or "", {})
        prefix = _text(_get(source, "prefix")) or ""
        env.update({prefix + key: value for key, value in data.items()})
    for item in _seq(_get(container, "env")):
        name = _text(_get(item, "name"))
        if not name:
            continue
        note = f"env {name} of container {cname}"
        literal = _get(item, "value")
        if isinstance(literal, ScalarNode):
            value = doc.value(literal, note)
            if value.literal is not None:
                value = replace(value, literal=str(value.literal))
        else:
            ref = _get(_get(item, "valueFrom"), "configMapKeyRef")
            found = doc.config_maps.get(_text(_get(ref, "name")) or "", {}).get(_text(_get(ref, "key")) or "")
            if found is not None:
                value = replace(found, note=f"{note}, {found.note}")
            else:
                value = Value(None, doc.loc(item), note=f"{note} comes from valueFrom, not known statically")
        env[name] = value
        doc.facts.env.append(EnvBinding(name, value, scope=f"container:{cname}"))
    return env


def _collect_config_map(root: Node, doc: _Doc) -> None:
    """Remember a ConfigMap's literal data so containers in the same file can resolve references to it."""
    if not isinstance(root, MappingNode) or _text(_get(root, "kind")) != "ConfigMap":
        return
    name = _text(_get(_get(root, "metadata"), "name"))
    if not name:
        return
    data: dict[str, Value] = {}
    for key, _key_node, value in _items(_get(root, "data")):
        raw = _scalar(value)
        if isinstance(value, ScalarNode) and raw is not None and not is_templated(raw):
            data[key] = Value(str(raw), doc.loc(value), note=f"ConfigMap {name} key {key}")
    doc.config_maps[name] = data


def _k8s_expand(env: Mapping[str, Value]) -> Callable[[str], str]:
    """Kubernetes expands `$(VAR)` from the container env before anything runs.

    In shell text `$(VAR)` becomes `${VAR}` (same length, so columns stay true) and the shell extractor
    resolves it from `env` with provenance; undefined names stay command substitutions, as in the kubelet.
    """

    def rewrite(text: str) -> str:
        return _K8S_VAR_RE.sub(lambda m: "${" + m.group(1) + "}" if m.group(1) in env else m.group(0), text)

    return rewrite


def _container(node: MappingNode, doc: _Doc) -> None:
    cname = _text(_get(node, "name")) or "container"
    image = _text(_get(node, "image"))
    env = _k8s_env(node, doc, cname)
    command, args = _get(node, "command"), _get(node, "args")
    for part in (command, args):
        if part is not None:
            doc.handled.add(id(part))
            doc.handled.update(id(item) for item in _seq(part))
    pairs = _tokens(command, doc) + _tokens(args, doc)
    if not pairs:
        return
    image = None if is_templated(image) else image
    _run_argv(doc, pairs, env, image if command is None else None, shell_rewrite=_k8s_expand(env))


# --- docker compose ----------------------------------------------------------------------------------
_COMPOSE_VAR_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def _compose_value(text: str, location: Location, note: str) -> Value:
    """An `environment:` value after compose interpolation: `${VAR:-d}` stays a reference with its default."""
    whole = _COMPOSE_VAR_RE.fullmatch(text)
    if whole:
        name, op, default = whole.group(1) or whole.group(4), whole.group(2), whole.group(3)
        has_default = op in ("-", ":-") and default is not None
        return Value(default if has_default else None, location, note=f"{note} ({text})", env=name,
                     is_default=has_default)
    if is_templated(text):
        return Value(None, location, note=f"{note}: template expression")
    return Value(_COMPOSE_VAR_RE.sub(_compose_default, text), location, note=note)


def _compose_default(m: re.Match[str]) -> str:
    """`${VAR:-default}` inside a longer word: the default (what compose uses when VAR is unset)."""
    return m.group(3) if m.group(2) in ("-", ":-") and m.group(3) is not None else m.group(0)


def _compose_environment(service: Node, doc: _Doc, sname: str) -> None:
    node = _get(service, "environment")
    note = f"environment of service {sname}"
    entries: list[tuple[str, Value]] = []
    for name, _key, value_node in _items(node):
        raw = _scalar(value_node)
        if raw is None or not isinstance(value_node, ScalarNode):
            entries.append((name, Value(None, doc.loc(value_node), note=f"{note}: from host", env=name)))
        else:
            entries.append((name, _compose_value(str(raw), doc.loc(value_node), f"{name} {note}")))
    for item in _seq(node):
        text = _text(item)
        if not text:
            continue
        name, sep, rest = text.partition("=")
        if sep:
            entries.append((name, _compose_value(rest, doc.inner(item, len(name) + 1), f"{name} {note}")))
        else:
            entries.append((name, Value(None, doc.loc(item), note=f"{note}: from host", env=name)))
    for name, value in entries:
        doc.facts.env.append(EnvBinding(name.strip(), value, scope=f"compose:{sname}"))


def _compose_service(sname: str, service: Node, doc: _Doc) -> None:
    _compose_environment(service, doc, sname)
    image = _text(_get(service, "image"))
    if image and "$" in image:
        image = _COMPOSE_VAR_RE.sub(_compose_default, image)
    entrypoint, command = _get(service, "entrypoint"), _get(service, "command")
    for part in (entrypoint, command):
        if part is not None:
            doc.handled.add(id(part))
            doc.handled.update(id(item) for item in _seq(part))
    # Compose interpolates `${VAR:-default}` from the host environment and `.env`, not from the
    # service's `environment:`: an empty env leaves each reference (with its default) to the linker.
    pairs = _tokens(entrypoint, doc) + _tokens(command, doc)
    if pairs:
        _run_argv(doc, pairs, {}, None if entrypoint is not None else image, k8s_refs=False)


# --- GitHub Actions ----------------------------------------------------------------------------------
def _env_mapping(node: Node | None, doc: _Doc, scope: str, bind: bool = True) -> dict[str, Value]:
    """An `env:`-style mapping (or dstack's `- NAME=value` list) as values; expressions stay unresolved."""
    env: dict[str, Value] = {}
    for name, _key, value_node in _items(node):
        raw = _scalar(value_node)
        if raw is None or is_templated(raw) or not isinstance(value_node, ScalarNode):
            env[name] = Value(None, doc.loc(value_node), note=f"{scope} env {name} is not a literal")
        else:
            env[name] = Value(str(raw), doc.loc(value_node), note=f"{scope} env {name}")
    for item in _seq(node):
        text = _text(item)
        if text and "=" in text:
            name, _, rest = text.partition("=")
            env[name] = Value(None if is_templated(rest) else rest, doc.inner(item, len(name) + 1),
                              note=f"{scope} env {name}")
    if bind:
        doc.facts.env.extend(EnvBinding(name, value, scope=scope) for name, value in env.items())
    return env


_GH_INPUT_RE = re.compile(r"(?:github\.event\.)?inputs\.([A-Za-z0-9_-]+)")
_MAX_MATRIX_RUNS = 16


def _workflow_inputs(root: MappingNode, doc: _Doc) -> dict[str, Value]:
    """Defaults of `workflow_dispatch`/`workflow_call` inputs (what `${{ inputs.x }}` is when run by hand)."""
    inputs: dict[str, Value] = {}
    trigger = _get(root, "on")
    for event in ("workflow_dispatch", "workflow_call"):
        for name, _k, spec in _items(_get(_get(trigger, event), "inputs")):
            default = _get(spec, "default")
            if isinstance(default, ScalarNode) and _scalar(default) is not None and not is_templated(default.value):
                inputs[name] = Value(str(_scalar(default)), doc.loc(default), note=f"default of input {name}")
    return inputs


def _matrix(job: Node | None) -> dict[str, list[Value]]:
    """`strategy.matrix` axes whose values are scalars (each value is one run of the job)."""
    axes: dict[str, list[Value]] = {}
    for name, _k, values in _items(_get(_get(job, "strategy"), "matrix")):
        items = [v for v in _seq(values) if isinstance(v, ScalarNode) and _scalar(v) is not None]
        if items and len(items) == len(_seq(values)):
            axes[name] = [Value(str(_scalar(v)), None, note=f"matrix.{name}") for v in items]
    return axes


def _expression_runs(run: ScalarNode, doc: _Doc, env: Mapping[str, Value], inputs: Mapping[str, Value],
                     matrix: Mapping[str, list[Value]]) -> list[str]:
    """The script once per matrix combination, with the `${{ }}` expressions we can know filled in.

    GitHub substitutes expressions into the text before the shell runs (inside quotes too), so known
    values replace the placeholders literally; unknown ones stay placeholders (unresolved).
    """
    source = doc.source(run)
    expressions = [source[start + 3:end - 2].strip() for start, end in
                   TemplateScanner(source, _TEMPLATE_PAIRS, _MAX_EXPRESSION).spans() if source.startswith("${{", start)]
    runs = list(re.finditer(f"{PLACEHOLDER}+", run.value))
    if not expressions or len(expressions) != len(runs):
        return [run.value]

    def fill(expression: str, assignment: Mapping[str, str]) -> str | None:
        input_ref = _GH_INPUT_RE.fullmatch(expression)
        if expression.startswith("matrix."):
            return assignment.get(expression[7:])
        bound = env.get(expression[4:]) if expression.startswith("env.") else None
        if bound is not None and bound.literal is not None:
            return str(bound.literal)
        if input_ref and input_ref.group(1) in inputs:
            return str(inputs[input_ref.group(1)].literal)
        return None

    # One matrix axis has one value per run, wherever it is used: combine axes, not occurrences.
    axes = list(dict.fromkeys(e[7:] for e in expressions if e.startswith("matrix.") and e[7:] in matrix))
    combos = itertools.islice(itertools.product(*(matrix[a] for a in axes)), _MAX_MATRIX_RUNS)
    scripts = []
    budget = current_budget()
    for combo in combos:
        assignment = {axis: str(value.literal) for axis, value in zip(axes, combo, strict=True)}
        pieces, prev = [], 0
        for expression, match in zip(expressions, runs, strict=True):
            value = fill(expression, assignment)
            pieces += [run.value[prev:match.start()], match.group(0) if value is None else value]
            prev = match.end()
        pieces.append(run.value[prev:])
        # One `env:` value used in every expression of a long script multiplies: charged like any expansion.
        if budget.refusal(sum(map(len, pieces)), "a `run:` script with its ${{ }} expressions filled",
                          doc.loc(run)) is not None:
            scripts.append(run.value)  # the expressions stay unknown
            continue
        scripts.append("".join(pieces))
    return scripts


def _workflow(root: MappingNode, doc: _Doc, steps_of: list[tuple[str, Node, Node | None, Node | None]]) -> None:
    top = _env_mapping(_get(root, "env"), doc, "workflow")
    inputs = _workflow_inputs(root, doc)
    for job_name, steps, job_env_node, job in steps_of:
        job_env = {**top, **_env_mapping(job_env_node, doc, f"job {job_name}")}
        matrix = _matrix(job)
        for step in _seq(steps):
            run = _get(step, "run")
            if not isinstance(run, ScalarNode) or not _text(run):
                continue
            shell = (_text(_get(step, "shell")) or "bash").split()[0]
            if shell not in ("bash", "sh"):
                doc.handled.add(id(run))
                continue
            env = {**job_env, **_env_mapping(_get(step, "env"), doc, f"job {job_name} step", bind=False)}
            for script in dict.fromkeys(_expression_runs(run, doc, env, inputs, matrix)):
                doc.shell(run, env, rewrite=lambda _masked, script=script: script)


# --- vLLM --config files -----------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _vllm_flags() -> frozenset[str]:
    """Every vLLM serve flag name (current and legacy, as in `rules/vllm_flags.yaml`), without dashes."""
    from vlint.extract.cmdline.flags import iter_flag_names

    return frozenset(name.lstrip("-") for name in iter_flag_names()) | {"model", "config"}


# Keys that many non-vLLM configs also have: alone they do not make a file a vLLM config.
_GENERIC_KEYS = frozenset("model host port seed dtype device tokenizer revision quantization config api-key "
                          "root-path runner convert task middleware headless grpc".split())


def _flag_name(key: str) -> str:
    return key.strip().lower().replace("_", "-")


def _is_vllm_config(root: MappingNode) -> bool:
    """A top level that reads as `vllm serve --config`: mostly vLLM flag names, at least one specific one.

    A weather station's `model:`/`temperature:` or a training recipe's `model:`/`learning_rate:` fail the
    share test; `temperature` is not a vLLM flag at all.
    """
    keys = [_flag_name(k) for k, _kn, _v in _items(root)]
    if not keys:
        return False
    flags = _vllm_flags()
    known = [k for k in keys if k in flags or (k.startswith("no-") and k[3:] in flags)]
    specific = [k for k in known if k not in _GENERIC_KEYS]
    return bool(specific) and len(known) * 4 >= len(keys) * 3


def _config_tokens(pairs: list[tuple[str, Node, Node]], doc: _Doc) -> list[Token]:
    """`--config` semantics: true → bare flag, false/empty/null dropped, list → nargs, dict → JSON."""
    tokens: list[Token] = []
    for key, key_node, value_node in pairs:
        flag = Token("--" + _flag_name(key), doc.loc(key_node))
        if isinstance(value_node, SequenceNode):
            items = [item for item in value_node.value if isinstance(item, ScalarNode)]
            if items:
                tokens.append(flag)
                tokens.extend(doc.token(item, literal=True) for item in items)
        elif isinstance(value_node, MappingNode):
            data = _to_python(value_node, [10_000])
            tokens.extend([flag, Token(json.dumps(data), doc.loc(value_node), quoted=True)])
        else:
            value = _scalar(value_node)
            if value is True:
                tokens.append(flag)
            elif value is not None and value is not False:
                tokens.extend([flag, doc.token(value_node, literal=True)])  # type: ignore[arg-type]
    return tokens


def _serves_from_flags(doc: _Doc, tokens: list[Token], anchor: Location, env: Mapping[str, Value] | None = None,
                       image: str | None = None) -> list[Serve]:
    """Run flag tokens through the argv analyser as `vllm serve …` so every flag means what vLLM means."""
    head = [Token("vllm", anchor), Token("serve", anchor)]
    serves, _requests = doc.argv(head + tokens, env, image)
    return serves


def _vllm_config(root: MappingNode, doc: _Doc) -> None:
    pairs = _items(root)
    model_node = next((v for k, _kn, v in pairs if _flag_name(k) == "model"), None)
    anchor = doc.loc(model_node) if model_node is not None else doc.loc(root)
    for serve in _serves_from_flags(doc, _config_tokens(pairs, doc), anchor)[:1]:
        model = serve.model if model_node is not None else None
        if model is None and not (serve.served_names or serve.chat_template or serve.temperature
                                  or serve.generation_config):
            return  # a partial config with nothing a rule could use
        doc.add([replace(serve, location=anchor, model=model, launcher="vllm-config",
                         config_file=doc.config_name)])


# --- vLLM production-stack Helm values ---------------------------------------------------------------
def _production_stack(spec: Node, doc: _Doc) -> None:
    repository = _text(_get(spec, "repository"))
    for model_spec in _seq(_get(spec, "modelSpec")):
        url = _get(model_spec, "modelURL")
        if not isinstance(url, ScalarNode):
            continue
        name = _text(_get(model_spec, "name"))
        repo = _text(_get(model_spec, "repository")) or repository
        tag = _text(_get(model_spec, "tag"))
        image = f"{repo}:{tag}" if repo and tag else repo
        tokens = [doc.token(url)]
        config = _get(model_spec, "vllmConfig")
        tokens += [tok for tok, _node in _tokens(_get(config, "extraArgs"), doc)]
        template = _get(model_spec, "chatTemplate")
        if isinstance(template, ScalarNode) and _text(template):
            tokens += [Token("--chat-template", doc.loc(template)), doc.token(template)]
        for serve in _serves_from_flags(doc, tokens, doc.loc(url), image=image if not is_templated(image) else None)[:1]:
            names = serve.served_names + ((name,) if name and name not in serve.served_names else ())
            doc.add([replace(serve, location=doc.loc(url), launcher="helm", served_names=names,
                             model=doc.value(url, "modelSpec.modelURL"))])


# --- KServe InferenceService -------------------------------------------------------------------------
# KServe's own server flags (normalised with `_`); everything else is handed on to the vLLM engine.
_KSERVE_VALUED = {"model_id", "model_name", "model_dir", "backend", "task", "http_port", "grpc_port",
                  "workers", "predictor_host", "max_length", "dtype"}
_KSERVE_SWITCHES = {"return_probabilities", "disable_lower_case", "disable_special_tokens"}


def _split_flag(tok: Token) -> tuple[str, Token | None]:
    flag, eq, rest = tok.text.partition("=")
    if not eq:
        return tok.text, None
    loc = replace(tok.location, column=tok.location.column + len(flag) + 1)
    return flag, Token(rest, loc, quoted=tok.quoted)


def _kserve_args(args: list[Token]) -> tuple[dict[str, Token], list[Token]]:
    """Split an InferenceService's args into KServe's own flags and the vLLM engine flags."""
    values: dict[str, Token] = {}
    passthrough: list[Token] = []
    i = 0
    while i < len(args):
        flag, attached = _split_flag(args[i])
        name = flag[2:].replace("-", "_") if flag.startswith("--") else ""
        if name in _KSERVE_VALUED:
            if attached is None and i + 1 < len(args):
                attached, i = args[i + 1], i + 1
            if attached is not None:
                values[name] = attached
        elif name not in _KSERVE_SWITCHES:
            passthrough.append(args[i])
        i += 1
    return values, passthrough


def _kserve(root: MappingNode, doc: _Doc) -> None:
    """An InferenceService: the `model:` (or older `huggingface:`) predictor, or a custom container that
    runs KServe's Hugging Face server (`--model_id`)."""
    predictor = _get(_get(root, "spec"), "predictor")
    model = _get(predictor, "model") or _get(predictor, "huggingface")
    if isinstance(model, MappingNode):
        fmt = _text(_get(_get(model, "modelFormat"), "name")) or ""
        _kserve_predictor(model, root, doc, huggingface="huggingface" in fmt.lower())
    for container in _seq(_get(predictor, "containers")):
        if isinstance(container, MappingNode):
            _kserve_predictor(container, root, doc, huggingface="huggingface" in (
                _text(_get(container, "image")) or "").lower())


def _kserve_predictor(spec: MappingNode, root: MappingNode, doc: _Doc, huggingface: bool) -> None:
    args = [tok for tok, _node in _tokens(_get(spec, "command"), doc) + _tokens(_get(spec, "args"), doc)]
    values, passthrough = _kserve_args(args)
    backend = values.get("backend")
    if not (huggingface or "model_id" in values or (backend is not None and backend.text == "vllm")):
        return
    model_tok = values.get("model_id")
    storage = _get(spec, "storageUri", "uri")
    if model_tok is None and isinstance(storage, ScalarNode) and _text(storage):
        uri = storage.value
        text = uri[len("hf://"):] if uri.startswith("hf://") else uri
        model_tok = doc.token(storage, text=text, offset=len(uri) - len(text))
    if model_tok is None:
        return
    doc.handled.update({id(_get(spec, "args")), id(_get(spec, "command"))})
    name_tok = values.get("model_name")
    served = name_tok.text if name_tok else _text(_get(_get(root, "metadata"), "name"))
    env = _k8s_env(spec, doc, _text(_get(spec, "name")) or "kserve-container")
    # Engine flags start at the first option; words before it are the server command (`python -m …`).
    first = next((i for i, tok in enumerate(passthrough) if tok.text.startswith("--")), len(passthrough))
    tokens = [Token("--model", model_tok.location), model_tok] + passthrough[first:]
    # The Hugging Face backend applies the model's chat template too, so it is not a nominal launch.
    for serve in _serves_from_flags(doc, tokens, model_tok.location, env=env)[:1]:
        doc.add([replace(serve, location=model_tok.location, launcher="kserve",
                         served_names=(served,) if served else serve.served_names)])


# --- kubeai Model ------------------------------------------------------------------------------------
def _kubeai(root: MappingNode, doc: _Doc) -> None:
    spec = _get(root, "spec")
    url = _get(spec, "url")
    if not isinstance(url, ScalarNode) or not _text(url):
        return
    scheme, sep, rest = url.value.partition("://")
    model_text = rest if sep else url.value
    model_tok = doc.token(url, text=model_text, offset=len(url.value) - len(model_text))
    engine = _text(_get(spec, "engine")) or "VLLM"
    args = [tok for tok, _node in _tokens(_get(spec, "args"), doc)]
    doc.handled.add(id(_get(spec, "args")))
    name = _text(_get(_get(root, "metadata"), "name"))
    for serve in _serves_from_flags(doc, [Token("--model", model_tok.location), model_tok] + args,
                                    model_tok.location)[:1]:
        nominal = serve.nominal
        if engine.lower() != "vllm":
            nominal = f"kubeai engine {engine} (not vLLM)"
        elif scheme and scheme not in ("hf", "s3", "gs", "oss", "pvc"):
            nominal = f"kubeai {scheme}:// model"
        doc.add([replace(serve, location=model_tok.location, launcher="kubeai",
                         served_names=(name,) if name else serve.served_names, nominal=nominal)])


# --- Ray Serve LLM -----------------------------------------------------------------------------------
def _ray_llm_config(config: MappingNode, doc: _Doc) -> None:
    loading = _get(config, "model_loading_config")
    model_id = _get(loading, "model_id")
    source = _get(loading, "model_source")
    model_node = source if isinstance(source, ScalarNode) and _text(source) else model_id
    if not isinstance(model_node, ScalarNode) or not _text(model_node):
        return
    engine = _items(_get(config, "engine_kwargs"))
    tokens = [Token("--model", doc.loc(model_node)), doc.token(model_node)]
    tokens += _config_tokens([p for p in engine if _flag_name(p[0]) != "model"], doc)
    served = _text(model_id)
    for serve in _serves_from_flags(doc, tokens, doc.loc(model_node))[:1]:
        doc.add([replace(serve, location=doc.loc(model_node), launcher="ray",
                         served_names=(served,) if served else serve.served_names)])


# --- LiteLLM proxy -----------------------------------------------------------------------------------
# Providers that send OpenAI-style requests to an OpenAI-compatible server (vLLM among them).
_LITELLM_PROVIDERS = {"hosted_vllm/": True, "openai/": True, "vllm/": True, "custom_openai/": True,
                      "text-completion-openai/": False}


def _litellm(model_list: Node, doc: _Doc) -> None:
    for entry in _seq(model_list):
        alias = _text(_get(entry, "model_name"))
        params = _get(entry, "litellm_params")
        model_node = _get(params, "model")
        if not isinstance(model_node, ScalarNode) or not _text(model_node) or not alias or "*" in alias:
            continue
        raw = model_node.value
        prefix = next((p for p in _LITELLM_PROVIDERS if raw.startswith(p)), None)
        if prefix is None:
            continue
        name = raw[len(prefix):]
        if name.startswith("os.environ/"):
            var = name[len("os.environ/"):]
            model = Value(None, doc.loc(model_node), note=f"litellm_params.model from env {var}", env=var)
        elif is_templated(name):
            model = Value(None, doc.loc(model_node), note="litellm_params.model: template expression")
        else:
            model = Value(name, doc.inner(model_node, len(prefix)),
                          note=f"litellm_params.model (provider prefix {prefix!r} stripped)")
        temp_node = _get(params, "temperature")
        temperature = doc.value(temp_node, "litellm_params.temperature") if isinstance(
            temp_node, ScalarNode) else None
        doc.add([Serve(location=doc.loc(model_node), model=model, launcher="litellm", served_names=(alias,),
                       temperature=temperature, forwards_chat=_LITELLM_PROVIDERS[prefix])])


# --- the generic walk --------------------------------------------------------------------------------
def _walk(root: Node) -> Iterator[tuple[str | None, Node, Node | None]]:
    """(key, node, parent) for every distinct node, each once: aliases are shared nodes, so a recursive
    alias cannot loop (the document's size was checked by `_check_expanded_size`)."""
    seen: set[int] = set()
    stack: list[tuple[str | None, Node, Node | None]] = [(None, root, None)]
    while stack:
        key, node, parent = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield key, node, parent
        if isinstance(node, MappingNode):
            for k, v in reversed(node.value):
                stack.append((k.value if isinstance(k, ScalarNode) else None, v, node))
        elif isinstance(node, SequenceNode):
            for item in reversed(node.value):
                stack.append((key, item, node))


def _doc_env(root: Node, doc: _Doc) -> dict[str, Value]:
    """Top-level variables a recipe's scripts see: SkyPilot `envs:`, dstack `env:`, GitLab `variables:`."""
    env: dict[str, Value] = {}
    for key in ("envs", "env", "variables"):
        node = _get(root, key)
        if node is not None:
            env.update(_env_mapping(node, doc, key))
    return env


def _looks_like_shell(text: str) -> bool:
    from vlint.extract.cmdline.heads import mentions_launch

    return mentions_launch(text)


def _is_argv_list(node: SequenceNode) -> bool:
    """`[vllm, serve, X]` (one word per item) as opposed to a list of scripts (`- vllm serve X`)."""
    items = node.value
    return bool(items) and all(isinstance(i, ScalarNode) for i in items) and not any(
        ch in items[0].value for ch in " \t\n")


def _sibling_image(parent: Node | None) -> str | None:
    """The image next to a command list: `image: x` or a Helm-style `repository:`/`tag:` pair."""
    image = _text(_get(parent, "image"))
    if image is None:
        repo, tag = _text(_get(parent, "repository")), _text(_get(parent, "tag"))
        image = f"{repo}:{tag}" if repo and tag else repo
    return None if is_templated(image) else image


def _generic(root: Node, doc: _Doc, env: Mapping[str, Value]) -> None:
    """Launches wherever they sit: container specs in any workload shape (Deployment, Job, Argo,
    Knative, LeaderWorkerSet…), argv lists, shell scripts under script-like keys, Ray LLM configs."""
    containers: list[MappingNode] = []
    argv_lists: list[tuple[SequenceNode, Node | None]] = []
    scripts: list[ScalarNode] = []
    ray_configs: list[MappingNode] = []
    argv_ids: set[int] = set()
    for key, node, parent in _walk(root):
        if isinstance(node, MappingNode):
            if key in _CONTAINER_LIST_KEYS and isinstance(parent, (SequenceNode, MappingNode)) and (
                    _get(node, "image") is not None or _get(node, "command") is not None
                    or _get(node, "args") is not None):
                containers.append(node)
            elif key == "container" and _get(node, "image") is not None:
                containers.append(node)
            if _get(node, "model_loading_config") is not None:
                ray_configs.append(node)
        elif isinstance(node, SequenceNode) and key in _ARGV_KEYS and _is_argv_list(node):
            argv_lists.append((node, parent))
            argv_ids.add(id(node))
        elif isinstance(node, ScalarNode) and key in _SHELL_KEYS and id(parent) not in argv_ids \
                and _looks_like_shell(node.value):
            scripts.append(node)
    for container in containers:
        _container(container, doc)
    for config in ray_configs:
        _ray_llm_config(config, doc)
    for argv, parent in argv_lists:
        if id(argv) not in doc.handled:
            doc.handled.add(id(argv))
            doc.handled.update(id(item) for item in argv.value)
            _run_argv(doc, _tokens(argv, doc), env, _sibling_image(parent))
    for script in scripts:
        if id(script) not in doc.handled and not (script.tag or "").endswith((":int", ":float", ":bool")):
            doc.shell(script, env)


# --- dispatch ----------------------------------------------------------------------------------------
def _workflow_jobs(root: MappingNode) -> list[tuple[str, Node, Node | None, Node | None]]:
    jobs = [(name, _get(job, "steps"), _get(job, "env"), job) for name, _k, job in _items(_get(root, "jobs"))
            if isinstance(_get(job, "steps"), SequenceNode)]
    runs = _get(root, "runs")
    if isinstance(_get(runs, "steps"), SequenceNode):  # a composite action
        jobs.append(("composite", _get(runs, "steps"), None, None))
    return jobs


def _config_map(root: MappingNode, doc: _Doc) -> None:
    """A ConfigMap's `config.yaml: |` (a vLLM --config file, a LiteLLM config) read as its own YAML,
    with lines and columns mapped into the manifest. Only literal blocks: their lines are exact."""
    for key, _key_node, value in _items(_get(root, "data")):
        if not (key.endswith((".yaml", ".yml")) and isinstance(value, ScalarNode) and value.style == "|"
                and _may_matter(value.value)):
            continue
        inner = _Doc(doc.path, value.value.splitlines(), doc.line_offset + value.start_mark.line + 1,
                     doc.facts, column_offset=doc.column_offset + doc.block_indent(value), config_name=key,
                     config_maps=doc.config_maps)
        try:
            for embedded in yaml.compose_all(value.value, Loader=_LOADER):
                if embedded is not None:
                    _check_expanded_size(embedded)
                    _document(embedded, inner, nested=True)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = inner.line_offset + mark.line + 1 if mark is not None else inner.line_offset
            doc.facts.errors.append(ParseError(doc.path, f"YAML in ConfigMap key {key}: {exc.problem}", line))
        except yaml.YAMLError as exc:
            doc.facts.errors.append(ParseError(doc.path, f"YAML in ConfigMap key {key}: {exc}", inner.line_offset))


def _document(root: Node, doc: _Doc, nested: bool = False) -> None:
    if not isinstance(root, MappingNode):
        if isinstance(root, SequenceNode):  # e.g. an Ansible playbook or a list of manifests
            _generic(root, doc, {})
        return
    kind = _text(_get(root, "kind")) or ""
    api = _text(_get(root, "apiVersion")) or ""
    if kind == "ConfigMap" and not nested:
        _config_map(root, doc)
    if kind == "InferenceService":
        _kserve(root, doc)
    elif kind == "Model" and api.startswith("kubeai"):
        _kubeai(root, doc)
    services = _get(root, "services")
    if isinstance(services, MappingNode) and not api:
        for sname, _k, service in _items(services):
            if isinstance(service, MappingNode) and (
                    _get(service, "image") is not None or _get(service, "build") is not None):
                _compose_service(sname, service, doc)
    jobs = _workflow_jobs(root)
    if jobs:
        _workflow(root, doc, jobs)
    engine = _get(root, "servingEngineSpec")
    if engine is not None:
        _production_stack(engine, doc)
    model_list = _get(root, "model_list")
    if model_list is not None:
        _litellm(model_list, doc)
    elif not api and not jobs and _is_vllm_config(root):
        _vllm_config(root, doc)
    _generic(root, doc, _doc_env(root, doc) if not api and not jobs else {})


@bounded
def extract_yaml(text: str, path: str) -> FileFacts:
    """Facts from one YAML file. Never raises: what cannot be read goes to `FileFacts.errors`.

    Two passes: every document is composed first, so a ConfigMap can resolve `valueFrom`/`envFrom`
    in a Deployment that comes before it; then each document is read.
    """
    facts = FileFacts(path=path, kind="yaml")
    if not _may_matter(text):
        return facts
    masked = mask_templates(text)
    config_maps: dict[str, dict[str, Value]] = {}
    composed: list[tuple[_Doc, Node]] = []
    for offset, start, chunk in _documents(masked):
        if not chunk.strip() or not (_may_matter(chunk) or "configmap" in chunk.lower()):
            continue  # the file-level argument holds per document (a Service, a Secret …)
        doc = _Doc(path, chunk.splitlines(), offset, facts, config_maps=config_maps,
                   original=text[start:start + len(chunk)])
        with _reported(facts, path, offset):
            for root in yaml.compose_all(chunk, Loader=_LOADER):
                if root is not None:
                    _check_expanded_size(root)
                    _collect_config_map(root, doc)
                    composed.append((doc, root))
    for doc, root in composed:
        with _reported(facts, path, doc.line_offset):
            _document(root, doc)
    return facts


@contextmanager
def _reported(facts: FileFacts, path: str, offset: int) -> Iterator[None]:
    """Turn what stops one document (bad YAML, a bomb, deep nesting) into an error entry."""
    try:
        yield
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = offset + mark.line + 1 if mark is not None else offset + 1
        reason = " ".join(str(p) for p in (exc.context, exc.problem) if p) or "invalid YAML"
        facts.errors.append(ParseError(path, f"YAML: {reason}", line))
    except yaml.YAMLError as exc:
        facts.errors.append(ParseError(path, f"YAML: {exc}", offset + 1))
    except _Budget:
        facts.errors.append(ParseError(path, f"YAML document too large to analyse (over {MAX_NODES} nodes)",
                                       offset + 1))
    except RecursionError:
        facts.errors.append(ParseError(path, "YAML nesting too deep to analyse", offset + 1))
    except Exception as exc:  # noqa: BLE001 - one odd document must not stop the scan; say so instead
        facts.errors.append(ParseError(path, f"vlint could not read this YAML document: "
                                             f"{type(exc).__name__}: {exc}", offset + 1))
