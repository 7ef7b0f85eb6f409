"""The container family: `docker`/`podman`/`nerdctl run|create|exec`, and argv handed to an image.

An image's argv goes to its entrypoint: on a vLLM OpenAI image (`rules/vllm_flags.yaml` `images`) bare
flags are `vllm serve` flags; a simulator image loads no weights (the model name is nominal); any other
image runs the command it is given, which goes back through `CommandContext.dispatch`.
"""

from __future__ import annotations

from vlint.extract.cmdline.context import CommandContext, base_name, skip_options
from vlint.extract.cmdline.flags import flag_table, normalize_flag
from vlint.extract.cmdline.heads import is_command_head
from vlint.extract.cmdline.vllm import serve
from vlint.extract.positions import Token
from vlint.facts import Location


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


def image_args(args: list[Token], image: str, where: Location, ctx: CommandContext, *, launcher: str) -> None:
    """argv handed to an image's entrypoint (docker run IMAGE args, a Dockerfile CMD)."""
    kind = image_kind(image)
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
    i, entrypoint = _run_options(argv, i + 1)
    if i >= len(argv):
        return
    image_tok, args = argv[i], argv[i + 1:]
    image = ctx.literal(image_tok) or image_tok.text
    launcher = f"{base_name(argv[0])} run"
    if entrypoint is not None:
        full = [*entrypoint, *args]
        if image_kind(image) in ("openai", "simulator", "vllm") or is_command_head(full):
            ctx.dispatch(full, image=image, launcher=launcher)
        return
    image_args(args, image, argv[0].location, ctx, launcher=launcher)


def _run_options(argv: list[Token], i: int) -> tuple[int, list[Token] | None]:
    """Past `docker run`'s options from `i`: the index of the image, and `--entrypoint`'s value if given."""
    table = flag_table()
    entrypoint: list[Token] | None = None
    while i < len(argv):
        tok = argv[i]
        t = tok.text
        if t == "--":
            return i + 1, entrypoint
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
                entrypoint = [value_tok] if value_tok.text else []
            i += 1
            continue
        # bundled short flags: -itd, -e X, -p8000:8000
        consumed_next = False
        for k, ch in enumerate(t[1:], start=1):
            if ch in table.docker_value_short:
                consumed_next = k == len(t) - 1
                break
        i += 2 if consumed_next else 1
    return i, entrypoint
