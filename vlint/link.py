"""Facts from the whole project meet: variables get their values, aliases their models.

A client's `model="qwen-prod"` resolves through a launch's `--served-model-name qwen-prod` (or a KServe
`--model_name`, a Ray `model_id`, a LiteLLM `model_name`, llama.cpp's `--alias`, an Ollama tag) to the model
really served. A client that asks the server for its model (`client.models.list().data[0].id`) gets the
models of the launches it reaches (`vlint.reach`: by URL, by place, else any launch, with a confidence that
says which). Variables resolve through `.env` files, compose `environment:`, k8s `env:` and shell
assignments collected project-wide. What cannot be resolved stays unresolved, and is never guessed.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from vlint.extract.placeholders import has_placeholder
from vlint.facts import EnvBinding, FileFacts, Location, Request, Serve, Value
from vlint.findings import Confidence
from vlint.programs import apply_script_runs
from vlint.reach import Reachability


@dataclass(frozen=True)
class LinkedRequest:
    request: Request
    model: str
    model_value: Value
    via: tuple[Serve, ...] = ()          # the launches the request reaches (an alias's, or of its model)
    candidates: tuple[str, ...] = ()     # the models those launches serve, when they decide the model
    reach: str = ""                      # how a request that asks the server for its model reached `via`
    reach_confidence: Confidence | None = None  # and how sure that is (caps the finding's confidence)

    @property
    def ambiguous(self) -> bool:
        return len(set(self.candidates)) > 1


@dataclass(frozen=True)
class LinkedServe:
    serve: Serve
    model: str
    model_value: Value
    linked_requests: int = 0


@dataclass(frozen=True)
class Project:
    requests: tuple[LinkedRequest, ...]
    serves: tuple[LinkedServe, ...]


def _env_table(facts: Iterable[FileFacts]) -> dict[str, list[EnvBinding]]:
    table: dict[str, list[EnvBinding]] = {}
    for file_facts in facts:
        for binding in file_facts.env:
            if binding.value.literal is not None:
                table.setdefault(binding.name, []).append(binding)
    return table


@dataclass
class _Modules:
    """The project's modules that values import from (`from .settings import MODEL`), read for their constants.

    The scanned tree is untrusted: a module is read only when it is a regular file inside the project
    (its real path under the scan root, so a symlink that leaves the project is never followed), no
    larger than `max_file_size` (the limit every other read obeys), and at most once per link run.
    """

    root: Path
    max_file_size: int
    read: dict[Path, dict[str, tuple[object, int, int]]] = field(default_factory=dict)

    def constants(self, candidate: Path) -> dict[str, tuple[object, int, int]] | None:
        """Name -> (value, line, column) of a module file; None when it is not a module we may read."""
        try:
            real = candidate.resolve()
        except (OSError, RuntimeError):  # a symlink loop
            return None
        if real in self.read:
            return self.read[real]
        if not real.is_relative_to(self.root) or not real.is_file():
            return None
        try:
            with open(real, "rb") as handle:
                data = handle.read(self.max_file_size + 1)
        except OSError:
            return None
        if len(data) > self.max_file_size:
            constants: dict[str, tuple[object, int, int]] = {}
        else:
            from vlint.extract.python.constants import module_constants

            constants = module_constants(data.decode("utf-8", errors="replace"))
        self.read[real] = constants
        return constants

    def resolve(self, value: Value, importer: str, base: Path) -> Value | None:
        """`from .settings import MODEL` / `settings.MODEL`: the constant in that module's file, if it is in
        the project (looked up next to the importing file, then from the folders above it)."""
        module, _, name = value.symbol.partition(":")  # type: ignore[union-attr]
        level = len(module) - len(module.lstrip("."))
        parts = [p for p in module.lstrip(".").split(".") if p]
        here = (base / importer).parent
        inside = [p for p in (here, *here.parents) if p == base or base in p.parents]  # never above the scan root
        folders = (inside[level - 1:level] if level else inside)
        for folder in folders:
            for candidate in (folder.joinpath(*parts).with_suffix(".py") if parts else None,
                              folder.joinpath(*parts, "__init__.py")):
                if candidate is None or not candidate.is_file():
                    continue
                constants = self.constants(candidate)
                if constants is None or name not in constants:
                    return None
                literal, line, column = constants[name]
                shown = _display(candidate, base)
                location = Location(shown, line, column)
                return replace(value, literal=literal, symbol=None, location=location,
                               note=f"`{name}` set in {shown}")
        return None


def _display(path: Path, base: Path) -> str:
    return Path(os.path.relpath(path, base)).as_posix()


def resolve_value(value: Value | None, env: dict[str, list[EnvBinding]], base: Path,
                  modules: _Modules) -> Value | None:
    """A Value whose environment reference is replaced by the project's one agreed assignment, and whose
    imported constant is replaced by its value in the imported module."""
    if value is not None and value.symbol is not None and value.location is not None:
        value = modules.resolve(value, value.location.path, base)
    if value is None or value.env is None:
        return value
    bindings = env.get(value.env, [])
    # A real assignment (`.env`, `environment:`) beats a `${X:-default}` written elsewhere.
    bindings = [b for b in bindings if not b.value.is_default] or bindings
    literals = {str(b.value.literal) for b in bindings}
    if len(literals) == 1:
        chosen = bindings[0].value
        where = f" at {chosen.location}" if chosen.location else ""
        return value.with_literal(chosen.literal, f"${value.env} set{where}", chosen.location or value.location)
    if value.literal is not None:
        return value  # the default written next to the lookup
    return None


def _served_model(serve: Serve, env: dict[str, list[EnvBinding]], base: Path, modules: _Modules) -> Value | None:
    value = resolve_value(serve.model, env, base, modules)
    if value is None or not isinstance(value.literal, str) or not value.literal.strip() \
            or has_placeholder(value.literal):
        return None  # `vllm serve <model>` in a README names no model
    return value


CONFIG_LAUNCHERS = {"vllm-config": "vLLM --config file", "Ollama Modelfile": "Modelfile"}
_NOT_A_SERVER = frozenset({"vllm run-batch"})  # a batch run answers no request


def _config_kind(serve: Serve) -> str:
    """Which kind of file a launch's `config_file` names: an Ollama Modelfile or a vLLM --config file."""
    return "Ollama Modelfile" if serve.launcher == "Ollama" else "vllm-config"


