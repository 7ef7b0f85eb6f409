"""argv -> Serve/Request facts, shared by every format that can hold a command line.

Shell words, YAML `command:`/`args:` lists, Dockerfile exec arrays and Python subprocess lists all end up
as a list of `Token`s; this module knows what vLLM (and docker, curl, the wrappers people put in front)
does with such a list. It knows no syntax of the host format: quoting and line mapping happen before.

Token contract: `Token.quoted=True` means the text is final (a single-quoted shell word, a quoted heredoc,
a Dockerfile exec-form item); otherwise `$NAME`, `${NAME}`, `${NAME:-default}`, `${NAME-default}` and,
when `k8s_refs` is on, Kubernetes `$(NAME)` are variable references resolved through `env`.

Choices worth knowing:
- `python -m vllm.entrypoints.openai.api_server MODEL` ignores the positional (research T4): the Serve's
  model is vLLM's default model with a note naming the ignored token, so the linker sees what is really
  served and a rule can still read the note.
- A launch with no model and no `--config` serves the default model; with `--config f.yaml` the model is
  left None and `config_file` is set for the YAML side to resolve. `--config=f.yaml` is ignored by vLLM,
  so it sets no `config_file` and the model falls back to the default, with a note.
- Arities come from `rules/vllm_flags.yaml`; an unknown `--flag` is assumed to take one value unless the
  next token starts with `-` (most vLLM flags take one value).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from vlint.extract.expansion import MAX_VALUE_CHARS, current_budget, expansion_scope
from vlint.extract.positions import PositionMap, Token
from vlint.extract.templates import TemplateScanner, has_template
from vlint.facts import Api, Location, Request, Serve, Value

FLAG_DATA = "vllm_flags.yaml"

# ---------------------------------------------------------------------------------------------------
# The flag table (data in rules/, parsed once: read-only for the whole run)


@dataclass(frozen=True)
class FlagTable:
    """Arity of every vLLM flag spelling, plus the image patterns and docker option arities."""

    arity: Mapping[str, str]
    longs: tuple[str, ...]
    short_aliases: Mapping[str, str]
    bool_value: frozenset[str]
    default_model: str
    openai_images: tuple[re.Pattern[str], ...]
    simulator_images: tuple[re.Pattern[str], ...]
    vllm_images: tuple[re.Pattern[str], ...]
    docker_value_short: frozenset[str]
    docker_value_long: frozenset[str]

    def lookup(self, name: str) -> tuple[str | None, str | None]:
        """Canonical long name and arity kind of a normalised flag, allowing unique prefixes (argparse)."""
        if name in self.short_aliases:
            long = self.short_aliases[name]
            return long, self.arity.get(long, "one")
        kind = self.arity.get(name)
        if kind is not None:
            return name, kind
        if not name.startswith("--") or len(name) < 4:
            return None, None
        matches = [f for f in self.longs if f.startswith(name)]
        if len(matches) == 1:
            return matches[0], self.arity[matches[0]]
        return None, None


def _load_flag_data() -> Any:
    try:
        from vlint.knowledge import load_data

        return load_data(FLAG_DATA)
    except FileNotFoundError:
        # knowledge.rules_dir() looks for models.yaml; in a partial checkout fall back to the file itself.
        import yaml

        path = Path(__file__).resolve().parents[2] / "rules" / FLAG_DATA
        with open(path, encoding="utf-8") as fh:
            return yaml.safe_load(fh)


@lru_cache(maxsize=1)
def flag_table() -> FlagTable:
    data = _load_flag_data()
    arity: dict[str, str] = {}
    for section in ("legacy", "current"):  # current wins where an arity changed
        for kind, names in (data.get(section) or {}).items():
            for name in names or ():
                arity[name] = kind
    shorts = {k: v for k, v in (data.get("short_aliases") or {}).items()}
    images = data.get("images") or {}
    docker = data.get("docker_run") or {}

    def pats(key: str) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p) for p in images.get(key) or ())

    return FlagTable(
        arity=arity,
        longs=tuple(sorted(n for n in arity if n.startswith("--"))),
        short_aliases=shorts,
        bool_value=frozenset(data.get("legacy_bool_value") or ()),
        default_model=str(data.get("default_model") or "Qwen/Qwen3-0.6B"),
        openai_images=pats("openai"),
        simulator_images=pats("simulator"),
        vllm_images=pats("vllm_other"),
        docker_value_short=frozenset(docker.get("value_short") or ()),
        docker_value_long=frozenset(docker.get("value_long") or ()),
    )


def normalize_flag(name: str) -> str:
    """vLLM turns `_` into `-` in `--` option names, before the first `.` (dotted JSON keys keep theirs)."""
    if not name.startswith("--"):
        return name
    head, dot, rest = name[2:].partition(".")
    return "--" + head.replace("_", "-") + dot + rest


# ---------------------------------------------------------------------------------------------------
# Variable references and values

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_REF_RE = re.compile(
    r"\$\{(?P<bname>" + _NAME + r"|[0-9]+)(?P<op>:?[-=])(?P<default>(?:[^{}]|\{[^{}]*\})*)\}"
    r"|\$\{(?P<name>" + _NAME + r"|[0-9]+)\}"
    r"|\$\{(?P<opaque>[^{}]*)\}"
    r"|\$\((?P<k8s>" + _NAME + r")\)"
    r"|\$\((?P<cmdsub>[^()]*(?:\([^()]*\)[^()]*)*)\)|`(?P<backtick>[^`]*)`"
    r"|\$(?P<simple>" + _NAME + r"|[0-9@*#?!$-])"
)
_TEMPLATE_PAIRS = (("{{", "}}"), ("{%", "%}"))  # `${{ }}` holds a `{{ }}`


@dataclass(frozen=True)
class _Ref:
    name: str | None  # None: an expansion we cannot resolve (`${X##*/}`, `$@`, `${arr[@]}`)
    default: str | None = None
    empty_uses_default: bool = False
    opaque_args: bool = False  # `$@`, `$*`, `${arr[@]}`: may stand for several argv words


def _ref_of(match: re.Match[str], k8s_refs: bool) -> _Ref | None:
    if match.group("bname"):
        return _Ref(match.group("bname"), match.group("default"), match.group("op").startswith(":"))
    if match.group("name"):
        return _Ref(match.group("name"))
    if match.group("opaque") is not None:
        inner = match.group("opaque")
        return _Ref(None, opaque_args=inner.endswith("[@]") or inner.endswith("[*]"))
    if match.group("cmdsub") is not None or match.group("backtick") is not None:
        return _Ref(None)  # command substitution: never run
    if match.group("k8s"):
        return _Ref(match.group("k8s")) if k8s_refs else _Ref(None)
    simple = match.group("simple")
    if simple in ("@", "*"):
        return _Ref(None, opaque_args=True)
    if simple in ("#", "?", "!", "$", "-"):
        return _Ref(None)
    return _Ref(simple)


def _provenance(name: str, bound: Value) -> str:
    where = f" set at {bound.location}" if bound.location else ""
    if bound.note and not bound.location:
        return f"from {name} ({_clip(bound.note, _MAX_NOTE)})"
    if bound.is_default:
        return f"default of {name}{where}"
    return f"from {name}{where}"


def _resolve_ref(ref: _Ref, env: Mapping[str, Value], location: Location | None, raw: str) -> Value:
    if ref.name is None:
        return Value(None, location, note=f"unresolved expansion {raw}")
    bound = env.get(ref.name)
    if bound is not None:
        if bound.literal is not None and not (bound.literal == "" and ref.empty_uses_default):
            return Value(bound.literal, location, note=_provenance(ref.name, bound), env=bound.env,
                         is_default=bound.is_default)
        if bound.literal is None and bound.env is None:
            why = _clip(bound.note, _MAX_NOTE) or "not statically known"
            return Value(None, location, note=f"{ref.name}: {why}")
        if bound.literal is None and bound.env is not None:
            # Bound to another unresolved variable: keep that name for the linker, our default as fallback.
            lit = ref.default
            return Value(lit, location, note=_provenance(ref.name, bound), env=bound.env,
                         is_default=lit is not None)
    if ref.name.isdigit():
        # A script or function argument: nothing in the project can bind it, only its default counts.
        if ref.default is not None:
            default = resolve_text(ref.default, location, env, quoted=False)
            return Value(default.literal, location, note=f"default of argument ${ref.name}",
                         is_default=True)
        return Value(None, location, note=f"argument ${ref.name}")
    if ref.default is not None:
        default = resolve_text(ref.default, location, env, quoted=False)
        return Value(default.literal, location, note=f"default of ${{{ref.name}}}", env=ref.name,
                     is_default=True)
    return Value(None, location, env=ref.name)


def resolve_text(text: str, location: Location | None, env: Mapping[str, Value] | None, *,
                 quoted: bool = False, k8s_refs: bool = True) -> Value:
    """The Value a word stands for: literal, resolved through `env`, or an unresolved reference."""
    env = env or {}
    if quoted or "$" not in text and "`" not in text and "{{" not in text and "{%" not in text:
        return Value(text, location)
    if has_template(text, _TEMPLATE_PAIRS):
        return Value(None, location, note=f"template expression {text!r}")
    budget = current_budget()
    whole = _REF_RE.fullmatch(text)
    if whole is not None:
        ref = _ref_of(whole, k8s_refs)
        if ref is None:
            return Value(text, location)
        value = _resolve_ref(ref, env, location, text)
        refused = budget.refusal(len(value.literal), f"`{_clip(text)}`", location) \
            if isinstance(value.literal, str) else None
        return value if refused is None else Value(None, location, note=refused)
    # A word mixing literal text and references: expand what we can, give up on the rest.
    out: list[str] = []
    size = 0
    pos = 0
    notes: list[str] = []
    any_default = False
    for m in _REF_RE.finditer(text):
        ref = _ref_of(m, k8s_refs)
        piece = text[pos:m.start()]
        pos = m.end()
        if ref is None:
            piece += m.group(0)
        else:
            part = _resolve_ref(ref, env, location, m.group(0))
            if part.literal is None:
                return Value(None, location, note=f"unresolved expansion in {text!r}")
            any_default = any_default or part.is_default
            piece += str(part.literal)
            if part.note and len(notes) < _MAX_NOTES:
                notes.append(part.note)
        out.append(piece)
        size += len(piece)
        if size > MAX_VALUE_CHARS:
            break  # refused below, before the parts are joined
    refused = budget.refusal(size + len(text) - pos, f"`{_clip(text)}`", location)
    if refused is not None:
        return Value(None, location, note=refused)
    out.append(text[pos:])
    return Value("".join(out), location, note="; ".join(notes) or f"expanded from {text!r}",
                 is_default=any_default)


# Notes quote other notes (`B=$A` says why A is unknown): without a bound, a chain of assignments makes
# notes that grow by a name per link (30,000 links of `Ai=$Aj`, a 300 KB script, took 3.2 GB).
_MAX_NOTE = 300
_MAX_NOTES = 8  # provenance notes kept for one word of many references


def _clip(text: str, limit: int = 60) -> str:
    """A word short enough for a note."""
    return text if len(text) <= limit else text[:limit] + "..."


def has_opaque_args(text: str) -> bool:
    """`$@`, `"$@"`, `${ARGS[@]}`: one word that may expand to many argv entries (a model among them)."""
    return any((r := _ref_of(m, True)) is not None and r.opaque_args for m in _REF_RE.finditer(text))


# ---------------------------------------------------------------------------------------------------
# Parsing context


@dataclass
class _Ctx:
    env: Mapping[str, Value]
    context: str
    k8s_refs: bool
    stdin: Token | None
    token_maps: Mapping[Token, tuple[str, PositionMap]]
    nesting: int = 0  # shells this command line is nested in (`bash -c "bash -c '...'"`)
    serves: list[Serve] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    depth: int = 0

    def value(self, tok: Token) -> Value:
        return resolve_text(tok.text, tok.location, self.env, quoted=tok.quoted, k8s_refs=self.k8s_refs)

    def literal(self, tok: Token) -> str | None:
        lit = self.value(tok).literal
        return None if lit is None else str(lit)


def facts_from_argv(argv: Sequence[Token], *, env: Mapping[str, Value] | None = None, context: str = "code",
                    image: str | None = None, stdin: Token | None = None, k8s_refs: bool = True,
                    token_maps: Mapping[Token, tuple[str, PositionMap]] | None = None, nesting: int = 0,
                    ) -> tuple[list[Serve], list[Request]]:
    """Serves and requests one command line stands for.

    `image`: the container image whose entrypoint receives `argv` (a Dockerfile CMD, a compose service);
    bare flags are then `vllm serve` flags when the image is a vLLM OpenAI image.
    `stdin`: what the command reads on standard input (a heredoc), for `curl -d @-`.
    `token_maps`: for tokens that came from quoted shell strings, the text a nested shell would parse and
    its position map, so `bash -c "..."` keeps reported lines true.
    `nesting`: how many shells deep this command line already is (nested shells stop at `MAX_NESTING`).
    """
    ctx = _Ctx(env or {}, context, k8s_refs, stdin, token_maps or {}, nesting)
    tokens = list(argv)
    with expansion_scope():
        if image is not None:
            if tokens:
                _image_args(tokens, image, tokens[0].location, ctx, launcher="vllm serve")
        else:
            _dispatch(tokens, ctx, image=None, launcher=None)
    return ctx.serves, ctx.requests


# ---------------------------------------------------------------------------------------------------
# Command dispatch

_ASSIGN_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_PYTHON_RE = re.compile(r"^python(\d+(\.\d+)?)?$")
_SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ash", "ksh"})

# Wrappers that run the rest of argv as a command; value-taking options listed so they are skipped.
_WRAPPERS: dict[str, frozenset[str]] = {
    "nohup": frozenset(),
    "exec": frozenset({"-a"}),
    "time": frozenset({"-f", "-o", "--format", "--output"}),
    "sudo": frozenset({"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T", "--user", "--group"}),
    "doas": frozenset({"-u", "-C"}),
    "nice": frozenset({"-n", "--adjustment"}),
    "ionice": frozenset({"-c", "-n", "-p", "-t"}),
    "setsid": frozenset(),
    "stdbuf": frozenset({"-i", "-o", "-e"}),
    "unbuffer": frozenset(),
    "command": frozenset(),
    "builtin": frozenset(),
    "chrt": frozenset(),
    "taskset": frozenset({"-c", "--cpu-list"}),
    "numactl": frozenset({"-N", "-m", "-C", "-p", "-i", "--cpunodebind", "--membind", "--physcpubind",
                          "--preferred", "--interleave"}),
    "srun": frozenset({"-N", "-n", "-c", "-p", "-t", "-J", "-A", "-w", "-G", "-o", "-e", "--nodes", "--ntasks",
                       "--cpus-per-task", "--partition", "--time", "--job-name", "--account", "--gres",
                       "--gpus", "--mem", "--nodelist", "--output", "--error", "--container-image",
                       "--container-mounts", "--qos", "--constraint", "--ntasks-per-node",
                       "--gpus-per-node", "--gpus-per-task", "--export", "--overlap", "--jobid"}),
    "uvx": frozenset({"--from", "--with", "--python", "-p", "--index-url", "--extra-index-url", "--index",
                      "--with-requirements", "--env-file"}),
    "screen": frozenset({"-S", "-L", "-c", "-e", "-h", "-p", "-T", "-X", "-Logfile"}),
    "timeout": frozenset({"-k", "-s", "--kill-after", "--signal"}),
    "xvfb-run": frozenset({"-a", "-s", "-n", "-e", "-f", "-p", "-w"}),
    "caffeinate": frozenset(),
    "env": frozenset({"-u", "-C", "-S", "--unset", "--chdir", "--split-string"}),
}
# `X run ...` wrappers (a subcommand word, then options, then the command).
_RUN_WRAPPERS: dict[str, frozenset[str]] = {
    "uv": frozenset({"--with", "--python", "-p", "--project", "--directory", "--extra", "--group",
                     "--env-file", "--index-url", "--extra-index-url", "--index", "--with-requirements",
                     "--package", "--script", "--only-group"}),
    "pipx": frozenset({"--spec", "--python", "--index-url", "--pip-args"}),
    "poetry": frozenset({"-C", "--directory", "-P", "--project"}),
    "pdm": frozenset({"-p", "--project"}),
    "hatch": frozenset({"-e", "--env"}),
    "conda": frozenset({"-n", "-p", "--name", "--prefix", "--cwd"}),
    "mamba": frozenset({"-n", "-p", "--name", "--prefix", "--cwd"}),
    "micromamba": frozenset({"-n", "-p", "--name", "--prefix", "--cwd"}),
    "pixi": frozenset({"-e", "--environment", "--manifest-path"}),
}
_CONTAINER_EXEC = frozenset({"apptainer", "singularity"})


def may_launch(command_name: str) -> bool:
    """Could a command with this name (as written) start vLLM or send a request? No false negatives."""
    head = command_name.rsplit("/", 1)[-1]
    return (not head or "$" in head or "`" in head or head in _HEADS or head in _WRAPPERS
            or head in _RUN_WRAPPERS or head in _CONTAINER_EXEC or bool(_PYTHON_RE.match(head)))


_HEADS = frozenset({"vllm", "curl", "docker", "podman", "nerdctl", "eval", "ssh", "tmux", "ray", "kubectl",
                    *_SHELLS})


def _base(tok: Token) -> str:
    return tok.text.rsplit("/", 1)[-1]


def _is_command_head(tokens: Sequence[Token], ctx: _Ctx) -> bool:
    i = 0
    while i < len(tokens) and _ASSIGN_RE.match(tokens[i].text):
        i += 1
    if i >= len(tokens):
        return False
    head = _base(tokens[i])
    return (head in ("vllm", "curl", "docker", "podman", "nerdctl") or head in _SHELLS
            or bool(_PYTHON_RE.match(head)) or head in _WRAPPERS or head in _RUN_WRAPPERS)


def _skip_options(tokens: Sequence[Token], i: int, value_opts: frozenset[str]) -> int:
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


def _dispatch(tokens: list[Token], ctx: _Ctx, *, image: str | None, launcher: str | None) -> None:
    ctx.depth += 1
    try:
        if ctx.depth > 12:
            return
        _dispatch_inner(tokens, ctx, image=image, launcher=launcher)
    finally:
        ctx.depth -= 1


def _dispatch_inner(tokens: list[Token], ctx: _Ctx, *, image: str | None, launcher: str | None) -> None:
    i = 0
    n = len(tokens)
    while i < n:
        while i < n and _ASSIGN_RE.match(tokens[i].text):  # env-var prefixes
            i += 1
        if i >= n:
            return
        head = _base(tokens[i])
        if head in _WRAPPERS:
            j = _skip_options(tokens, i + 1, _WRAPPERS[head])
            if head == "timeout" and j < n:
                j += 1  # the duration
            if head == "chrt" and j < n and tokens[j].text.isdigit():
                j += 1  # the priority
            if head == "taskset" and j < n and not any(t.text in ("-c", "--cpu-list") for t in tokens[i:j]):
                j += 1  # the mask
            i = j
            continue
        if head in _RUN_WRAPPERS and i + 1 < n and tokens[i + 1].text in ("run", "exec", "tool"):
            j = i + 2
            if head == "uv" and tokens[i + 1].text == "tool" and j < n and tokens[j].text == "run":
                j += 1
            i = _skip_options(tokens, j, _RUN_WRAPPERS[head])
            continue
        if head in _CONTAINER_EXEC and i + 1 < n and tokens[i + 1].text in ("exec", "run"):
            j = _skip_options(tokens, i + 2, frozenset({"-B", "--bind", "--env", "--env-file", "-H", "--home",
                                                        "-W", "--workdir", "--overlay"}))
            i = j + 1  # the image
            continue
        if head == "ray" and i + 2 < n and tokens[i + 1].text == "job" and tokens[i + 2].text == "submit":
            rest = [t.text for t in tokens[i + 3:]]
            if "--" not in rest:
                return
            i = i + 3 + rest.index("--") + 1
            continue
        if head == "kubectl" and i + 1 < n and tokens[i + 1].text == "exec":
            rest = [t.text for t in tokens[i + 2:]]
            if "--" not in rest:
                return
            i = i + 2 + rest.index("--") + 1
            continue
        break
    if i >= n:
        return
    argv = tokens[i:]
    head = _base(argv[0])
    if head == "vllm":
        _vllm_cli(argv, ctx, image=image, launcher=launcher)
    elif _PYTHON_RE.match(head):
        _python(argv, ctx, image=image, launcher=launcher)
    elif head in ("docker", "podman", "nerdctl"):
        _docker(argv, ctx)
    elif head == "curl":
        _curl(argv, ctx)
    elif head in _SHELLS:
        _shell_c(argv, ctx)
    elif head == "eval":
        _nested_shell(argv[1:], ctx)
    elif head == "ssh":
        j = _skip_options(argv, 1, frozenset({"-i", "-p", "-o", "-l", "-L", "-R", "-D", "-J", "-F", "-E",
                                              "-b", "-c", "-m", "-w", "-W", "-S", "-O", "-Q", "-B", "-e"}))
        _nested_shell(argv[j + 1:], ctx)
    elif head == "tmux":
        _tmux(argv, ctx)


# ---------------------------------------------------------------------------------------------------
# vllm CLI, python -m, docker


def _vllm_cli(argv: list[Token], ctx: _Ctx, *, image: str | None, launcher: str | None) -> None:
    if len(argv) < 2:
        return
    sub = argv[1].text
    if sub == "serve":
        _serve(argv[0], argv[2:], ctx, mode="serve", launcher=launcher or "vllm serve", image=image)
    elif sub == "run-batch":
        _serve(argv[0], argv[2:], ctx, mode="run-batch", launcher=launcher or "vllm run-batch", image=image)
    elif sub in ("chat", "complete"):
        _vllm_client(argv, ctx, api="chat" if sub == "chat" else "completion")


def _python(argv: list[Token], ctx: _Ctx, *, image: str | None, launcher: str | None) -> None:
    i = 1
    while i < len(argv):
        t = argv[i].text
        if t == "-m" and i + 1 < len(argv):
            module, rest = argv[i + 1].text, argv[i + 2:]
            break
        if t.startswith("-m") and len(t) > 2:
            module, rest = t[2:], argv[i + 1:]
            break
        if t in ("-W", "-X"):
            i += 2
            continue
        if t.startswith("-") and t != "-" and not t.startswith("-c"):
            i += 1
            continue
        return  # a script, `-c code` or stdin: not a launch we can read
    else:
        return
    head = argv[0]
    if module == "vllm.entrypoints.openai.api_server":
        _serve(head, rest, ctx, mode="openai-module", launcher=launcher or f"python -m {module}", image=image)
    elif module == "vllm.entrypoints.api_server":
        _serve(head, rest, ctx, mode="legacy-module", launcher=launcher or f"python -m {module}", image=image)
    elif module in ("vllm.entrypoints.cli.main", "vllm"):
        _vllm_cli([head, *rest], ctx, image=image, launcher=launcher)


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


def _image_args(args: list[Token], image: str, where: Location, ctx: _Ctx, *, launcher: str) -> None:
    """argv handed to an image's entrypoint (docker run IMAGE args, a Dockerfile CMD)."""
    kind = image_kind(image)
    if args and _is_command_head(args, ctx) and not args[0].text.startswith("-"):
        # `docker run vllm/vllm-openai vllm serve X` doubles the entrypoint; read the intended command.
        if kind == "openai" and _base(args[0]) == "vllm" and len(args) > 1 and args[1].text == "serve":
            args = args[2:]
        else:
            _dispatch(args, ctx, image=image, launcher=launcher)
            return
    head = Token("vllm", where)
    if kind == "openai":
        _serve(head, args, ctx, mode="serve", launcher=launcher, image=image)
    elif kind == "simulator":
        _serve(head, args, ctx, mode="serve", launcher=launcher, image=image,
               nominal=f"simulator image {image}: no model weights are loaded")
    elif kind == "vllm" and any(normalize_flag(a.text).split("=")[0] == "--model" for a in args):
        _serve(head, args, ctx, mode="openai-module", launcher=launcher, image=image)


