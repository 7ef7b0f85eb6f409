"""Servers besides vLLM (SGLang, TGI, llama.cpp, Ollama, LMDeploy, ...): one reader for all of them, driven
by `rules/servers.yaml`.

Each server is a `ServerSpec`: the programs, `python -m` modules and images that start it, and which flags
(or environment variables, or positional words) name its model, the names clients send as `model`, its chat
template and its port. `server_launch` turns argv into the same `Serve` fact a vLLM launch gives, with
`launcher` naming the server, so an alias it serves links like a vLLM one. Flags are split simply: a flag
listed as `zero` takes no value, a `multi` one every word up to the next flag, any other exactly one; only
servers with a positional model (LMDeploy, Ollama) depend on that, and their tables list their switches.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from vlint.extract.cmdline.context import CommandContext, value_token
from vlint.extract.positions import Token
from vlint.facts import Serve, Value
from vlint.knowledge import load_data

SERVER_DATA = "servers.yaml"


@dataclass(frozen=True)
class Source:
    """Where a server reads one setting: flags (the last given wins), environment variables, a positional."""

    flags: tuple[str, ...] = ()
    env: tuple[str, ...] = ()
    positional: bool = False


@dataclass(frozen=True)
class ServerSpec:
    key: str
    launcher: str
    programs: tuple[tuple[str, tuple[str, ...]], ...]
    modules: tuple[tuple[str, tuple[str, ...]], ...]
    images: tuple[re.Pattern[str], ...]
    model: Source
    served_names: Source
    model_is_name: bool
    chat_template: Source
    tokenizer: Source
    temperature: Source
    port: Source
    port_default: int | None
    image_port_default: int | None
    config: Source
    config_default: str | None
    nominal: tuple[tuple[str, tuple[str, ...]], ...]
    zero: frozenset[str]
    zero_patterns: tuple[re.Pattern[str], ...]
    multi: frozenset[str]

    def takes_no_value(self, flag: str) -> bool:
        return flag in self.zero or any(p.search(flag) for p in self.zero_patterns)


@dataclass(frozen=True)
class ServerData:
    servers: tuple[ServerSpec, ...]
    endpoint_keywords: tuple[str, ...]
    vllm_port: Source
    vllm_port_default: int
    local_hosts: frozenset[str]
    alias_labels: tuple[str, ...]


def _source(entry: Any) -> Source:
    entry = entry or {}
    return Source(tuple(entry.get("flags") or ()), tuple(entry.get("env") or ()), bool(entry.get("positional")))


def _starts(entries: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((str(e["name"]), tuple(str(w) for w in e.get("then") or ())) for e in entries or ())


def _spec(key: str, entry: dict[str, Any]) -> ServerSpec:
    port = entry.get("port") or {}
    config = entry.get("config") or {}
    return ServerSpec(
        key=key,
        launcher=str(entry.get("launcher") or key),
        programs=_starts(entry.get("programs")),
        modules=_starts(entry.get("modules")),
        images=tuple(re.compile(p) for p in entry.get("images") or ()),
        model=_source(entry.get("model")),
        served_names=_source(entry.get("served_names")),
        model_is_name=bool((entry.get("served_names") or {}).get("model_is_name")),
        chat_template=_source(entry.get("chat_template")),
        tokenizer=_source(entry.get("tokenizer")),
        temperature=_source(entry.get("temperature")),
        port=_source(port),
        port_default=port.get("default"),
        image_port_default=port.get("image_default"),
        config=_source(config),
        config_default=config.get("default"),
        nominal=tuple((flag, tuple(values)) for flag, values in (entry.get("nominal") or {}).items()),
        zero=frozenset(entry.get("zero") or ()),
        zero_patterns=tuple(re.compile(p) for p in entry.get("zero_patterns") or ()),
        multi=frozenset(entry.get("multi") or ()),
    )


@cache
def server_data() -> ServerData:
    data = load_data(SERVER_DATA)
    vllm_port = data.get("vllm_port") or {}
    return ServerData(
        servers=tuple(_spec(key, entry) for key, entry in (data.get("servers") or {}).items()),
        endpoint_keywords=tuple(data.get("client_endpoint_keywords") or ()),
        vllm_port=_source(vllm_port),
        vllm_port_default=int(vllm_port.get("default", 8000)),
        local_hosts=frozenset(str(h).lower() for h in data.get("local_hosts") or ()),
        alias_labels=tuple(data.get("alias_labels") or ()),
    )


def server_words() -> tuple[str, ...]:
    """The words a text must hold to start one of these servers (its programs and modules), lower case."""
    words = {name.lower() for spec in server_data().servers for name, _ in (*spec.programs, *spec.modules)}
    return tuple(sorted(words))


# ---- which server a command starts -------------------------------------------------------------------------


def program_server(argv: Sequence[Token], head: str) -> tuple[ServerSpec, int] | None:
    """The server an executable starts (`llama-server ...`, `lmdeploy serve api_server ...`), and where its
    arguments begin."""
    return _match(argv, head, 1, lambda spec: spec.programs)


def module_server(module: str, rest: Sequence[Token]) -> tuple[ServerSpec, int] | None:
    """The server `python -m MODULE rest...` starts, and where its arguments begin in `rest`."""
    return _match(rest, module, 0, lambda spec: spec.modules)


def _match(argv: Sequence[Token], name: str, start: int, starts: Any) -> tuple[ServerSpec, int] | None:
    for spec in server_data().servers:
        for program, then in starts(spec):
            if program != name:
                continue
            words = [t.text for t in argv[start:start + len(then)]]
            if words == list(then):
                return spec, start + len(then)
    return None


def image_server(image: str) -> ServerSpec | None:
    """The server an image's entrypoint runs (TGI's, llama.cpp's `:server` images), if it is one of them."""
    ref = image.strip().lower().split("@", 1)[0]
    for spec in server_data().servers:
        if any(p.search(ref) for p in spec.images):
            return spec
    return None