def _join_configs(serves: list[tuple[Serve, Value]], pending: list[Serve]) -> tuple[set[int], list[Serve]]:
    """`vllm serve --config conf.yaml` / `ollama create NAME -f Modelfile` without a model: the model is in
    that file, found by its path from the launch's folder, else by its name when one file has it. Appends the
    joined launches to `serves`; returns the ids of the config files they were joined to, and the launches
    that found none."""
    by_path: dict[tuple[str, str], list[tuple[Serve, Value]]] = {}
    by_name: dict[tuple[str, str], list[tuple[Serve, Value]]] = {}
    for serve, value in serves:
        if serve.launcher in CONFIG_LAUNCHERS:
            by_path.setdefault((serve.launcher, serve.location.path), []).append((serve, value))
            for name in {serve.location.path.rsplit("/", 1)[-1], (serve.config_file or "").rsplit("/", 1)[-1]}:
                if name:
                    by_name.setdefault((serve.launcher, name), []).append((serve, value))
    joined: set[int] = set()
    alone: list[Serve] = []
    for serve in pending:
        kind = _config_kind(serve)
        written = serve.config_file.replace("\\", "/")  # type: ignore[union-attr]
        relative = posixpath.normpath(posixpath.join(posixpath.dirname(serve.location.path), written))
        matches = by_path.get((kind, relative)) or by_name.get((kind, written.rsplit("/", 1)[-1]), [])
        if len({str(v.literal) for _, v in matches}) != 1:
            alone.append(serve)
            continue
        config_serve, value = matches[0]
        joined.add(id(config_serve))
        note = f"`{'FROM' if kind == 'Ollama Modelfile' else 'model:'}` of {written} at " \
               f"{value.location or config_serve.location}"
        serves.append((replace(serve, served_names=serve.served_names or config_serve.served_names,
                               chat_template=serve.chat_template or config_serve.chat_template,
                               temperature=serve.temperature or config_serve.temperature),
                       replace(value, note=note)))
    return joined, alone