def _docker(argv: list[Token], ctx: _Ctx) -> None:
    i = 1
    if i < len(argv) and argv[i].text == "container":
        i += 1
    if i >= len(argv):
        return
    sub = argv[i].text
    if sub == "exec":
        j = _skip_options(argv, i + 1, frozenset({"-e", "-u", "-w", "--env", "--env-file", "--user",
                                                  "--workdir", "--detach-keys"}))
        _dispatch(argv[j + 1:], ctx, image=None, launcher=None)
        return
    if sub not in ("run", "create"):
        return
    table = flag_table()
    i += 1
    entrypoint: list[Token] | None = None
    while i < len(argv):
        tok = argv[i]
        t = tok.text
        if t == "--":
            i += 1
            break
        if not t.startswith("-") or t == "-":
            break
        if t.startswith("--"):
            name, eq, val = t.partition("=")
            takes = name in table.docker_value_long
            value_tok = None
            if takes and not eq and i + 1 < len(argv):
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
                if k == len(t) - 1:
                    consumed_next = True
                break
        i += 2 if consumed_next else 1
    if i >= len(argv):
        return
    image_tok, args = argv[i], argv[i + 1:]
    image = ctx.literal(image_tok) or image_tok.text
    launcher = f"{_base(argv[0])} run"
    if entrypoint is not None:
        full = [*entrypoint, *args]
        if image_kind(image) in ("openai", "simulator", "vllm") or _is_command_head(full, ctx):
            _dispatch(full, ctx, image=image, launcher=launcher)
        return
    _image_args(args, image, argv[0].location, ctx, launcher=launcher)


