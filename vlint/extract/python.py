"""Python client code through libcst: requests to models, vLLM offline engines, subprocess launches.

Which calls matter comes from `rules/clients.yaml`; this module only knows Python syntax and how to
resolve a value inside one module (literals, constants, parameter and argparse defaults, environment
lookups, dict literals used as keyword sets or bodies). What cannot be resolved stays unresolved.

Nothing reaches libcst that CPython's parser refuses or that is nested deeper than libcst's native parser
survives (`pyguard`). The cost is libcst's parse, so the extractor does as little else as it can: the
prefilter (CPython's `ast`, `vlint.extract.Survey`) decides whether a file needs libcst at all; `pyslice` leaves out the
statements nothing this module reads can depend on; `cstwalk.Walk` visits the tree once without rebuilding it;
and `cstwalk.Positions` computes a node's position only when a fact needs it. Each of those is checked
against libcst's own machinery in the tests (identical facts and positions).
"""

from __future__ import annotations

import ast
import dataclasses
import fnmatch
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any

import libcst as cst

from vlint.extract.cstwalk import Positions, Walk, parse_module
from vlint.extract.pyguard import Refusal, nesting_refusal, parse_with_cpython

if TYPE_CHECKING:
    from vlint.extract import Survey
from vlint.facts import FileFacts, Location, ParseError, Request, Value
from vlint.knowledge import load_data

_UNRESOLVED = object()


@dataclass(frozen=True)
class CallSpec:
    api: str
    client: str
    model: tuple[Any, ...]
    temperature: tuple[str, ...]
    default_temperature: float | None
    messages: str | None = None
    prompt: str | None = None
    needs: str | None = None
    strip_prefix: bool = False
    body: str | None = None
    chat_flag: str | None = None
    api_switch: tuple[str, tuple[tuple[str, str], ...]] | None = None


@dataclass(frozen=True)
class Catalogue:
    by_suffix: tuple[tuple[tuple[str, ...], CallSpec], ...]
    by_qualname: tuple[tuple[str, CallSpec], ...]
    transparent: frozenset[str]
    provider_prefixes: tuple[str, ...]
    engines: tuple[str, ...]
    engine_model: tuple[Any, ...]
    engine_methods: dict[str, str]
    sampling_params: tuple[str, ...]
    sampling_position: dict[str, int]
    offline_default_temperature: float
    http_methods: frozenset[str]
    http_routes: tuple[tuple[str, str], ...]
    http_body: tuple[str, ...]
    http_default_temperature: float
    prefilter: tuple[str, ...]


def _spec(entry: dict[str, Any]) -> CallSpec:
    return CallSpec(
        api=entry["api"],
        client=entry.get("client", entry.get("suffix") or entry.get("qualname")),
        model=tuple(entry.get("model", ["model"])),
        temperature=tuple(entry.get("temperature", ["temperature"])),
        default_temperature=entry.get("default_temperature"),
        messages=entry.get("messages"),
        prompt=entry.get("prompt"),
        needs=entry.get("needs"),
        strip_prefix=bool(entry.get("strip_prefix", False)),
        body=entry.get("body"),
        chat_flag=entry.get("chat_flag"),
        api_switch=(entry["api_switch"]["keyword"], tuple(entry["api_switch"]["values"].items()))
        if "api_switch" in entry else None,
    )


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    data = load_data("clients.yaml")
    by_suffix, by_qualname = [], []
    for entry in data["calls"]:
        if "suffix" in entry:
            by_suffix.append((tuple(entry["suffix"].split(".")), _spec(entry)))
        else:
            by_qualname.append((entry["qualname"], _spec(entry)))
    off, http = data["offline"], data["http"]
    routes = sorted(http["routes"].items(), key=lambda kv: -len(kv[0]))
    return Catalogue(
        by_suffix=tuple(by_suffix),
        by_qualname=tuple(by_qualname),
        transparent=frozenset(data.get("transparent_segments", [])),
        provider_prefixes=tuple(data.get("provider_prefixes", [])),
        engines=tuple(off["engine"]),
        engine_model=tuple(off["engine_model"]),
        engine_methods=dict(off["methods"]),
        sampling_params=tuple(off["sampling_params"]),
        sampling_position=dict(off["sampling_params_position"]),
        offline_default_temperature=float(off["default_temperature"]),
        http_methods=frozenset(http["methods"]),
        http_routes=tuple(routes),
        http_body=tuple(http["body_keywords"]),
        http_default_temperature=float(http["default_temperature"]),
        prefilter=tuple(data["prefilter"]),
    )


def prefilter(text: str) -> tuple[bool, ast.Module | Refusal | None, Survey | None]:
    """Whether libcst needs to see `text`: False only for a text this extractor provably gets nothing
    from. Two stages (the argument is written in `vlint.extract`): words in the text, which a scan has
    already checked before importing this module, then the calls in CPython's `ast`. With it, CPython's
    tree of the file (or why CPython refuses it, which the extractor reports), which anchors the positions,
    and the survey of that tree, which says what libcst need not parse."""
    from vlint.extract import Survey, python_words_match

    if not python_words_match(text):
        return False, None, None
    tree = parse_with_cpython(text)
    if isinstance(tree, Refusal):
        return True, tree, None
    survey = Survey(tree)
    return next(survey.matching_calls(), None) is not None, tree, survey