# ---- reading a launch --------------------------------------------------------------------------------------


@dataclass
class _Argv:
    """A server's argv split into flags (name -> value tokens, in order) and positional words."""

    flags: list[tuple[str, Token, Token | None]]
    positionals: list[Token]

    def last(self, names: Sequence[str]) -> tuple[Token, Token | None] | None:
        found = [(tok, value) for name, tok, value in self.flags if name in names]
        return found[-1] if found else None

    def values(self, names: Sequence[str]) -> list[Token]:
        return [value for name, _tok, value in self.flags if name in names and value is not None]


def _split(spec: ServerSpec, args: Sequence[Token]) -> _Argv:
    flags: list[tuple[str, Token, Token | None]] = []
    positionals: list[Token] = []
    i, n = 0, len(args)
    while i < n:
        tok = args[i]
        text = tok.text
        if text == "--":
            positionals.extend(args[i + 1:])
            break
        if not text.startswith("-") or len(text) == 1 or re.match(r"^-\d", text):
            positionals.append(tok)
            i += 1
            continue
        name, eq, attached = text.partition("=")
        if eq:
            flags.append((name, tok, value_token(tok, len(name) + 1, attached)))
            i += 1
        elif spec.takes_no_value(name):
            flags.append((name, tok, None))
            i += 1
        elif name in spec.multi:
            j = i + 1
            while j < n and not args[j].text.startswith("-"):
                flags.append((name, tok, args[j]))
                j += 1
            i = j
        else:
            flags.append((name, tok, args[i + 1] if i + 1 < n else None))
            i += 2
    return _Argv(flags, positionals)


def _setting(source: Source, argv: _Argv, env: Mapping[str, Value | None], ctx: CommandContext) -> Value | None:
    """A setting from its flag (the last one given), else its positional word, else the environment."""
    found = argv.last(source.flags) if source.flags else None
    if found is not None and found[1] is not None:
        return ctx.value(found[1])
    if source.positional and argv.positionals:
        return ctx.value(argv.positionals[0])
    for name in source.env:
        value = env.get(name)
        if value is not None and (value.known or value.env):
            return Value(value.literal, value.location, value.note or f"${name}", value.env, value.is_default)
    return None