# ---------------------------------------------------------------------------------------------------
# vllm serve flags


@dataclass
class _Flag:
    name: str
    tok: Token
    values: list[Token]
    attached: bool


_BOOL_WORDS = frozenset({"true", "false"})
_NEG_NUM = re.compile(r"^-\d")


def _value_token(tok: Token, offset: int, text: str) -> Token:
    loc = tok.location
    return Token(text, Location(loc.path, loc.line, loc.column + offset), tok.quoted)


def _parse_flags(args: Sequence[Token]) -> tuple[list[_Flag], list[Token]]:
    """Split vLLM argv into flags (with the tokens each swallows) and positionals, the argparse way."""
    table = flag_table()
    flags: list[_Flag] = []
    positionals: list[Token] = []
    i = 0
    n = len(args)

    def starts_option(k: int) -> bool:
        t = args[k].text
        return t.startswith("-") and len(t) > 1 and not _NEG_NUM.match(t)

    while i < n:
        tok = args[i]
        t = tok.text
        if t == "--":
            positionals.extend(args[i + 1:])
            break
        if not (t.startswith("-") and len(t) > 1) or _NEG_NUM.match(t):
            positionals.append(tok)
            i += 1
            continue
        if t.startswith("-O") and not t.startswith("--"):
            if len(t) > 2:  # -O3, -O=3, -Odecode
                flags.append(_Flag("--optimization-level", tok, [_value_token(tok, 2, t[2:].lstrip("="))], True))
                i += 1
            else:
                vals = [args[i + 1]] if i + 1 < n else []
                flags.append(_Flag("--optimization-level", tok, vals, False))
                i += 1 + len(vals)
            continue
        raw, eq, val = t.partition("=")
        name = normalize_flag(raw)
        if eq:
            base = name.split(".", 1)[0]
            canonical = table.lookup(base)[0] or base
            if "." in name:
                canonical += name[len(base):]
            flags.append(_Flag(canonical, tok, [_value_token(tok, len(raw) + 1, val)], True))
            i += 1
            continue
        if "." in name and name.startswith("--"):  # dotted JSON key: one value
            base, _, key = name.partition(".")
            canonical = (table.lookup(base)[0] or base) + "." + key
            vals = [args[i + 1]] if i + 1 < n else []
            flags.append(_Flag(canonical, tok, vals, False))
            i += 1 + len(vals)
            continue
        canonical, kind = table.lookup(name)
        if canonical is None:
            canonical, kind = name, "unknown"
        j = i + 1
        if kind == "zero":
            if canonical in table.bool_value and j < n and args[j].text.lower() in _BOOL_WORDS:
                j += 1
        elif kind in ("one", "append"):
            if j < n:
                j += 1
        elif kind in ("optional", "unknown"):
            if j < n and not starts_option(j):
                j += 1
        elif kind == "multi":
            while j < n and not starts_option(j):
                j += 1
        flags.append(_Flag(canonical, tok, list(args[i + 1:j]), False))
        i = j
    return flags, positionals