@lru_cache(maxsize=4096)
def _match_qualname(qual: str) -> CallSpec | None:
    """The first catalogue entry whose qualname pattern matches (callee names repeat: cached)."""
    for pattern, spec in catalogue().by_qualname:
        if fnmatch.fnmatchcase(qual, pattern):
            return spec
    return None


def strip_provider_prefix(model: str) -> str:
    for prefix in catalogue().provider_prefixes:
        if model.startswith(prefix):
            return model[len(prefix):]
    return model


# --------------------------------------------------------------------------------------------------
# Scopes: what names mean inside one module


class Binding:
    """What a name is bound to, and on which line: `line` may be given as a function, so a binding that is
    never looked up never has its position computed."""

    __slots__ = ("node", "_line", "value")

    def __init__(self, node: cst.BaseExpression | None, line: int | Callable[[], int],
                 value: Value | None = None) -> None:
        self.node = node
        self._line = line
        self.value = value  # a precomputed value (parameter defaults, argparse)

    @property
    def line(self) -> int:
        if not isinstance(self._line, int):
            self._line = self._line()
        return self._line


@dataclass
class Scope:
    kind: str  # module | function | class
    parent: Scope | None
    names: dict[str, list[Binding]] = field(default_factory=dict)
    params: dict[str, Binding] = field(default_factory=dict)

    def bind(self, name: str, binding: Binding) -> None:
        self.names.setdefault(name, []).append(binding)

    def lookup(self, name: str, line: int) -> Binding | None:
        scope: Scope | None = self
        while scope is not None:
            if scope.kind == "class" and scope is not self:
                scope = scope.parent  # class bodies are not visible from methods
                continue
            found = scope.names.get(name)
            if found:
                before = [b for b in found if b.line <= line] or found
                return before[-1]
            if name in scope.params:
                return scope.params[name]
            scope = scope.parent
        return None