def _text(value: Value | None) -> str | None:
    return str(value.literal) if value is not None and value.literal is not None else None


def _port(spec: ServerSpec, argv: _Argv, env: Mapping[str, Value | None], ctx: CommandContext,
          image: str | None) -> int | None:
    """The port the server listens on: its flag or variable (`OLLAMA_HOST=0.0.0.0:11500` too), else its
    default (the image's, when it runs from one); None when it is set but not known."""
    value = _setting(spec.port, argv, env, ctx)
    if value is None:
        return spec.image_port_default if image is not None and spec.image_port_default else spec.port_default
    return parse_port(_text(value))


def parse_port(text: str | None) -> int | None:
    """`8000`, `0.0.0.0:8000`, `:8000` -> 8000; None for anything else."""
    if text is None:
        return None
    tail = text.strip().rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() and 0 < int(tail) < 65536 else None


def server_launch(spec: ServerSpec, head: Token, args: Sequence[Token], ctx: CommandContext, *,
                  image: str | None = None, env: Mapping[str, Value | None] | None = None) -> None:
    """A launch of `spec` from its arguments (after the program and its subcommand words), reading the
    model and the other settings from flags, positionals or `env` (the server process's environment:
    `docker run -e`, compose `environment:`, a container's `env:`). No model anywhere: no launch (a server
    started bare, its model given later or elsewhere, is not guessed)."""
    process_env: Mapping[str, Value | None] = env if env is not None else ctx.env
    argv = _split(spec, args)
    if any(name in ("-h", "--help") for name, _tok, _value in argv.flags):
        return
    config = _setting(spec.config, argv, {}, ctx) if spec.config.flags else None
    config_file = _text(config) or (spec.config_default if spec.config.flags else None)
    model = _setting(spec.model, argv, process_env, ctx) if (spec.model.flags or spec.model.positional
                                                             or spec.model.env) else None
    if model is None and config_file is None:
        return
    names = [s for s in (ctx.literal(v) for v in argv.values(spec.served_names.flags)) if s]
    if not names and (spec.served_names.env or spec.served_names.positional):
        named = _setting(Source((), spec.served_names.env, spec.served_names.positional), argv, process_env, ctx)
        names = [n for n in (_text(named),) if n]
    if spec.model_is_name and _text(model):
        names.append(_text(model))  # type: ignore[arg-type]
    template = _setting(spec.chat_template, argv, process_env, ctx)
    tokenizer = _setting(spec.tokenizer, argv, process_env, ctx)
    temperature = _setting(spec.temperature, argv, {}, ctx)
    port = _port(spec, argv, process_env, ctx, image)
    ctx.serves.append(Serve(
        location=head.location,
        model=model,
        launcher=spec.launcher,
        served_names=tuple(dict.fromkeys(names)),
        chat_template=_text(template) or (_raw(spec.chat_template, argv)),
        temperature=_number(temperature),
        nominal=_nominal(spec, argv, ctx),
        config_file=config_file if model is None else None,
        image=image,
        tokenizer=_text(tokenizer),
        context=ctx.context,  # type: ignore[arg-type]
        ports=(port,) if port is not None else (),
    ))


def _raw(source: Source, argv: _Argv) -> str | None:
    """A chat-template flag whose value is not known (`--chat-template $TEMPLATE`) still says one is set."""
    found = argv.last(source.flags) if source.flags else None
    if found is None:
        return None
    return found[1].text if found[1] is not None else found[0].text


def _number(value: Value | None) -> Value | None:
    if value is None or not isinstance(value.literal, str):
        return value
    try:
        return Value(float(value.literal), value.location, value.note, value.env, value.is_default)
    except ValueError:
        return Value(None, value.location, value.note or "not a number", value.env)


def _nominal(spec: ServerSpec, argv: _Argv, ctx: CommandContext) -> str | None:
    for flag, values in spec.nominal:
        found = argv.last((flag,))
        if found is not None and found[1] is not None and (ctx.literal(found[1]) or "").lower() in values:
            return f"{flag} {ctx.literal(found[1])}: no real weights are loaded, the model name is nominal"
    return None