def _last(flags: list[_Flag], name: str) -> _Flag | None:
    found = [f for f in flags if f.name == name]
    return found[-1] if found else None


def _serve(head: Token, args: Sequence[Token], ctx: _Ctx, *, mode: str, launcher: str, image: str | None,
           nominal: str | None = None) -> None:
    table = flag_table()
    args = [_flagify(t, ctx) for t in args]
    flags, positionals = _parse_flags(args)
    if any(f.name == "--help" or f.name.startswith("--help=") for f in flags):
        return  # `vllm serve --help` prints and exits
    opaque = [t for t in args if not t.quoted and has_opaque_args(t.text)]

    model_flag = _last(flags, "--model")
    model_tok = model_flag.values[0] if model_flag and model_flag.values else None
    config = _last(flags, "--config")
    config_file: str | None = None
    notes: list[str] = []
    if config is not None and config.values:
        if config.attached:
            notes.append(f"--config={config.values[0].text} is ignored by vLLM (only `--config FILE` loads)")
        else:
            config_file = ctx.literal(config.values[0]) or config.values[0].text

    model: Value | None
    if mode == "serve" and positionals:
        model_tok = positionals[0]
    if model_tok is not None:
        model = ctx.value(model_tok)
        if mode == "openai-module" and positionals:
            model = replace(model, note=_join(model.note, f"positional {positionals[0].text!r} is ignored"))
    elif config_file is not None:
        model = None  # the --config file names it
    elif opaque:
        model = Value(None, head.location, note=f"arguments come from {opaque[0].text}")
    else:
        why = "no model given: vLLM serves its default model"
        if mode == "openai-module" and positionals:
            why = (f"the positional {positionals[0].text!r} is ignored by vllm.entrypoints.openai.api_server "
                   "(only --model counts): vLLM serves its default model")
        model = Value(table.default_model, head.location, note=_join(why, *notes))

    served: list[str] = []
    for f in flags:
        if f.name == "--served-model-name":
            served = [s for s in (ctx.literal(v) for v in f.values) if s]

    chat_template = None
    ct = _last(flags, "--chat-template")
    if ct is not None and ct.values:
        chat_template = ctx.literal(ct.values[0]) or ct.values[0].text

    generation_config = None
    gc = _last(flags, "--generation-config")
    if gc is not None and gc.values:
        generation_config = ctx.literal(gc.values[0]) or gc.values[0].text

    temperature = _override_temperature(flags, ctx)

    tokenizer = None
    tk = _last(flags, "--tokenizer")
    if tk is not None and tk.values:
        tokenizer = ctx.literal(tk.values[0])

    if nominal is None:
        lf = _last(flags, "--load-format")
        if lf is not None and lf.values and (ctx.literal(lf.values[0]) or "").lower() == "dummy":
            nominal = "--load-format dummy: random weights, the model name is nominal"
        elif mode == "legacy-module":
            nominal = "legacy vllm.entrypoints.api_server: a demo /generate server, not the OpenAI API"
        elif _last(flags, "--headless") is not None:
            nominal = "--headless: a worker without an API server"

    ctx.serves.append(Serve(
        location=head.location,
        model=model,
        launcher=launcher,
        served_names=tuple(served),
        chat_template=chat_template,
        temperature=temperature,
        generation_config=generation_config,
        nominal=nominal,
        config_file=config_file,
        image=image,
        tokenizer=tokenizer,
        context=ctx.context,  # type: ignore[arg-type]
    ))


