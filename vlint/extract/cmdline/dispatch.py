"""argv -> Serve/Request facts: the entry point, which unwraps wrappers and hands argv to its family.

Shell words, YAML `command:`/`args:` lists, Dockerfile exec arrays and Python subprocess lists all end up
as a list of `Token`s; the families (vllm, docker, curl, nested shells) know what each command does with
it. This package knows no syntax of the host format: quoting and line mapping happen before.

Token contract: `Token.quoted=True` means the text is final (a single-quoted shell word, a quoted heredoc,
a Dockerfile exec-form item); otherwise it may hold variable references (`vlint.extract.cmdline.variables`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from vlint.extract.cmdline.context import CommandContext, ShellReader, base_name, skip_options, value_token
from vlint.extract.cmdline.curl import curl_command
from vlint.extract.cmdline.docker import docker_command, image_args
from vlint.extract.cmdline.heads import ASSIGN_RE, CONTAINER_EXEC, PYTHON_RE, RUN_WRAPPERS, SHELLS, WRAPPERS
from vlint.extract.cmdline.nested import nested_shell, shell_c, tmux_command
from vlint.extract.cmdline.scripts import LAUNCHERS, launcher_program, python_program
from vlint.extract.cmdline.servers import program_server, server_launch
from vlint.extract.cmdline.vllm import python_module, vllm_command
from vlint.extract.expansion import expansion_scope
from vlint.extract.positions import PositionMap, Token
from vlint.facts import Location, Request, ScriptRun, Serve, Value


def facts_from_argv(argv: Sequence[Token], *, read_shell: ShellReader, env: Mapping[str, Value | None] | None = None,
                    context: str = "code", image: str | None = None, stdin: Token | None = None,
                    k8s_refs: bool = True, token_maps: Mapping[Token, tuple[str, PositionMap]] | None = None,
                    nesting: int = 0, runs: list[ScriptRun] | None = None, anchor: Location | None = None,
                    process_env: Mapping[str, Value | None] | None = None) -> tuple[list[Serve], list[Request]]:
    """Serves and requests one command line stands for.

    `read_shell`: what reads a shell string found in argv (`bash -c "..."`); the shell extractor passes
    its own `extract_shell` (`vlint.extract.shell.argv_facts` is this function with it).
    `image`: the container image whose entrypoint receives `argv` (a Dockerfile CMD, a compose service);
    bare flags are then `vllm serve` flags when the image is a vLLM OpenAI image.
    `stdin`: what the command reads on standard input (a heredoc), for `curl -d @-`.
    `token_maps`: for tokens that came from quoted shell strings, the text a nested shell would parse and
    its position map, so `bash -c "..."` keeps reported lines true.
    `nesting`: how many shells deep this command line already is (nested shells stop at `MAX_NESTING`).
    `runs`: where the Python programs the command line runs go (`ScriptRun`s); not collected when None.
    `anchor`: where the image is named, for an image run without argv (a server reading its model from
    `process_env`, the container's environment when it is not `env`: compose `environment:`).
    """
    ctx = CommandContext(env or {}, context, k8s_refs, stdin, token_maps or {}, read_shell, _dispatch, nesting,
                         runs=runs if runs is not None else [])
    tokens = list(argv)
    with expansion_scope():
        if image is not None:
            where = tokens[0].location if tokens else anchor
            if where is not None:
                image_args(tokens, image, where, ctx, launcher="vllm serve", env=process_env)
        else:
            _dispatch(tokens, ctx, image=None, launcher=None)
    return ctx.serves, ctx.requests


MAX_DEPTH = 12  # commands handed on inside one command line: no real one needs more
_SSH_VALUE_OPTIONS = frozenset({"-i", "-p", "-o", "-l", "-L", "-R", "-D", "-J", "-F", "-E", "-b", "-c", "-m", "-w",
                                "-W", "-S", "-O", "-Q", "-B", "-e"})
_CONTAINER_EXEC_OPTIONS = frozenset({"-B", "--bind", "--env", "--env-file", "-H", "--home", "-W", "--workdir",
                                     "--overlay"})


def _dispatch(tokens: list[Token], ctx: CommandContext, *, image: str | None, launcher: str | None) -> None:
    ctx.depth += 1
    try:
        start = _command_start(tokens) if ctx.depth <= MAX_DEPTH else None
        if start is not None:
            _command(tokens[start:], ctx, image=image, launcher=launcher, assigned=_assignments(tokens[:start], ctx))
    finally:
        ctx.depth -= 1


def _assignments(prefix: list[Token], ctx: CommandContext) -> dict[str, Value | None]:
    """`NAME=value` words before a command: its environment on top of the shell's (`OLLAMA_HOST=... ollama`)."""
    out: dict[str, Value | None] = {}
    for tok in prefix:
        if ASSIGN_RE.match(tok.text):
            name, _, rest = tok.text.partition("=")
            out[name] = ctx.value(value_token(tok, len(name) + 1, rest))
    return out


def _command_start(tokens: list[Token]) -> int | None:
    """Where the command that a chain of `VAR=x` prefixes and wrappers runs starts (`sudo nohup vllm ...`)."""
    i = 0
    while True:
        while i < len(tokens) and ASSIGN_RE.match(tokens[i].text):
            i += 1
        if i >= len(tokens):
            return None
        after = _after_wrapper(tokens, i)
        if after is None:
            return i
        i = after


def _after_wrapper(tokens: list[Token], i: int) -> int | None:
    """Where the command that the wrapper at `i` runs starts (past the end when there is none to read);
    None when `tokens[i]` is no wrapper."""
    n = len(tokens)
    head = base_name(tokens[i])
    if head in WRAPPERS:
        j = skip_options(tokens, i + 1, WRAPPERS[head])
        if head == "timeout" and j < n:
            j += 1  # the duration
        if head == "chrt" and j < n and tokens[j].text.isdigit():
            j += 1  # the priority
        if head == "taskset" and j < n and not any(t.text in ("-c", "--cpu-list") for t in tokens[i:j]):
            j += 1  # the mask
        return j
    if head in RUN_WRAPPERS and i + 1 < n and tokens[i + 1].text in ("run", "exec", "tool"):
        j = i + 2
        if head == "uv" and tokens[i + 1].text == "tool" and j < n and tokens[j].text == "run":
            j += 1
        return skip_options(tokens, j, RUN_WRAPPERS[head])
    if head in CONTAINER_EXEC and i + 1 < n and tokens[i + 1].text in ("exec", "run"):
        return skip_options(tokens, i + 2, _CONTAINER_EXEC_OPTIONS) + 1  # past the image
    if head == "ray" and i + 2 < n and tokens[i + 1].text == "job" and tokens[i + 2].text == "submit":
        return _after_double_dash(tokens, i + 3)
    if head == "kubectl" and i + 1 < n and tokens[i + 1].text == "exec":
        return _after_double_dash(tokens, i + 2)
    return None


def _after_double_dash(tokens: list[Token], i: int) -> int:
    """`ray job submit ... -- CMD`, `kubectl exec POD -- CMD`: CMD's start (past the end without `--`)."""
    rest = [t.text for t in tokens[i:]]
    return i + rest.index("--") + 1 if "--" in rest else len(tokens)


def _command(argv: list[Token], ctx: CommandContext, *, image: str | None, launcher: str | None,
             assigned: dict[str, Value | None]) -> None:
    head = base_name(argv[0])
    if head == "vllm":
        vllm_command(argv, ctx, image=image, launcher=launcher)
    elif PYTHON_RE.match(head):
        python_module(argv, ctx, image=image, launcher=launcher)
        python_program(argv, ctx)
    elif head in LAUNCHERS or head.endswith(".py"):
        launcher_program(argv, ctx)
    elif head in ("docker", "podman", "nerdctl"):
        docker_command(argv, ctx)
    elif head == "curl":
        curl_command(argv, ctx)
    elif head in SHELLS:
        shell_c(argv, ctx)
    elif head == "eval":
        nested_shell(argv[1:], ctx)
    elif head == "ssh":
        nested_shell(argv[skip_options(argv, 1, _SSH_VALUE_OPTIONS) + 1:], ctx)
    elif head == "tmux":
        tmux_command(argv, ctx)
    elif (server := program_server(argv, head)) is not None:
        spec, start = server
        server_launch(spec, argv[0], argv[start:], ctx, image=image, env={**ctx.env, **assigned} if assigned else None)
