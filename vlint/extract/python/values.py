"""Values of expressions inside one module: literals, constants, parameter, argparse, click and class
defaults, environment lookups with their fallbacks, f-strings, dict literals used as keyword sets or bodies.
What cannot be resolved stays unresolved (None), and nothing is guessed."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import libcst as cst

from vlint.extract.python import callsites
from vlint.extract.python.scopes import Binding, Collector, Scope, attribute_chain, dotted_name
from vlint.extract.python.server import served_model
from vlint.facts import Location, Value

_T = TypeVar("_T")


class Resolver:
    """Resolves expressions as seen from one scope (`scope`, set by the visitor before each call it reads)."""

    def __init__(self, path: str, collector: Collector) -> None:
        self.path = path
        self.c = collector
        self.scope = collector.module_scope
        self.positions = collector.positions
        self._calls: dict[str, list[callsites.Site]] | None = None  # the module's calls by callee (on first use)
        self._passing: set[tuple[int, str]] = set()  # parameters being resolved from their calls (recursion)

    @contextmanager
    def in_scope(self, scope: Scope) -> Iterator[None]:
        """Resolve as seen from `scope` (where a call is made, where an engine is built) for a while."""
        saved, self.scope = self.scope, scope
        try:
            yield
        finally:
            self.scope = saved

    def passed_arguments(self, name: str) -> Iterator[tuple[cst.BaseExpression, callsites.Site]]:
        """For a parameter without default seen from the current scope, what the module's calls of its
        function pass (`callsites.py`); nothing while that parameter is already being resolved."""
        function = callsites.param_scope(self.scope, name)
        if function is None or (id(function), name) in self._passing:
            return
        if self._calls is None:
            self._calls = callsites.call_index(self.c)
        self._passing.add((id(function), name))
        try:
            yield from callsites.passed(self.c, self._calls, function, name)
        finally:
            self._passing.discard((id(function), name))

    def parts_of(self, node: cst.BaseExpression, path: tuple[int, ...], line: int,
                 depth: int = 0) -> list[tuple[cst.BaseExpression, Scope, int]]:
        """What the element at `path` of `node` may be, each with the scope and line it is read at: a tuple's
        item, through names, what a function of the module returns, what calls pass for a parameter
        (`model, tokenizer = load_model()` where `load_model` returns `(llm, params), tokenizer`)."""
        if not path:
            return [(node, self.scope, line)]
        if depth > 8:
            return []
        if isinstance(node, cst.Await):
            node = node.expression
        index, rest = path[0], path[1:]
        if isinstance(node, (cst.Tuple, cst.List)):
            elements = node.elements
            if index < len(elements) and not any(isinstance(e, cst.StarredElement) for e in elements[:index + 1]):
                return self.parts_of(elements[index].value, rest, line, depth + 1)
            return []
        out: list[tuple[cst.BaseExpression, Scope, int]] = []
        if isinstance(node, cst.Name):
            for binding in self.scope.lookup_all(node.value, line):
                if binding.node is not None:
                    out.extend(self.parts_of(binding.node, path, binding.line, depth + 1))
            for value, inner in self.unpacked_parts(node.value):
                out.extend(self.parts_of(value, (*inner, *path), line, depth + 1))
            for argument, site in self.passed_arguments(node.value):
                with self.in_scope(site.scope):
                    out.extend(self.parts_of(argument, path, self._loc(site.call).line, depth + 1))
        elif isinstance(node, cst.Call) and isinstance(node.func, cst.Name):
            for function in self.c.functions.get(node.func.value, ()):
                if function.owner is None:
                    with self.in_scope(function):
                        for returned in function.returns:
                            out.extend(self.parts_of(returned, path, self._loc(returned).line, depth + 1))
        return out

    def through_names(self, node: cst.BaseExpression, line: int, depth: int, find: Callable[..., _T | None], *,
                      alternatives: bool = True) -> _T | None:
        """What `find(expression, line, depth)` finds in what a name or a `self.` attribute holds: the binding
        in force (with `alternatives`, then the others: `if vllm: llm = LLM(...) else: llm = HF(...)`), the
        part of what it was unpacked from (`llm, params = load()`), or, for a parameter, what the module's
        calls pass for it; each read where it is written."""
        if isinstance(node, cst.Name):
            bindings = self.scope.lookup_all(node.value, line)
            for binding in bindings if alternatives else bindings[:1]:
                if binding.node is not None:
                    found = find(binding.node, binding.line, depth + 1)
                    if found is not None:
                        return found
            for value, path in self.unpacked_parts(node.value):
                for part, scope, part_line in self.parts_of(value, path, line, depth + 1):
                    with self.in_scope(scope):
                        found = find(part, part_line, depth + 1)
                    if found is not None:
                        return found
            if bindings and bindings[0].node is None:
                for argument, site in self.passed_arguments(node.value):
                    with self.in_scope(site.scope):
                        found = find(argument, self._loc(site.call).line, depth + 1)
                    if found is not None:
                        return found
            return None
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value in ("self", "cls"):
            for binding in self.c.self_attrs.get(node.attr.value, []):
                found = find(binding.node, binding.line, depth + 1)
                if found is not None:
                    return found
        return None

    def unpacked_parts(self, name: str) -> list[tuple[cst.BaseExpression, tuple[int, ...]]]:
        """Where `name` was unpacked from in the scope it is bound in (`Scope.unpacked`)."""
        scope: Scope | None = self.scope
        while scope is not None:
            if scope.kind == "class" and scope is not self.scope:
                scope = scope.parent
                continue
            if name in scope.names or name in scope.params:
                return scope.unpacked.get(name, [])
            scope = scope.parent
        return []

    def _passed_value(self, name: str, depth: int) -> Value | None:
        """A parameter's value from the calls that pass it, when every one of them passes the same."""
        values: list[Value | None] = []
        for argument, site in self.passed_arguments(name):
            with self.in_scope(site.scope):
                line = self._loc(site.call).line
                value = self.value_of(argument, line, depth + 1)
            if value is not None and not value.note:
                value = dataclasses.replace(value, note=f"passed for `{name}` at line {line}")
            values.append(value)
        if not values or any(v is None for v in values):
            return None
        shapes = {(repr(v.literal), v.env, v.symbol, v.options) for v in values if v is not None}
        return values[0] if len(shapes) == 1 else None

    def _loc(self, node: cst.CSTNode) -> Location:
        pos = self.positions.start(node)
        return Location(self.path, pos.line, pos.column + 1)

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
        if isinstance(node, (cst.Attribute, cst.Subscript)) and (asked := served_model(self, node, line)) is not None:
            return asked  # `client.models.list().data[0].id`: whatever the server serves (linked later)
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
        value = self._resolve_bound_name(name, line, depth)
        function = callsites.param_scope(self.scope, name)
        options = self._program_options(function, name) if function is not None else ()
        if not options:
            return value
        if value is None:  # no default: a command line that runs the program gives it (link)
            return Value(None, None, f"option --{name} of `{function.function}`, no default", options=options)  # type: ignore[union-attr]
        return dataclasses.replace(value, options=options)

    def _program_options(self, function: Scope, name: str) -> tuple[str, ...]:
        """The command-line options a parameter is set by: click's and typer's, or every parameter of a
        function that `fire.Fire`/`typer.run` runs."""
        found = function.options.get(name)
        if found is not None:
            return found
        return (name,) if function.function in self.c.programs else ()

    def _resolve_bound_name(self, name: str, line: int, depth: int) -> Value | None:
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
            return self._passed_value(name, depth)  # a parameter without default: what its calls pass
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
            return dataclasses.replace(inner, literal=converted)
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
        if isinstance(base, cst.Name) and (attr in self.c.argparse or attr in self.c.options):
            binding = self.scope.lookup(base.value, line)
            if binding is not None and self._is_parse_args(binding.node) or base.value in ("args", "opts", "cli_args"):
                options = self.c.options.get(attr, ())
                arg = self.c.argparse.get(attr)
                value = self._resolve_in_module(arg, depth) if arg is not None else None
                if value is not None:
                    return Value(value.literal, value.location, f"argparse default of --{attr.replace('_', '-')}",
                                 value.env, True, options=options)
                if options:  # no default: a command line that runs the program gives it (link.py)
                    return Value(None, None, f"argparse option --{attr.replace('_', '-')}, no default",
                                 options=options)
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
            elif target is None and isinstance(base, cst.Name) and self.c.parser_classes:
                return self._parsed_field(attr, depth)
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

    def _parsed_field(self, attr: str, depth: int) -> Value | None:
        """`model_args.model_name_or_path` where `model_args` comes out of `HfArgumentParser((ModelArguments,
        ...)).parse_args_into_dataclasses()`: the field of the one parsed dataclass that has it, which a
        command line sets with `--model_name_or_path`."""
        owners = [name for name in sorted(self.c.parser_classes)
                  if name in self.c.classes and attr in self.c.classes[name].names]
        if len(owners) != 1:
            return None
        binding = self.c.classes[owners[0]].names[attr][-1]
        value = self._resolve_in_module(binding, depth) if binding.node is not None else None
        if value is not None and value.known:
            return Value(value.literal, value.location, value.note or f"default of `{owners[0]}.{attr}`", value.env,
                         True, options=(attr,))
        return Value(None, None, f"field `{owners[0]}.{attr}` set on the command line, no default", options=(attr,))

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