def _flagify(tok: Token, ctx: _Ctx) -> Token:
    """`$QUANT_FLAG` holding `--enforce-eager` is a flag, not the positional model."""
    if tok.quoted or not _REF_RE.fullmatch(tok.text):
        return tok
    lit = ctx.literal(tok)
    if lit is not None and lit.startswith("-") and " " not in lit:
        return Token(lit, tok.location, True)
    return tok


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def _override_temperature(flags: list[_Flag], ctx: _Ctx) -> Value | None:
    """Temperature from `--override-generation-config` JSON or its dotted form (the last one wins)."""
    found: Value | None = None
    for f in flags:
        if not f.values:
            continue
        tok = f.values[0]
        if f.name == "--override-generation-config":
            text = ctx.literal(tok)
            body = parse_json_body(text) if text else None
            if isinstance(body, dict) and "temperature" in body:
                found = _json_value(body["temperature"], tok, ctx, "--override-generation-config")
        elif f.name.rstrip("+") == "--override-generation-config.temperature":
            v = ctx.value(tok)
            found = replace(_number(v), note=_join(v.note, "--override-generation-config.temperature"))
    return found


def _number(v: Value) -> Value:
    if isinstance(v.literal, str):
        try:
            return replace(v, literal=json.loads(v.literal))
        except ValueError:
            return v
    return v