def dotted_name(node: cst.BaseExpression) -> str | None:
    """`a.b.c` for Name/Attribute chains; None for anything else (calls, subscripts)."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


def attribute_chain(node: cst.BaseExpression) -> list[str]:
    """The trailing attribute names of a callee, even when its root is a call (`OpenAI().chat...`)."""
    parts: list[str] = []
    while True:
        if isinstance(node, cst.Attribute):
            parts.append(node.attr.value)
            node = node.value
        elif isinstance(node, cst.Name):
            parts.append(node.value)
            break
        elif isinstance(node, cst.Call):
            node = node.func
            parts.append("()")
        else:
            break
    return list(reversed(parts))


# --------------------------------------------------------------------------------------------------
# The visitor


def _line_of(box: list[Positions], node: cst.CSTNode) -> int:
    return box[0].line(node)


class _Collector:
    """The one walk (`cstwalk.Walk`): bindings per scope, imports, argparse options, class attributes, and
    every call with the scope it is made in, for `_Extractor` to read once all bindings are known."""

    @property
    def positions(self) -> Positions:  # set once the walk is over; lines are asked for lazily
        return self._positions[0]

    @positions.setter
    def positions(self, value: Positions) -> None:
        self._positions[0] = value

    def __init__(self) -> None:
        self._positions: list[Positions] = [None]  # type: ignore[list-item]  # one box, filled after the walk
        self.module_scope = Scope("module", None)
        self.scope = self.module_scope
        self.scope_of: dict[int, Scope] = {}
        self.imports: dict[str, str] = {}
        self.argparse: dict[str, Binding] = {}
        self.self_attrs: dict[str, list[Binding]] = {}
        self.all_bindings: dict[str, list[Binding]] = {}
        self.class_stack: list[str] = []
        self.classes: dict[str, Scope] = {}
        self.from_imports: dict[str, tuple[str, str]] = {}
        self.calls: list[tuple[cst.Call, Scope]] = []

    def _line(self, node: cst.CSTNode) -> Callable[[], int]:
        # Not a closure over `self`: that would make every binding a cycle back to the collector, which
        # keeps the file's whole tree alive until the garbage collector comes by.
        return partial(_line_of, self._positions, node)

    def _push(self, node: cst.CSTNode, kind: str) -> None:
        self.scope = Scope(kind, self.scope)
        self.scope_of[id(node)] = self.scope

    def _pop(self) -> None:
        assert self.scope.parent is not None
        self.scope = self.scope.parent

    def visit_Module(self, node: cst.Module) -> None:
        self.scope_of[id(node)] = self.module_scope

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.scope.bind(node.name.value, Binding(None, self._line(node)))
        self._push(node, "class")
        self.classes[node.name.value] = self.scope
        self.class_stack.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._pop()
        self.class_stack.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.scope.bind(node.name.value, Binding(None, self._line(node)))
        self._push(node, "function")
        params = node.params
        option_defaults = self._click_option_defaults(node)
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            line: int | Callable[[], int] = self._line(param)
            if param.default is not None:
                self.scope.params[param.name.value] = Binding(param.default, line)
            elif param.name.value in option_defaults:
                self.scope.params[param.name.value] = option_defaults[param.name.value]
            else:
                self.scope.params[param.name.value] = Binding(None, line)

    def _click_option_defaults(self, node: cst.FunctionDef) -> dict[str, Binding]:
        """`@click.option("--model-name", default=X)` gives parameter `model_name` the default X."""
        out: dict[str, Binding] = {}
        for decorator in node.decorators:
            call = decorator.decorator
            if not isinstance(call, cst.Call) or attribute_chain(call.func)[-1:] != ["option"]:
                continue
            names = [a.value.evaluated_value for a in call.args
                     if a.keyword is None and isinstance(a.value, cst.SimpleString)]
            names = [n for n in names if isinstance(n, str)]
            default = next((a.value for a in call.args if a.keyword is not None and a.keyword.value == "default"),
                           None)
            plain = [n for n in names if not n.startswith("-")]
            longs = [n for n in names if n.startswith("--")]
            dest = plain[0] if plain else (longs[0].lstrip("-").split("/")[0].replace("-", "_") if longs else None)
            if dest and default is not None:
                out[dest] = Binding(default, self._line(decorator))
        return out

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._push(node, "function")

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self._pop()

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = dotted_name(alias.name) or ""
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.imports[alias.asname.name.value] = full
            else:
                self.imports[full.split(".")[0]] = full.split(".")[0]

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        module = dotted_name(node.module) if node.module is not None else ""
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            name = dotted_name(alias.name) or ""
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self.imports[local] = f"{module}.{name}" if module else name
            dots = "." * len(node.relative)
            self.from_imports[local] = (f"{dots}{module}", name)

    def _bind_target(self, target: cst.BaseExpression, value: cst.BaseExpression | None,
                     line: int | Callable[[], int]) -> None:
        if isinstance(target, cst.Name):
            binding = Binding(value, line)
            self.scope.bind(target.value, binding)
            self.all_bindings.setdefault(target.value, []).append(binding)
        elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
            if target.value.value in ("self", "cls"):
                self.self_attrs.setdefault(target.attr.value, []).append(Binding(value, line))
        elif isinstance(target, (cst.Tuple, cst.List)):
            values: Sequence[cst.BaseExpression | None]
            if isinstance(value, (cst.Tuple, cst.List)) and len(value.elements) == len(target.elements):
                values = [e.value for e in value.elements]
            else:
                values = [None] * len(target.elements)
            for element, sub in zip(target.elements, values, strict=False):
                self._bind_target(element.value, sub, line)

    def visit_Assign(self, node: cst.Assign) -> None:
        line = self._line(node)
        for target in node.targets:
            self._bind_target(target.target, node.value, line)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._bind_target(node.target, node.value, self._line(node))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        # `x += ...` makes x's value unknowable statically.
        self._bind_target(node.target, None, self._line(node))

    def visit_For(self, node: cst.For) -> None:
        self._bind_target(node.target, None, self._line(node))

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._bind_target(node.asname.name, node.item, self._line(node))

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append((node, self.scope))
        func = node.func
        name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
        if name == "add_argument":
            self._record_argparse(node)

    def _record_argparse(self, node: cst.Call) -> None:
        flags = [a.value for a in node.args if a.keyword is None]
        dest: str | None = None
        default: cst.BaseExpression | None = None
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value == "dest" and isinstance(arg.value, cst.SimpleString):
                dest = arg.value.evaluated_value if isinstance(arg.value.evaluated_value, str) else None
            if arg.keyword is not None and arg.keyword.value == "default":
                default = arg.value
        if dest is None:
            names = [f.evaluated_value for f in flags if isinstance(f, cst.SimpleString)]
            names = [n for n in names if isinstance(n, str)]
            longs = [n for n in names if n.startswith("--")]
            chosen = longs[0] if longs else (names[0] if names else None)
            if chosen is None:
                return
            dest = chosen.lstrip("-").replace("-", "_")
        if default is not None:
            self.argparse[dest] = Binding(default, self._line(node))


class _Extractor:
    """Every call the catalogue knows becomes a Request: read after the walk, in source order, each call
    in the scope the walk saw it in."""

    def __init__(self, path: str, collector: _Collector, facts: FileFacts) -> None:
        self.path = path
        self.c = collector
        self.facts = facts
        self.cat = catalogue()
        self.scope = collector.module_scope
        self.positions = collector.positions

    def run(self) -> None:
        for call, scope in self.c.calls:
            self.scope = scope
            self.visit_Call(call)

    def _loc(self, node: cst.CSTNode) -> Location:
        pos = self.positions.start(node)
        return Location(self.path, pos.line, pos.column + 1)

    # ---- value resolution ------------------------------------------------------------------------

    def value_of(self, node: cst.BaseExpression | None, line: int, depth: int = 0) -> Value | None:
        """A Value for an expression, or None when it cannot be known statically."""
        if node is None or depth > 12:
            return None
        def loc() -> Location:  # positions cost a statement's code generation: only for a Value
            return self._loc(node)

        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            value = node.evaluated_value
            if isinstance(value, bytes):
                value = value.decode("utf-8", "replace")
            return Value(value, loc()) if isinstance(value, str) else None
        if isinstance(node, cst.Integer):
            return Value(int(node.evaluated_value), loc())
        if isinstance(node, cst.Float):
            return Value(float(node.evaluated_value), loc())
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
            inner = self.value_of(node.expression, line, depth + 1)
            if inner and isinstance(inner.literal, (int, float)) and not isinstance(inner.literal, bool):
                return Value(-inner.literal, loc(), inner.note)
            return None
        if isinstance(node, cst.Name):
            if node.value in ("True", "False", "None"):
                return Value({"True": True, "False": False, "None": None}[node.value], loc())
            named = self._resolve_name(node.value, line, depth)
            if named is not None and named.location is None:
                named = dataclasses.replace(named, location=loc())
            return named
        if isinstance(node, cst.FormattedString):
            return self._resolve_fstring(node, line, depth)
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
            left = self.value_of(node.left, line, depth + 1)
            right = self.value_of(node.right, line, depth + 1)
            if left and right and isinstance(left.literal, str) and isinstance(right.literal, str):
                return Value(left.literal + right.literal, loc(), "concatenation")
            return None
        if isinstance(node, cst.Call):
            return self._resolve_call_value(node, line, depth)
        if isinstance(node, cst.Attribute):
            attribute = self._resolve_attribute(node, line, depth)
            if attribute is not None and attribute.location is None:
                attribute = dataclasses.replace(attribute, location=loc())
            return attribute
        if isinstance(node, cst.Subscript):
            return self._resolve_subscript(node, line, depth)
        if isinstance(node, cst.IfExp):
            # `sys.argv[1] if len(sys.argv) > 1 else "Qwen/..."`: when one branch alone is knowable, it is
            # the value the code falls back to.
            body = self.value_of(node.body, line, depth + 1)
            orelse = self.value_of(node.orelse, line, depth + 1)
            known = [v for v in (body, orelse) if v is not None and v.known]
            if len(known) == 2 and known[0].literal == known[1].literal:
                return known[0]
            if len(known) == 1:
                v = known[0]
                return Value(v.literal, v.location, v.note or "the literal branch of a conditional", v.env, True)
            return None
        if isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.Or):
            # `os.getenv("M") or "default"`: the right side is the fallback.
            left = self.value_of(node.left, line, depth + 1)
            right = self.value_of(node.right, line, depth + 1)
            if left is not None and left.env and right is not None and right.known:
                return Value(right.literal, loc(), f"fallback when ${left.env} is unset", env=left.env,
                             is_default=True)
            return left if left is not None and left.known else None
        return None

    def _resolve_name(self, name: str, line: int, depth: int) -> Value | None:
        binding = self.scope.lookup(name, line)
        if binding is None:
            if name in self.c.from_imports:
                # `from .settings import MODEL`: the linker reads that module's constants.
                module, imported = self.c.from_imports[name]
                return Value(None, None, f"`{imported}` imported from {module or '.'}", symbol=f"{module}:{imported}")
            return None
        if binding.value is not None:
            return binding.value
        if binding.node is None:
            return None
        value = self.value_of(binding.node, binding.line, depth + 1)
        if value is None:
            return None
        if value.note:
            return value
        param = name in self._params_chain()
        note = f"default of parameter `{name}`" if param else f"`{name}` set at line {binding.line}"
        return dataclasses.replace(value, note=note)

    def _params_chain(self) -> set[str]:
        names: set[str] = set()
        scope: Scope | None = self.scope
        while scope is not None:
            names.update(scope.params)
            scope = scope.parent
        return names

    def _resolve_fstring(self, node: cst.FormattedString, line: int, depth: int) -> Value | None:
        parts: list[str] = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                parts.append(part.value)
            elif isinstance(part, cst.FormattedStringExpression):
                inner = self.value_of(part.expression, line, depth + 1)
                if inner is None or inner.literal is None:
                    parts.append("\x00")  # an unknown piece: enough for route suffix checks
                else:
                    parts.append(str(inner.literal))
        text = "".join(parts)
        return Value(text, self._loc(node), "f-string", is_default="\x00" in text)

    def _qualname(self, node: cst.BaseExpression) -> str | None:
        name = dotted_name(node)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        if head in self.c.imports:
            base = self.c.imports[head]
            return f"{base}.{rest}" if rest else base
        return name

    def _resolve_call_value(self, node: cst.Call, line: int, depth: int) -> Value | None:
        qual = self._qualname(node.func) or ""
        loc = self._loc(node)
        if qual in ("os.environ.get", "os.getenv", "environ.get", "getenv", "os.environ.setdefault"):
            args = [a for a in node.args]
            if not args:
                return None
            key = self.value_of(args[0].value, line, depth + 1)
            if key is None or not isinstance(key.literal, str):
                return None
            default = self.value_of(args[1].value, line, depth + 1) if len(args) > 1 else None
            literal = default.literal if default is not None else None
            note = f"default of os.environ.get({key.literal!r})" if default is not None else ""
            return Value(literal, default.location if default else loc, note, env=key.literal,
                         is_default=default is not None)
        tail = qual.rsplit(".", 1)[-1]
        if tail in ("Option", "Argument", "Field", "field") and node.args:
            # typer.Option(default), pydantic Field(default=...), dataclasses field(default=...)
            default = next((a.value for a in node.args if a.keyword is not None and a.keyword.value == "default"),
                           None)
            if default is None and tail in ("Option", "Argument", "Field") and node.args[0].keyword is None:
                default = node.args[0].value
            value = self.value_of(default, line, depth + 1) if default is not None else None
            if value is not None and value.known:
                return Value(value.literal, value.location, value.note or f"default of {tail}()", value.env, True)
            return None
        if qual in ("str", "float", "int") and len(node.args) == 1:
            inner = self.value_of(node.args[0].value, line, depth + 1)
            if inner is None or inner.literal is None:
                return inner
            try:
                converted = {"str": str, "float": float, "int": int}[qual](inner.literal)
            except (TypeError, ValueError):
                return None
            return Value(converted, inner.location, inner.note, inner.env, inner.is_default)
        return None

    def _resolve_attribute(self, node: cst.Attribute, line: int, depth: int) -> Value | None:
        attr = node.attr.value
        base = node.value
        if isinstance(base, cst.Name) and base.value in ("self", "cls"):
            bindings = self.c.self_attrs.get(attr)
            if bindings:
                chosen = bindings[0] if len(bindings) == 1 else None
                if chosen is None:
                    values = {repr(self._resolve_in_module(b, depth)) for b in bindings}
                    if len(values) == 1:
                        chosen = bindings[0]
                if chosen is not None and chosen.node is not None:
                    return self._resolve_in_module(chosen, depth)
            return None
        if isinstance(base, cst.Name) and attr in self.c.argparse:
            binding = self.scope.lookup(base.value, line)
            if binding is not None and self._is_parse_args(binding.node) or base.value in ("args", "opts", "cli_args"):
                arg = self.c.argparse[attr]
                value = self._resolve_in_module(arg, depth)
                if value is not None:
                    return Value(value.literal, value.location, f"argparse default of --{attr.replace('_', '-')}",
                                 value.env, True)
        if isinstance(base, cst.Name) and self.scope.lookup(base.value, line) is None \
                and base.value in self.c.imports and base.value not in self.c.classes:
            module = self.c.imports[base.value]
            if base.value in self.c.from_imports:  # `from pkg import settings` then `settings.MODEL`
                parent, name = self.c.from_imports[base.value]
                module = f"{parent}.{name}" if parent.strip(".") else f"{parent}{name}"
            return Value(None, None, f"`{attr}` of module {module}", symbol=f"{module}:{attr}")
        return self._instance_attribute(node, line, depth)

    def _instance_attribute(self, node: cst.Attribute, line: int, depth: int) -> Value | None:
        """`cfg.model` where `cfg = Config(...)` (or `Config.model`) and the class body sets `model = ...`:
        dataclasses, pydantic settings and plain classes alike. A keyword given to the constructor wins."""
        attr = node.attr.value
        base = node.value
        call: cst.Call | None = None
        class_name: str | None = None
        if isinstance(base, cst.Name) and base.value in self.c.classes:
            class_name = base.value
        else:
            target: cst.BaseExpression | None = base
            if isinstance(base, cst.Name):
                binding = self.scope.lookup(base.value, line)
                target = binding.node if binding is not None else None
            if isinstance(target, cst.Call) and isinstance(target.func, cst.Name) \
                    and target.func.value in self.c.classes:
                call, class_name = target, target.func.value
        if class_name is None:
            return None
        if call is not None:
            for arg in call.args:
                if arg.keyword is not None and arg.keyword.value == attr:
                    return self.value_of(arg.value, line, depth + 1)
        bindings = self.c.classes[class_name].names.get(attr)
        if not bindings or bindings[-1].node is None:
            return None
        value = self._resolve_in_module(bindings[-1], depth)
        if value is None or not value.known:
            return None
        note = value.note or f"default of `{class_name}.{attr}`"
        return Value(value.literal, value.location, note, value.env, True)

    def _resolve_in_module(self, binding: Binding, depth: int) -> Value | None:
        saved = self.scope
        # Class attributes and argparse defaults resolve where they were written: near enough, the
        # module scope, with the parameters of the enclosing functions unknown.
        try:
            if binding.node is None:
                return binding.value
            value = self.value_of(binding.node, binding.line, depth + 1)
            if value is None and isinstance(binding.node, cst.Name):
                # `self.model = model` inside __init__: take the parameter default if any function has it.
                for scope in self.c.scope_of.values():
                    param = scope.params.get(binding.node.value)
                    if param is not None and param.node is not None:
                        self.scope = scope
                        inner = self.value_of(param.node, param.line, depth + 1)
                        if inner is not None:
                            return Value(inner.literal, inner.location,
                                         f"default of parameter `{binding.node.value}`", inner.env, True)
            return value
        finally:
            self.scope = saved

    @staticmethod
    def _is_parse_args(node: cst.BaseExpression | None) -> bool:
        return isinstance(node, cst.Call) and attribute_chain(node.func)[-1:] in (["parse_args"],
                                                                                 ["parse_known_args"])

    def _resolve_subscript(self, node: cst.Subscript, line: int, depth: int) -> Value | None:
        qual = self._qualname(node.value)
        if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
            return None
        key = self.value_of(node.slice[0].slice.value, line, depth + 1)
        if key is None:
            return None
        if qual == "os.environ" and isinstance(key.literal, str):
            return Value(None, self._loc(node), "", env=key.literal)
        mapping = self.dict_literal(node.value, line, depth + 1)
        if mapping is not None and key.literal in mapping:
            return self.value_of(mapping[key.literal], line, depth + 1)
        return None

    def dict_literal(self, node: cst.BaseExpression | None, line: int,
                     depth: int = 0) -> dict[Any, cst.BaseExpression] | None:
        """Keys to value nodes of a dict literal, `dict(...)` call, or a name bound to one."""
        if node is None or depth > 12:
            return None
        if isinstance(node, cst.Name):
            binding = self.scope.lookup(node.value, line)
            if binding is None or binding.node is None:
                return None
            return self.dict_literal(binding.node, binding.line, depth + 1)
        if isinstance(node, cst.Dict):
            out: dict[Any, cst.BaseExpression] = {}
            for element in node.elements:
                if isinstance(element, cst.DictElement):
                    key = self.value_of(element.key, line, depth + 1)
                    if key is not None and key.literal is not None:
                        out[key.literal] = element.value
                elif isinstance(element, cst.StarredDictElement):
                    inner = self.dict_literal(element.value, line, depth + 1)
                    if inner:
                        out.update(inner)
            return out
        if isinstance(node, cst.Call) and dotted_name(node.func) == "dict":
            out = {}
            for arg in node.args:
                if arg.keyword is not None:
                    out[arg.keyword.value] = arg.value
                elif arg.star == "**":
                    inner = self.dict_literal(arg.value, line, depth + 1)
                    if inner:
                        out.update(inner)
            return out
        return None

    def call_arguments(self, node: cst.Call, line: int) -> tuple[list[cst.BaseExpression], dict[str, cst.BaseExpression]]:
        """Positional and keyword argument nodes, with `**mapping` expanded when it is a literal."""
        positional: list[cst.BaseExpression] = []
        keywords: dict[str, cst.BaseExpression] = {}
        for arg in node.args:
            if arg.keyword is not None:
                keywords[arg.keyword.value] = arg.value
            elif arg.star == "**":
                mapping = self.dict_literal(arg.value, line)
                if mapping:
                    for key, value in mapping.items():
                        if isinstance(key, str):
                            keywords.setdefault(key, value)
            elif arg.star == "":
                positional.append(arg.value)
        return positional, keywords

    # ---- matching --------------------------------------------------------------------------------

    def match(self, node: cst.Call) -> CallSpec | None:
        qual = self._qualname(node.func)
        if qual is not None:
            spec = _match_qualname(qual)
            if spec is not None:
                return spec
        chain = [p for p in attribute_chain(node.func) if p not in self.cat.transparent]
        for suffix, spec in self.cat.by_suffix:
            if tuple(chain[-len(suffix):]) == suffix:
                return spec
        return None

    def _may_handle(self, node: cst.Call) -> bool:
        """Whether a call the catalogue does not name could still be an offline, HTTP or subprocess one
        (the first test of each of those handlers): the others need no position."""
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in self.cat.engine_methods:
            return True
        chain = attribute_chain(func)
        if chain and chain[-1] in self.cat.http_methods:
            return True
        qual = self._qualname(func) or ""
        return qual.startswith("subprocess.") or qual in ("os.system", "os.popen")

    def visit_Call(self, node: cst.Call) -> None:
        try:
            spec = self.match(node)
            if spec is None and not self._may_handle(node):
                return
            line = self._loc(node).line
            if spec is not None:
                self._client_request(node, spec, line)
                return
            if self._offline_request(node, line):
                return
            self._http_request(node, line)
            self._subprocess_launch(node, line)
        except RecursionError:
            self.facts.errors.append(ParseError(self.path, "expression too deeply nested to resolve",
                                                self._loc(node).line))

    def _pick(self, positional: list[cst.BaseExpression], keywords: dict[str, cst.BaseExpression],
              names: Sequence[Any]) -> cst.BaseExpression | None:
        for name in names:
            if isinstance(name, dict) and "pos" in name:
                if len(positional) > name["pos"]:
                    return positional[name["pos"]]
            elif name in keywords:
                return keywords[name]
        return None

    def _model_value(self, node: cst.BaseExpression | None, line: int, strip: bool) -> Value | None:
        value = self.value_of(node, line)
        if value is None:
            return None
        if isinstance(value.literal, str):
            literal = value.literal.strip()
            if strip:
                literal = strip_provider_prefix(literal)
            if "\x00" in literal or not literal:
                return None
            return Value(literal, value.location, value.note, value.env, value.is_default)
        if value.env is not None or value.symbol is not None:
            return value
        return None

    def _client_request(self, node: cst.Call, spec: CallSpec, line: int) -> None:
        positional, keywords = self.call_arguments(node, line)
        if spec.needs and spec.needs not in keywords:
            return
        api = spec.api
        if spec.chat_flag and spec.chat_flag in keywords:
            flag = self.value_of(keywords[spec.chat_flag], line)
            if flag is not None and flag.literal is True:
                api = "chat"
        if spec.api_switch and spec.api_switch[0] in keywords:
            chosen = self.value_of(keywords[spec.api_switch[0]], line)
            api = dict(spec.api_switch[1]).get(str(chosen.literal) if chosen else "", api)
        body = self.dict_literal(keywords.get(spec.body), line) if spec.body else None
        model = self._model_value(self._pick(positional, keywords, spec.model), line, spec.strip_prefix)
        temp_node = self._pick(positional, keywords, spec.temperature)
        if temp_node is None and body is not None:
            temp_node = body.get("temperature")
        temperature = self.value_of(temp_node, line) if temp_node is not None else None
        if temp_node is not None and temperature is None:
            temperature = Value(None, self._loc(temp_node), "unresolved expression")
        template = None
        if body is not None and "chat_template" in body:
            template = "request chat_template (extra_body)"
        messages = self._messages(keywords.get(spec.messages) if spec.messages else None, line)
        prompt_value = self.value_of(keywords.get(spec.prompt), line) if spec.prompt else None
        self.facts.requests.append(Request(
            location=self._loc(node), api=api, client=spec.client, model=model, temperature=temperature,
            default_temperature=spec.default_temperature, messages=messages,
            prompt=prompt_value.literal if prompt_value and isinstance(prompt_value.literal, str) else None,
            chat_template=template,
        ))

    def _messages(self, node: cst.BaseExpression | None, line: int) -> tuple[tuple[str, str], ...] | None:
        if node is None:
            return None
        if isinstance(node, cst.Name):
            binding = self.scope.lookup(node.value, line)
            node = binding.node if binding else None
        if not isinstance(node, cst.List):
            return None
        out = []
        for element in node.elements:
            mapping = self.dict_literal(element.value, line)
            if not mapping:
                return None
            role = self.value_of(mapping.get("role"), line)
            content = self.value_of(mapping.get("content"), line)
            if role is None or content is None or not isinstance(content.literal, str):
                return None
            out.append((str(role.literal), content.literal))
        return tuple(out)

    # ---- vLLM offline ----------------------------------------------------------------------------

    def _is_qual(self, node: cst.BaseExpression, candidates: Sequence[str]) -> bool:
        qual = self._qualname(node)
        return qual is not None and qual in candidates

    def _engine_call(self, node: cst.BaseExpression | None, line: int, depth: int = 0) -> cst.Call | None:
        """The `LLM(...)` call an expression refers to: inline, a variable, or a `self.` attribute."""
        if node is None or depth > 6:
            return None
        if isinstance(node, cst.Call) and self._is_qual(node.func, self.cat.engines):
            return node
        if isinstance(node, cst.Name):
            binding = self.scope.lookup(node.value, line)
            if binding is not None:
                return self._engine_call(binding.node, binding.line, depth + 1)
            return None
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value in ("self", "cls"):
            for binding in self.c.self_attrs.get(node.attr.value, []):
                found = self._engine_call(binding.node, binding.line, depth + 1)
                if found is not None:
                    return found
        return None

    def _offline_request(self, node: cst.Call, line: int) -> bool:
        if not isinstance(node.func, cst.Attribute):
            return False
        method = node.func.attr.value
        api = self.cat.engine_methods.get(method)
        if api is None:
            return False
        engine = self._engine_call(node.func.value, line)
        if engine is None:
            return False
        engine_pos, engine_kw = self.call_arguments(engine, self._loc(engine).line)
        model = self._model_value(self._pick(engine_pos, engine_kw, self.cat.engine_model),
                                  self._loc(engine).line, False)
        positional, keywords = self.call_arguments(node, line)
        sp_node = keywords.get("sampling_params")
        index = self.cat.sampling_position.get(method, 1)
        if sp_node is None and len(positional) > index:
            sp_node = positional[index]
        temperature, default = self._sampling_temperature(sp_node, line)
        template = None
        if "chat_template" in keywords or "chat_template" in engine_kw:
            template = "LLM.chat(chat_template=...)"
        messages = self._messages(positional[0] if positional else keywords.get("messages"), line) \
            if api == "offline-chat" else None
        self.facts.requests.append(Request(
            location=self._loc(node), api=api, client=f"vllm.LLM.{method}", model=model,
            temperature=temperature, default_temperature=default, messages=messages, chat_template=template,
        ))
        return True

    def _sampling_call(self, node: cst.BaseExpression | None, line: int, depth: int = 0) -> cst.Call | None:
        if node is None or depth > 6:
            return None
        if isinstance(node, cst.Call) and self._is_qual(node.func, self.cat.sampling_params):
            return node
        if isinstance(node, cst.Name):
            binding = self.scope.lookup(node.value, line)
            if binding is None:
                # Defined anywhere in the module (another function): use it when it is unambiguous.
                candidates = [b for b in self.c.all_bindings.get(node.value, [])
                              if isinstance(b.node, cst.Call) and self._is_qual(b.node.func, self.cat.sampling_params)]
                if len(candidates) == 1:
                    return candidates[0].node  # type: ignore[return-value]
                return None
            return self._sampling_call(binding.node, binding.line, depth + 1)
        if isinstance(node, (cst.List, cst.Tuple)) and node.elements:
            return self._sampling_call(node.elements[0].value, line, depth + 1)
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value in ("self", "cls"):
            for binding in self.c.self_attrs.get(node.attr.value, []):
                found = self._sampling_call(binding.node, binding.line, depth + 1)
                if found is not None:
                    return found
        return None

    def _sampling_temperature(self, node: cst.BaseExpression | None, line: int) -> tuple[Value | None, float | None]:
        default = self.cat.offline_default_temperature
        if node is None:
            return None, default
        call = self._sampling_call(node, line)
        if call is None:
            return Value(None, self._loc(node), "sampling parameters not resolvable"), None
        cline = self._loc(call).line
        positional, keywords = self.call_arguments(call, cline)
        if "temperature" in keywords:
            value = self.value_of(keywords["temperature"], cline)
            return (value or Value(None, self._loc(keywords["temperature"]), "unresolved")), default
        return None, default

    # ---- raw HTTP --------------------------------------------------------------------------------

    def _http_request(self, node: cst.Call, line: int) -> None:
        chain = attribute_chain(node.func)
        if not chain or chain[-1] not in self.cat.http_methods:
            return
        positional, keywords = self.call_arguments(node, line)
        url_node = keywords.get("url") or (positional[0] if positional else None)
        url = self.value_of(url_node, line)
        if url is None or not isinstance(url.literal, str):
            return
        route = url.literal.split("?")[0].rstrip("/")
        api = None
        matched = ""
        for suffix, kind in self.cat.http_routes:
            if route.endswith(suffix):
                api, matched = kind, suffix
                break
        if api is None:
            return
        body: dict[Any, cst.BaseExpression] | None = None
        for keyword in self.cat.http_body:
            candidate = keywords.get(keyword)
            if candidate is None:
                continue
            if isinstance(candidate, cst.Call) and attribute_chain(candidate.func)[-1:] == ["dumps"] and candidate.args:
                candidate = candidate.args[0].value
            body = self.dict_literal(candidate, line)
            if body is not None:
                break
        if body is None:
            return
        model = self._model_value(body.get("model"), line, False)
        temp_node = body.get("temperature")
        temperature = self.value_of(temp_node, line) if temp_node is not None else None
        if temp_node is not None and temperature is None:
            temperature = Value(None, self._loc(temp_node), "unresolved expression")
        self.facts.requests.append(Request(
            location=self._loc(node), api=api, client=f"HTTP POST {matched}",
            model=model, temperature=temperature, default_temperature=self.cat.http_default_temperature,
            messages=self._messages(body.get("messages"), line) if api == "chat" else None,
            chat_template="request chat_template" if "chat_template" in body else None,
        ))

    # ---- launches from Python (subprocess argv lists, os.system strings) -------------------------

    def _subprocess_launch(self, node: cst.Call, line: int) -> None:
        qual = self._qualname(node.func) or ""
        if not (qual.startswith("subprocess.") or qual in ("os.system", "os.popen")):
            return
        if not node.args:
            return
        first = node.args[0].value
        if isinstance(first, cst.Name):
            binding = self.scope.lookup(first.value, line)
            first = binding.node if binding is not None and binding.node is not None else first
        try:
            from vlint.extract.positions import Token
            from vlint.extract.vllm_cli import facts_from_argv
        except ImportError:
            return
        if isinstance(first, (cst.List, cst.Tuple)):
            tokens = []
            for element in first.elements:
                value = self.value_of(element.value, line)
                if value is None or value.literal is None and value.env is None:
                    text = "\x00"
                elif value.literal is None:
                    text = f"${{{value.env}}}"
                else:
                    text = str(value.literal)
                tokens.append(Token(text, self._loc(element.value)))
            serves, requests = facts_from_argv(tokens)
            self.facts.serves.extend(serves)
            self.facts.requests.extend(requests)
        else:
            value = self.value_of(first, line)
            if value is not None and isinstance(value.literal, str) and "\x00" not in value.literal:
                from vlint.extract.positions import PositionMap
                from vlint.extract.shell import extract_shell

                loc = self._loc(first)
                sub = extract_shell(value.literal, self.path, positions=PositionMap.single(loc.line, loc.column - 1))
                self.facts.extend(sub)


def extract_python(text: str, path: str, *, context: str = "code") -> FileFacts:
    facts = FileFacts(path, "python")
    matters, tree, survey = prefilter(text)
    if not matters:
        return facts
    if tree is None:
        tree = parse_with_cpython(text)
    refusal = tree if isinstance(tree, Refusal) else nesting_refusal(tree, text)
    if refusal is not None:  # libcst's native parser could crash or crawl on it (`pyguard`)
        facts.errors.append(ParseError(path, refusal.reason, refusal.line))
        return facts
    assert isinstance(tree, ast.Module)
    parsed, line_of = text, None
    if survey is not None:
        from vlint.extract.pyslice import slice_module

        parsed, line_of = slice_module(text, tree, survey)  # without what the extractor cannot need
    try:
        module = parse_module(parsed)
    except cst.ParserSyntaxError as exc:
        line = exc.raw_line if line_of is None or not 0 < exc.raw_line <= len(line_of) else line_of[exc.raw_line - 1]
        facts.errors.append(ParseError(path, f"libcst cannot parse what CPython parses: {exc.message}", line))
        return facts
    except (RecursionError, MemoryError):
        facts.errors.append(ParseError(path, "Python source too deeply nested to parse"))
        return facts
    collector = _Collector()
    try:
        walk = Walk(collector)
        walk.run(module)
        collector.positions = Positions(module, text, walk, tree, line_of)
        _Extractor(path, collector, facts).run()
    except RecursionError:
        facts.errors.append(ParseError(path, "Python source too deeply nested to analyse"))
    if context != "code":
        facts.requests = [_with_context(r, context) for r in facts.requests]
        facts.serves = [_with_context(s, context) for s in facts.serves]
    return facts


def _with_context(fact: Any, context: str) -> Any:
    from dataclasses import replace

    return replace(fact, context=context)


def iter_requests(text: str, path: str = "<string>") -> Iterator[Request]:
    """Convenience for tests and tools: the requests of one Python source."""
    yield from extract_python(text, path).requests
