"""The shared vocabulary of vlint: what extractors emit and rules read.

Extractors turn text into these small frozen records; the linker resolves the symbolic parts; rules
never see a parser. Every record carries a `Location` so findings point at the right line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

Scalar = str | int | float | bool | None

Api = Literal["chat", "completion", "offline-chat", "offline-generate"]
CHAT_APIS: frozenset[str] = frozenset({"chat", "offline-chat"})

Context = Literal["code", "docs"]


@dataclass(frozen=True)
class Location:
    """A place in a file: `path` relative to the scan root and `/`-separated; line and column 1-based."""

    path: str
    line: int
    column: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Value:
    """A value with its provenance.

    Either `literal` is known, or `env` names an environment variable the linker may resolve
    (with `literal` then holding the default, if any, and `is_default` set).
    `alias` marks a model reference that may be a served name (a client's `model=`).
    """

    literal: Scalar = None
    location: Location | None = None
    note: str = ""
    env: str | None = None
    is_default: bool = False
    symbol: str | None = None  # a constant of another module, `pkg.config:MODEL` (`.config:X` relative)
    # The command-line options of the program this value is read from (`model_name_or_path`, dashes as
    # underscores): a run of the program that passes one gives the value (`ScriptRun`, joined in link).
    options: tuple[str, ...] = ()
    # The model id is asked of the server at run time (`client.models.list().data[0].id`): whatever the
    # launches the request reaches serve (joined in link).
    served_model: bool = False

    @property
    def known(self) -> bool:
        return self.literal is not None

    def describe(self) -> str:
        return f"{self.literal!r} {self.origin()}"

    def origin(self) -> str:
        """Where the value comes from, e.g. "default of parameter `t`, at app.py:4:9"."""
        where = f"at {self.location}" if self.location else ""
        if self.note:
            return f"{self.note}, {where}" if where else self.note
        return f"set {where}" if where else "literal"

    def with_literal(self, literal: Scalar, note: str, location: Location | None = None) -> Value:
        return replace(self, literal=literal, note=note, location=location or self.location, env=None,
                       is_default=False, symbol=None, options=(), served_model=False)


@dataclass(frozen=True)
class Serve:
    """A model server launch: vLLM, another OpenAI-compatible server (SGLang, TGI, llama.cpp, Ollama,
    LMDeploy; `launcher` names it), or a proxy (LiteLLM, Ray Serve, KServe) that fronts one.

    `ports` and `hosts` say where clients reach it: the port it listens on (its flag or the server's
    default) first, then published ports (`docker run -p`, compose `ports:`); the names it answers to
    (a compose service, a container name). `labels` are a Kubernetes pod's, for the Services (`Route`)
    that select it."""

    location: Location
    model: Value | None
    launcher: str
    served_names: tuple[str, ...] = ()
    chat_template: str | None = None
    temperature: Value | None = None
    generation_config: str | None = None
    nominal: str | None = None
    forwards_chat: bool = False
    config_file: str | None = None
    image: str | None = None
    tokenizer: str | None = None
    context: Context = "code"
    ports: tuple[int, ...] = ()
    hosts: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Request:
    """A use of a model: a client call, an offline vLLM call, or a sampling configuration that feeds one."""

    location: Location
    api: Api
    client: str
    model: Value | None
    temperature: Value | None = None
    default_temperature: float | None = 1.0
    messages: tuple[tuple[str, str], ...] | None = None
    prompt: str | None = None
    chat_template: str | None = None
    context: Context = "code"
    max_tokens: int | None = None  # the output limit, when written as a number
    scores: tuple[str, ...] = ()  # the fields that ask for scores rather than text (`output_fields`)
    # Chat by hand: the chat-template call (`tokenizer.apply_chat_template`, as written) that made the prompt
    # of an offline `generate`, where it is.
    templated_by: Value | None = None
    endpoint: str | None = None  # the URL or base URL it is sent to, as far as it is known

    @property
    def is_chat(self) -> bool:
        return self.api in CHAT_APIS

    def effective_temperature(self) -> tuple[float | None, str]:
        """The temperature the request runs at, and where that number comes from."""
        if self.temperature is not None:
            lit = self.temperature.literal
            if isinstance(lit, (int, float)) and not isinstance(lit, bool):
                return float(lit), self.temperature.origin()
            if isinstance(lit, str):
                try:
                    return float(lit), self.temperature.origin()
                except ValueError:
                    return None, "unresolved"
            return None, "unresolved"
        if self.default_temperature is None:
            return None, "unset"
        return self.default_temperature, f"the default of {self.client}"


LIMIT_FIELDS = ("max_tokens", "max_completion_tokens")
SCORE_FIELDS = ("logprobs", "top_logprobs", "prompt_logprobs", "echo")


def output_fields(fields: Mapping[str, Scalar]) -> tuple[int | None, tuple[str, ...]]:
    """What a request asks to get back, from its literal fields: the output token limit (when written as a
    number) and the fields that ask for scores rather than text (`logprobs: 1`, `prompt_logprobs: 0`,
    `echo: true`: what an evaluation harness sends to score choices)."""
    limit = next((v for k in LIMIT_FIELDS if isinstance(v := fields.get(k), int) and not isinstance(v, bool)), None)
    scores = tuple(k for k in SCORE_FIELDS if k in fields and fields[k] is not None and fields[k] is not False
                   and (k != "echo" or fields[k] is True))
    return limit, scores


@dataclass(frozen=True)
class ScriptRun:
    """A command line that runs a Python program, which may be the project's own: `python eval.py --model X`,
    `python -m pkg.cli ...`, `torchrun ... train.py ...`, `accelerate launch ...`, `deepspeed ...`. The
    linker joins it to the program's file and lets the options it passes override the defaults that file's
    facts were resolved with (`Value.options`)."""

    location: Location
    launcher: str  # as the command line says it: `python`, `torchrun`, `accelerate launch`, `deepspeed`
    script: str | None  # the program's path as written (`eval.py`, `./scripts/eval.py`), or
    module: str | None  # the module `-m` names (`pkg.cli`)
    options: tuple[tuple[str, Value], ...] = ()  # each option it passes (dashes as underscores), its value
    context: Context = "code"

    def describe(self) -> str:
        """`python eval.py`, `torchrun -m pkg.cli`: how the program is named on the command line."""
        return f"{self.launcher} {self.script}" if self.script else f"{self.launcher} -m {self.module}"


@dataclass(frozen=True)
class EnvBinding:
    """A variable assignment that other files may read: `.env`, compose `environment:`, k8s `env:`, `ENV`."""

    name: str
    value: Value
    scope: str = "project"


@dataclass(frozen=True)
class Route:
    """A name that reaches launches elsewhere: a Kubernetes Service, whose selector picks the pods (the
    `labels` of a `Serve`) and whose `ports` clients call."""

    name: str
    location: Location
    ports: tuple[int, ...] = ()
    selector: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ParseError:
    path: str
    reason: str
    line: int | None = None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"path": self.path, "reason": self.reason}
        if self.line is not None:
            out["line"] = self.line
        return out


@dataclass
class FileFacts:
    """Everything one file said. Mutable while its extractor runs, then treated as read-only."""

    path: str
    kind: str
    serves: list[Serve] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    env: list[EnvBinding] = field(default_factory=list)
    errors: list[ParseError] = field(default_factory=list)
    runs: list[ScriptRun] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)

    @property
    def says_nothing(self) -> bool:
        """No fact and no error: a file the scan need not keep (most files)."""
        return not (self.serves or self.requests or self.env or self.errors or self.routes or self.runs)

    def extend(self, other: FileFacts) -> None:
        self.serves.extend(other.serves)
        self.requests.extend(other.requests)
        self.env.extend(other.env)
        self.errors.extend(other.errors)
        self.runs.extend(other.runs)
        self.routes.extend(other.routes)