def _json_value(raw: object, tok: Token, ctx: _Ctx, note: str, key: str | None = None) -> Value:
    loc = tok.location if key is None else _locate_key(tok, key)
    if isinstance(raw, str):
        v = resolve_text(raw, loc, ctx.env, quoted=tok.quoted, k8s_refs=ctx.k8s_refs)
        v = _number(v) if v.literal is not None and _looks_numeric(str(v.literal)) else v
        return replace(v, note=_join(v.note, note))
    if isinstance(raw, (int, float, bool)) or raw is None:
        return Value(raw, loc, note=note)
    return Value(None, loc, note=note)


def _looks_numeric(s: str) -> bool:
    return bool(re.fullmatch(r"-?\d+(\.\d*)?([eE][-+]?\d+)?", s.strip()))


# ---------------------------------------------------------------------------------------------------
# JSON bodies (curl -d, --override-generation-config)

# Placeholders a body may hold where a JSON value should be: `${X}`, `$(cmd)`, `{{ x }}`, `{% x %}`, `$X`.
_PLACEHOLDER_PAIRS = (("${", "}"), ("$(", ")"), ("{{", "}}"), ("{%", "%}"))
_PLACEHOLDER_NAME_RE = re.compile(r"\$[A-Za-z_][A-Za-z0-9_]*")


def parse_json_body(text: str) -> Any:
    """json.loads, tolerating template placeholders (`$TEMP`, `{{ x }}`) where a JSON value should be."""
    text = text.strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        pass
    quoted = _quote_placeholders(text)
    if quoted != text:
        try:
            return json.loads(quoted)
        except ValueError:
            pass
    return _regex_body(text)


def _quote_placeholders(text: str) -> str:
    """Wrap placeholders that sit outside JSON strings in quotes, so the rest parses."""
    out: list[str] = []
    i = 0
    in_str = False
    placeholders = TemplateScanner(text, _PLACEHOLDER_PAIRS)
    while i < len(text):
        ch = text[i]
        if in_str:
            out.append(ch)
            if ch == "\\" and i + 1 < len(text):
                out.append(text[i + 1])
                i += 2
                continue
            if ch == '"':
                in_str = False
            i += 1
            continue
        if ch == '"':
            in_str = True
            out.append(ch)
            i += 1
            continue
        end = placeholders.end_at(i)
        if end is None and (name := _PLACEHOLDER_NAME_RE.match(text, i)) is not None:
            end = name.end()
        if end is not None:
            out.append(json.dumps(text[i:end]))
            i = end
            continue
        out.append(ch)
        i += 1
    return "".join(out)


_KEY_STR_RE = r'"{key}"\s*:\s*"((?:[^"\\]|\\.)*)"'
_KEY_NUM_RE = r'"{key}"\s*:\s*(-?[0-9.]+(?:[eE][-+]?\d+)?)'


def _regex_body(text: str) -> dict[str, Any] | None:
    """Last resort for a body that is not JSON even with placeholders quoted: pick out the keys we need."""
    out: dict[str, Any] = {}
    for key in ("model", "prompt", "chat_template"):
        m = re.search(_KEY_STR_RE.format(key=key), text)
        if m:
            out[key] = m.group(1)
    m = re.search(_KEY_NUM_RE.format(key="temperature"), text)
    if m:
        try:
            out["temperature"] = float(m.group(1))
        except ValueError:
            pass
    else:
        m = re.search(_KEY_STR_RE.format(key="temperature"), text)
        if m:
            out["temperature"] = m.group(1)
    if re.search(r'"messages"\s*:', text):
        out["messages"] = None
    if re.search(r'"input"\s*:', text):
        out["input"] = None
    return out or None