@dataclass
class _Linker:
    """What linking one request needs: the project's launches by served name and by model, and where each
    launch is reached (`vlint.reach`)."""

    aliases: dict[str, list[tuple[Serve, Value]]]
    unknown_aliases: dict[str, list[Serve]]  # names served by launches whose model is not known
    serves_of_model: dict[str, tuple[Serve, ...]]
    launches: tuple[Serve, ...]  # every launch a request can reach (config files that were joined, batch runs out)
    value_of: dict[int, Value]
    reach: Reachability
    by_alias: dict[tuple[str, str, str], tuple[tuple[Serve, ...], tuple[str, ...], Value] | None] = \
        field(default_factory=dict)

    def _alias(self, request: Request, name: str) -> tuple[tuple[Serve, ...], tuple[str, ...], Value] | None:
        """The launches serving `name` as an alias (of the request's context first, narrowed by its URL when
        that picks some out), their models, and the first one's model; None when no launch serves it. A
        launch whose model is not known but that serves the name counts too: its model shows as unknown."""
        hits = self.aliases.get(name.lower(), [])
        unknown = self.unknown_aliases.get(name.lower(), [])
        if not hits and unknown:
            shown = _unknown_model(unknown[0])
            return tuple(unknown), tuple(_unknown_model(s) for s in unknown), Value(
                shown, unknown[0].location, note=f"served as `{name}` by {unknown[0].launcher} at "
                                                 f"{unknown[0].location}, whose model is not known")
        if not hits:
            return None
        # A README documenting another model under the same alias must not make real code ambiguous.
        hits = [h for h in hits if h[0].context == request.context] or hits
        narrowed = self.reach.by_endpoint(request, [s for s, _ in hits]) if len(hits) > 1 else None
        if narrowed is not None:
            hits = [h for h in hits if any(h[0] is s for s in narrowed)]
        first_serve, first_value = hits[0]
        note = f"served as `{name}` by {first_serve.launcher} at {first_serve.location}"
        return ((*(s for s, _ in hits), *unknown), (*(str(v.literal) for _, v in hits),
                                                   *(_unknown_model(s) for s in unknown)),
                replace(first_value, note=note))

    def named(self, request: Request, value: Value) -> LinkedRequest:
        """A request that names its model: through a served alias, else directly (with the launches of that
        model it reaches, whose chat template and defaults apply to it)."""
        name = str(value.literal).strip()
        key = (name.lower(), request.context, request.endpoint or "")
        if key not in self.by_alias:  # once per alias: a monorepo may use one alias from 1,000 places
            self.by_alias[key] = self._alias(request, name)
        shared = self.by_alias[key]
        if shared is not None:
            via, models, resolved = shared
            return LinkedRequest(request=request, model=str(resolved.literal), model_value=resolved, via=via,
                                 candidates=models)
        launches = self.serves_of_model.get(name.lower(), ())
        via = self.reach.reach(request, launches, scope="of this model").launches if launches else ()
        return LinkedRequest(request=request, model=name, model_value=value, via=via)

    def served(self, request: Request, value: Value) -> LinkedRequest | None:
        """A request that asks the server for its model (`models.list().data[0].id`): the models of the
        launches it reaches, with how it reached them; None when it reaches none."""
        reached = self.reach.reach(request, self.launches)
        known = [s for s in reached.launches if id(s) in self.value_of]
        if not known:
            return None  # it reaches no launch, or only launches whose model is not known
        first = known[0]
        shown = f"{first.launcher} at {first.location}"
        if len(reached.launches) > 1:
            shown += f" and {len(reached.launches) - 1} more"
        note = f"{value.note or 'the model the server lists'}, linked {reached.how} to {shown}"
        models = tuple(str(self.value_of[id(s)].literal) if id(s) in self.value_of else _unknown_model(s)
                       for s in reached.launches)
        return LinkedRequest(request=request, model=str(self.value_of[id(first)].literal),
                             model_value=replace(self.value_of[id(first)], note=note), via=reached.launches,
                             candidates=models, reach=reached.how, reach_confidence=reached.confidence)


