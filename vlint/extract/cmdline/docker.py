"""The container family: `docker`/`podman`/`nerdctl run|create|exec`, and argv handed to an image.

An image's argv goes to its entrypoint: on a vLLM OpenAI image (`rules/vllm_flags.yaml` `images`) bare
flags are `vllm serve` flags; a simulator image loads no weights (the model name is nominal); any other
image runs the command it is given, which goes back through `CommandContext.dispatch`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from vlint.extract.cmdline.context import CommandContext, base_name, skip_options, value_token
from vlint.extract.cmdline.flags import flag_table, normalize_flag
from vlint.extract.cmdline.heads import is_command_head
from vlint.extract.cmdline.servers import image_server, parse_port, server_launch
from vlint.extract.cmdline.vllm import serve
from vlint.extract.positions import Token
from vlint.facts import Location, Serve, Value


def image_kind(image: str) -> str:
    """'openai' (entrypoint `vllm serve`), 'simulator', 'vllm' (vLLM inside, entrypoint unknown) or 'other'."""
    ref = image.strip().lower()
    ref = ref.split("@", 1)[0]
    last = ref.rsplit("/", 1)
    if ":" in last[-1]:
        ref = ref[: len(ref) - len(last[-1]) + last[-1].index(":")]
    table = flag_table()
    if any(p.search(ref) for p in table.simulator_images):
        return "simulator"
    if any(p.search(ref) for p in table.openai_images):
        return "openai"
    if any(p.search(ref) for p in table.vllm_images):
        return "vllm"
    return "other"


def image_args(args: list[Token], image: str, where: Location, ctx: CommandContext, *, launcher: str,
               env: Mapping[str, Value | None] | None = None) -> None:
    """argv handed to an image's entrypoint (docker run IMAGE args, a Dockerfile CMD). `env` is the
    container's environment when it is not the one argv is expanded with (`docker run -e`, compose
    `environment:`): another server's image may read its model there (TGI's `MODEL_ID`)."""
    kind = image_kind(image)
    server = image_server(image) if kind == "other" else None
    if server is not None and not (args and is_command_head(args) and not args[0].text.startswith("-")):
        server_launch(server, Token(base_name(Token(image, where)), where, True), args, ctx, image=image, env=env)
        return
    if not args:
        return  # a vLLM image run bare: its model comes from elsewhere (not its default, not guessed)
    if args and is_command_head(args) and not args[0].text.startswith("-"):
        # `docker run vllm/vllm-openai vllm serve X` doubles the entrypoint; read the intended command.
        if kind == "openai" and base_name(args[0]) == "vllm" and len(args) > 1 and args[1].text == "serve":
            args = args[2:]
        else:
            ctx.dispatch(args, image=image, launcher=launcher)
            return
    head = Token("vllm", where)
    if kind == "openai":
        serve(head, args, ctx, mode="serve", launcher=launcher, image=image)
    elif kind == "simulator":
        serve(head, args, ctx, mode="serve", launcher=launcher, image=image,
              nominal=f"simulator image {image}: no model weights are loaded")
    elif kind == "vllm" and any(normalize_flag(a.text).split("=")[0] == "--model" for a in args):
        serve(head, args, ctx, mode="openai-module", launcher=launcher, image=image)


_EXEC_VALUE_OPTIONS = frozenset({"-e", "-u", "-w", "--env", "--env-file", "--user", "--workdir", "--detach-keys"})


def docker_command(argv: list[Token], ctx: CommandContext) -> None:
    """`docker [container] run|create [OPTIONS] IMAGE [ARGS]` and `docker exec [OPTIONS] CONTAINER CMD`."""
    i = 1
    if i < len(argv) and argv[i].text == "container":
        i += 1
    if i >= len(argv):
        return
    sub = argv[i].text
    if sub == "exec":
        j = skip_options(argv, i + 1, _EXEC_VALUE_OPTIONS)
        ctx.dispatch(argv[j + 1:], image=None, launcher=None)
        return
    if sub not in ("run", "create"):
        return
    options = _run_options(argv, i + 1, ctx)
    i, entrypoint = options.image_index, options.entrypoint
    if i >= len(argv):
        return
    image_tok, args = argv[i], argv[i + 1:]
    image = ctx.literal(image_tok) or image_tok.text
    launcher = f"{base_name(argv[0])} run"
    before = len(ctx.serves)
    if entrypoint is not None:
        full = [*entrypoint, *args]
        if image_kind(image) in ("openai", "simulator", "vllm") or is_command_head(full):
            ctx.dispatch(full, image=image, launcher=launcher)
    else:
        image_args(args, image, argv[0].location, ctx, launcher=launcher, env={**ctx.env, **options.env})
    ctx.serves[before:] = [published(s, options.published, options.names) for s in ctx.serves[before:]]


def published(serve: Serve, ports: list[tuple[int, int | None]], names: list[str]) -> Serve:
    """A containerised launch with the host ports that reach it (`-p 8080:8000`, compose `ports:`) and the
    names other containers call it by (`--name`, a compose service name)."""
    listening = set(serve.ports)
    extra = [host for host, container in ports if container is None or not listening or container in listening]
    return replace(serve, ports=tuple(dict.fromkeys((*serve.ports, *extra))),
                   hosts=tuple(dict.fromkeys((*serve.hosts, *names))))


def port_mapping(text: str) -> tuple[int, int | None] | None:
    """`8080:8000`, `127.0.0.1:8080:8000/tcp`, `8000` -> (host port, container port); None if unreadable."""
    parts = text.split("/", 1)[0].split(":")
    host = parse_port(parts[-2]) if len(parts) >= 2 else parse_port(parts[0])
    container = parse_port(parts[-1]) if len(parts) >= 2 else host
    return (host, container) if host is not None else None


@dataclass
class _RunOptions:
    image_index: int
    entrypoint: list[Token] | None = None
    env: dict[str, Value | None] = field(default_factory=dict)  # `-e NAME=value`
    published: list[tuple[int, int | None]] = field(default_factory=list)  # `-p host:container`
    names: list[str] = field(default_factory=list)  # `--name`, `--network-alias`


def _run_options(argv: list[Token], i: int, ctx: CommandContext) -> _RunOptions:
    """Past `docker run`'s options from `i`: the index of the image, `--entrypoint`'s value if given, and the
    environment, published ports and names of the container."""
    table = flag_table()
    found = _RunOptions(len(argv))
    while i < len(argv):
        tok = argv[i]
        t = tok.text
        if t == "--":
            found.image_index = i + 1
            return found
        if not t.startswith("-") or t == "-":
            break
        if t.startswith("--"):
            name, eq, val = t.partition("=")
            value_tok = None
            if name in table.docker_value_long and not eq and i + 1 < len(argv):
                value_tok = argv[i + 1]
                i += 1
            elif eq:
                value_tok = Token(val, tok.location, tok.quoted)
            if name == "--entrypoint" and value_tok is not None:
                found.entrypoint = [value_tok] if value_tok.text else []
            elif value_tok is not None:
                _container_option(name, value_tok, found, ctx)
            i += 1
            continue
        # bundled short flags: -itd, -e X, -p8000:8000
        consumed_next = False
        for k, ch in enumerate(t[1:], start=1):
            if ch in table.docker_value_short:
                consumed_next = k == len(t) - 1
                value_tok = argv[i + 1] if consumed_next and i + 1 < len(argv) else \
                    Token(t[k + 1:], tok.location, tok.quoted) if not consumed_next else None
                if value_tok is not None:
                    _container_option("-" + ch, value_tok, found, ctx)
                break
        i += 2 if consumed_next else 1
    found.image_index = i
    return found


def _container_option(name: str, value: Token, found: _RunOptions, ctx: CommandContext) -> None:
    """What one `docker run` option says about the container: its environment, ports and names."""
    if name in ("-e", "--env"):
        key, eq, rest = value.text.partition("=")
        if key and eq:
            found.env[key] = ctx.value(value_token(value, len(key) + 1, rest))
    elif name in ("-p", "--publish"):
        mapping = port_mapping(ctx.literal(value) or "")
        if mapping is not None:
            found.published.append(mapping)
    elif name in ("--name", "--network-alias", "--hostname", "-h"):
        text = ctx.literal(value)
        if text:
            found.names.append(text)