def _locate_key(tok: Token, key: str) -> Location:
    """Where `"key"` sits inside a (possibly multi-line) body token: exact line, column on the first line."""
    idx = tok.text.find(f'"{key}"')
    loc = tok.location
    if idx < 0:
        return loc
    before = tok.text[:idx]
    nl = before.count("\n")
    if nl == 0:
        return Location(loc.path, loc.line, loc.column + idx)
    return Location(loc.path, loc.line + nl, len(before) - before.rfind("\n"))


# ---------------------------------------------------------------------------------------------------
# curl and the vllm chat/complete clients

_CURL_VALUE_SHORT = frozenset("dHXouAebcmwKFTxryYzCEUQtDP")
_CURL_VALUE_LONG = frozenset({
    "--data", "--data-raw", "--data-binary", "--data-ascii", "--data-urlencode", "--json", "--header",
    "--request", "--output", "--user", "--user-agent", "--referer", "--cookie", "--cookie-jar", "--max-time",
    "--connect-timeout", "--write-out", "--config", "--form", "--form-string", "--upload-file", "--proxy",
    "--range", "--url", "--retry", "--retry-delay", "--retry-max-time", "--cacert", "--capath", "--cert",
    "--key", "--cert-type", "--key-type", "--resolve", "--connect-to", "--unix-socket",
    "--abstract-unix-socket", "--limit-rate", "--interface", "--dump-header", "--stderr", "--trace",
    "--trace-ascii", "--oauth2-bearer", "--variable", "--aws-sigv4", "--noproxy", "--proxy-user",
    "--max-filesize", "--keepalive-time", "--speed-limit", "--speed-time", "--continue-at", "--local-port",
    "--dns-servers", "--expect100-timeout", "--tls-max", "--ciphers", "--pinnedpubkey", "--request-target",
    "--socks5", "--socks5-hostname", "--preproxy", "--proto", "--proto-redir", "--quote", "--mail-from",
    "--mail-rcpt", "--time-cond", "--parallel-max", "--url-query", "--output-dir", "--netrc-file",
    "--max-redirs", "--retry-connrefused-delay", "--happy-eyeballs-timeout-ms", "--sasl-authzid",
})
_CURL_DATA = frozenset({"-d", "--data", "--data-raw", "--data-binary", "--data-ascii", "--json"})


def endpoint_api(url: str) -> Api | None:
    """Which OpenAI-compatible API a URL calls: chat-style routes apply the chat template (research T9)."""
    path = re.split(r"[?#]", url, maxsplit=1)[0].rstrip("/")
    if path.endswith("/chat/completions"):
        return "chat"
    if path.endswith("/completions"):
        return "completion"
    if path.endswith("/v1/responses") or path.endswith("/v1/messages"):
        return "chat"
    return None


def _curl(argv: list[Token], ctx: _Ctx) -> None:
    urls: list[Token] = []
    data: list[tuple[str, Token]] = []
    get = False
    i = 1
    n = len(argv)
    while i < n:
        tok = argv[i]
        t = tok.text
        if t.startswith("--"):
            name, eq, val = t.partition("=")
            value = None
            if name in _CURL_VALUE_LONG:
                if eq:
                    value = _value_token(tok, len(name) + 1, val)
                elif i + 1 < n:
                    value = argv[i + 1]
                    i += 1
            if name == "--get":
                get = True
            if value is not None:
                if name in _CURL_DATA:
                    data.append((name, value))
                elif name == "--url":
                    urls.append(value)
            i += 1
            continue
        if t.startswith("-") and len(t) > 1:
            for k, ch in enumerate(t[1:], start=1):
                if ch == "G":
                    get = True
                if ch in _CURL_VALUE_SHORT:
                    if k < len(t) - 1:
                        value = _value_token(tok, k + 1, t[k + 1:])
                    elif i + 1 < n:
                        value = argv[i + 1]
                        i += 1
                    else:
                        value = None
                    if value is not None and ch == "d":
                        data.append(("-d", value))
                    break
            i += 1
            continue
        urls.append(tok)
        i += 1
    if get:
        return
    api: Api | None = None
    for u in urls:
        text = ctx.literal(u) or u.text
        api = endpoint_api(text)
        if api:
            break
    url_unknown = not urls or all(_REF_RE.fullmatch(u.text) and ctx.literal(u) is None for u in urls)
    if api is None and not url_unknown:
        return
    body_tok: Token | None = None
    body_file: str | None = None
    for name, tok in data:
        text = tok.text
        if name != "--data-raw" and text.startswith("@"):
            if text == "@-" and ctx.stdin is not None:
                body_tok = ctx.stdin
            else:
                body_file = text[1:]
            break
        body_tok = tok
        break
    if body_tok is None and body_file is None:
        return
    body: Any = None
    if body_tok is not None:
        if not body_tok.quoted and _REF_RE.fullmatch(body_tok.text.strip()):
            # `-d "$BODY"`: the body is a variable's value; positions inside it are those of its use.
            text = ctx.literal(body_tok)
            if text is not None:
                body_tok = Token(text, body_tok.location, quoted=True)
        else:
            # References inside the JSON are resolved field by field, keeping their provenance.
            text = body_tok.text
        body = parse_json_body(text) if text is not None else None
    if api is None:  # the URL is a bare variable: infer the route from the body's shape
        if not isinstance(body, dict) or "model" not in body:
            return
        api = "chat" if "messages" in body else "completion" if "prompt" in body else None
        if api is None:
            return
    ctx.requests.append(_request_from_body(body, body_tok, body_file, argv[0], api, "curl", ctx))