def _unknown_model(serve: Serve) -> str:
    """What a launch whose model is not known serves, as the evidence shows it (`$MODEL`, `?`)."""
    value = serve.model
    if value is not None and value.env:
        return f"${value.env}"
    return "?" if value is None or value.literal is None else str(value.literal)


def link(all_facts: Sequence[FileFacts], base: Path | None = None, *, max_file_size: int) -> Project:
    """`base` is the folder display paths are relative to (the scan's working directory), and the root no
    imported module is looked up above; `max_file_size` bounds each imported module read (the config's)."""
    base = Path(os.path.abspath(base or Path.cwd()))
    all_facts = apply_script_runs(all_facts)  # `python eval.py --model X`: the options a run passes (programs.py)
    modules = _Modules(base.resolve(), max_file_size)
    env = _env_table(all_facts)
    serves: list[tuple[Serve, Value]] = []
    pending: list[Serve] = []
    unknown: list[Serve] = []  # launches whose model is not known: a request may still reach them
    for file_facts in all_facts:
        for serve in file_facts.serves:
            value = _served_model(serve, env, base, modules)
            if value is not None:
                serves.append((serve, value))
            elif serve.config_file:
                pending.append(serve)
            else:
                unknown.append(serve)
    joined, alone = _join_configs(serves, pending)

    aliases: dict[str, list[tuple[Serve, Value]]] = {}
    for serve, value in serves:
        for name in serve.served_names:
            aliases.setdefault(name.strip().lower(), []).append((serve, value))
    serves_of_model: dict[str, list[Serve]] = {}  # one pass, not one per request (10k-file trees)
    for serve, served in serves:
        serves_of_model.setdefault(str(served.literal).lower(), []).append(serve)
    unknown_aliases: dict[str, list[Serve]] = {}
    for serve in (*unknown, *alone):
        for name in serve.served_names:
            unknown_aliases.setdefault(name.strip().lower(), []).append(serve)
    linker = _Linker(
        aliases=aliases,
        unknown_aliases=unknown_aliases,
        serves_of_model={model: tuple(found) for model, found in serves_of_model.items()},
        launches=tuple(s for s in (*(s for s, _ in serves), *unknown, *alone)
                       if id(s) not in joined and s.launcher not in _NOT_A_SERVER),
        value_of={id(s): v for s, v in serves},
        reach=Reachability(route for file_facts in all_facts for route in file_facts.routes),
    )

    linked_requests: list[LinkedRequest] = []
    for file_facts in all_facts:
        for request in file_facts.requests:
            if request.temperature is not None and (request.temperature.env or request.temperature.symbol):
                resolved_temperature = resolve_value(request.temperature, env, base, modules)
                if resolved_temperature is not None:
                    request = replace(request, temperature=resolved_temperature)
            value = resolve_value(request.model, env, base, modules)
            if value is not None and value.served_model and value.literal is None:
                served = linker.served(request, value)
                if served is not None:
                    linked_requests.append(served)
                continue
            if value is None or not isinstance(value.literal, str) or not value.literal.strip():
                continue
            linked_requests.append(linker.named(request, value))
    use_count: dict[int, int] = {}
    for linked in linked_requests:
        for serve in linked.via:
            use_count[id(serve)] = use_count.get(id(serve), 0) + 1

    linked_serves = tuple(
        LinkedServe(serve=serve, model=str(value.literal), model_value=value,
                    linked_requests=use_count.get(id(serve), 0))
        for serve, value in serves
    )
    return Project(tuple(linked_requests), linked_serves)