def _request_from_body(body: Any, body_tok: Token | None, body_file: str | None, head: Token, api: Api,
                       client: str, ctx: _Ctx) -> Request:
    model: Value | None = None
    temperature: Value | None = None
    messages: tuple[tuple[str, str], ...] | None = None
    prompt: str | None = None
    chat_template: str | None = None
    if body_file is not None:
        model = Value(None, head.location, note=f"request body read from {body_file}")
    elif not isinstance(body, dict) or body_tok is None:
        model = Value(None, head.location, note="request body is not literal JSON")
    else:
        if "model" in body:
            model = _json_value(body["model"], body_tok, ctx, "", key="model")
            if model.literal is not None and not isinstance(model.literal, str):
                model = replace(model, literal=str(model.literal))
        if "temperature" in body:
            temperature = _json_value(body["temperature"], body_tok, ctx, "", key="temperature")
        def expand(text: str) -> str:
            v = resolve_text(text, None, ctx.env, quoted=body_tok.quoted, k8s_refs=ctx.k8s_refs)
            return text if v.literal is None else str(v.literal)

        messages = _messages(body.get("messages") if "messages" in body else body.get("input"))
        if messages is not None:
            messages = tuple((role, expand(content)) for role, content in messages)
        raw_prompt = body.get("prompt")
        if isinstance(raw_prompt, list) and raw_prompt and isinstance(raw_prompt[0], str):
            raw_prompt = raw_prompt[0]
        prompt = expand(raw_prompt) if isinstance(raw_prompt, str) else None
        ct = body.get("chat_template")
        chat_template = ct if isinstance(ct, str) else None
    return Request(location=head.location, api=api, client=client, model=model, temperature=temperature,
                   messages=messages, prompt=prompt, chat_template=chat_template,
                   context=ctx.context)  # type: ignore[arg-type]


def _messages(raw: Any) -> tuple[tuple[str, str], ...] | None:
    if not isinstance(raw, list):
        return None
    out: list[tuple[str, str]] = []
    for m in raw:
        if not isinstance(m, dict) or not isinstance(m.get("role"), str):
            return None
        content = m.get("content")
        if isinstance(content, list):
            content = " ".join(p.get("text", "") for p in content if isinstance(p, dict)
                               and isinstance(p.get("text"), str))
        if not isinstance(content, str):
            return None
        out.append((m["role"], content))
    return tuple(out)


def _vllm_client(argv: list[Token], ctx: _Ctx, *, api: Api) -> None:
    model: Value | None = None
    quick: str | None = None
    i = 2
    while i < len(argv):
        t = argv[i].text
        name, eq, val = t.partition("=")
        value_tok = _value_token(argv[i], len(name) + 1, val) if eq else (argv[i + 1] if i + 1 < len(argv)
                                                                          else None)
        if name in ("--model-name", "--url", "--api-key", "--system-prompt", "-q", "--quick", "--max-tokens"):
            if name == "--model-name" and value_tok is not None:
                model = ctx.value(value_tok)
            if name in ("-q", "--quick") and value_tok is not None:
                quick = ctx.literal(value_tok)
            i += 1 if eq else 2
            continue
        i += 1
    messages = (("user", quick),) if api == "chat" and quick is not None else None
    prompt = quick if api == "completion" else None
    ctx.requests.append(Request(location=argv[0].location, api=api, client=f"vllm {argv[1].text}", model=model,
                                messages=messages, prompt=prompt, context=ctx.context))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------------
# Shell strings inside argv: `bash -c "..."`, `eval`, `ssh host cmd`, `tmux new 'cmd'`


def _shell_c(argv: list[Token], ctx: _Ctx) -> None:
    i = 1
    while i < len(argv):
        t = argv[i].text
        if t in ("-o", "+o", "-O", "+O"):
            i += 2
            continue
        if t.startswith("-") and len(t) > 1 and not t.startswith("--"):
            if "c" in t[1:]:
                if i + 1 < len(argv):
                    _run_shell_string(argv[i + 1], ctx)
                return
            i += 1
            continue
        if t.startswith("--"):
            i += 1
            continue
        return  # `bash script.sh`: a file we read on its own


def _nested_shell(parts: Sequence[Token], ctx: _Ctx) -> None:
    if not parts:
        return
    if len(parts) == 1:
        _run_shell_string(parts[0], ctx)
        return
    texts = [ctx.literal(p) or p.text for p in parts]
    _run_shell_string(Token(" ".join(texts), parts[0].location, quoted=True), ctx)


def _tmux(argv: list[Token], ctx: _Ctx) -> None:
    if len(argv) < 2:
        return
    sub = argv[1].text
    if sub in ("new", "new-session", "new-window", "neww", "split-window", "splitw"):
        j = _skip_options(argv, 2, frozenset({"-s", "-n", "-c", "-t", "-x", "-y", "-e", "-F", "-l"}))
        _nested_shell(argv[j:], ctx)
    elif sub in ("send-keys", "send"):
        j = _skip_options(argv, 2, frozenset({"-t", "-N"}))
        parts = [p for p in argv[j:] if p.text not in ("Enter", "C-m", "KPEnter")]
        _nested_shell(parts, ctx)


def _run_shell_string(tok: Token, ctx: _Ctx) -> None:
    mapped = ctx.token_maps.get(tok)
    if not tok.quoted and _REF_RE.fullmatch(tok.text):
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
    if not _mentions_launch(text) or ctx.nesting >= MAX_NESTING:
        return
    from vlint.extract.shell import extract_shell  # the shell extractor imports this module

    nested = extract_shell(text, tok.location.path, positions=positions, env=ctx.env,
                           context=ctx.context, nesting=ctx.nesting + 1)  # type: ignore[arg-type]
    ctx.serves.extend(nested.serves)
    ctx.requests.extend(nested.requests)


# Shells inside shells read at most this deep: `CMD='eval "$CMD"'` would otherwise recurse until Python's
# stack runs out, and no real launch hides under more than a few levels of `bash -c`/`ssh`/`eval`.
MAX_NESTING = 8

_TRIGGERS = ("vllm", "curl", "docker", "podman", "nerdctl")


def _mentions_launch(text: str) -> bool:
    low = text.lower()
    return any(t in low for t in _TRIGGERS)


def mentions_launch(text: str) -> bool:
    """Cheap pre-check: can this text hold a vLLM launch or an HTTP call we read? (no false negatives)"""
    return _mentions_launch(text)


def iter_flag_names() -> Iterable[str]:
    """Every flag spelling in the table (for tests and documentation)."""
    return flag_table().arity.keys()
