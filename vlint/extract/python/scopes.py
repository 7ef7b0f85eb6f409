"""What names mean inside one module: scopes, bindings, imports, argparse and click defaults, and every call
with the scope it is made in, collected in the one pass over libcst's tree (`walk.Walk`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

import libcst as cst

from vlint.extract.python.positions import Positions
from vlint.facts import Value


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
    function: str | None = None  # a function scope's name
    owner: str | None = None  # the class a method is defined in
    positional: tuple[str, ...] = ()  # the parameters a positional argument can fill, in order
    grown: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)  # `x.append(e)`: x gets e
    elements: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)  # `for x in xs`: x is one of xs
    returns: list[cst.BaseExpression] = field(default_factory=list)
    options: dict[str, tuple[str, ...]] = field(default_factory=dict)  # a CLI function's parameter -> its options
    # `llm, params = load()`: `llm` is part (0,) of `load()` (the name's binding itself stays unknown)
    unpacked: dict[str, list[tuple[cst.BaseExpression, tuple[int, ...]]]] = field(default_factory=dict)

    def bind(self, name: str, binding: Binding) -> None:
        self.names.setdefault(name, []).append(binding)

    def lookup_all(self, name: str, line: int) -> list[Binding]:
        """Every binding `lookup` chooses from, the one it would choose first (the others, assigned in
        other branches or later, are the alternatives a name may hold)."""
        scope: Scope | None = self
        while scope is not None:
            if scope.kind == "class" and scope is not self:
                scope = scope.parent
                continue
            found = scope.names.get(name)
            if found:
                before = [b for b in found if b.line <= line]
                return [*reversed(before), *(b for b in found if b.line > line)] if before else list(reversed(found))
            if name in scope.params:
                return [scope.params[name]]
            scope = scope.parent
        return []

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


# `prompts.append(x)`: the list `prompts` holds what these methods put in it (the chat-by-hand check reads it).
GROWING_METHODS = frozenset({"append", "extend"})


def is_program_runner(chain: Sequence[str]) -> bool:
    """`fire.Fire(main)`, `Fire(main)`, `typer.run(main)`: every parameter of `main` is a command-line option."""
    return chain[-1:] == ["Fire"] or list(chain[-2:]) == ["typer", "run"]


# `HfArgumentParser((ModelArguments, DataArguments))` (and TRL's subclass): each field is an option.
DATACLASS_PARSERS = frozenset({"HfArgumentParser", "TrlParser", "H4ArgumentParser"})


def _command_options(node: cst.FunctionDef) -> dict[str, tuple[str, ...]]:
    """The options of a command-line function: click's `@click.option("--model-name", ...)` names its
    parameter's; a typer or click command (`@app.command()`) takes every parameter as an option, under the
    names `typer.Option("--name", ...)` gives or its own name (a `typer.Argument` is positional)."""
    out: dict[str, tuple[str, ...]] = {}
    command = False
    for decorator in node.decorators:
        expression = decorator.decorator
        chain = attribute_chain(expression.func if isinstance(expression, cst.Call) else expression)
        if chain[-1:] == ["command"]:
            command = True
        if chain[-1:] != ["option"] or not isinstance(expression, cst.Call):
            continue
        names = [a.value.evaluated_value for a in expression.args
                 if a.keyword is None and isinstance(a.value, cst.SimpleString)]
        flags = [n for n in names if isinstance(n, str) and n.startswith("-")]
        plain = [n for n in names if isinstance(n, str) and not n.startswith("-")]
        keys = tuple(option_key(part) for flag in flags for part in flag.split("/") if part.startswith("-"))
        dest = plain[0] if plain else next((k for k in keys if len(k) > 1), None)
        if dest:
            out[dest] = (*keys, dest) if dest not in keys else keys
    if out or not command:
        return out
    params = node.params
    for param in (*params.posonly_params, *params.params, *params.kwonly_params):
        name = param.name.value
        default = param.default
        tail = attribute_chain(default.func)[-1:] if isinstance(default, cst.Call) else []
        if name in ("self", "cls") or tail == ["Argument"]:
            continue
        flags = [a.value.evaluated_value for a in default.args if a.keyword is None
                 and isinstance(a.value, cst.SimpleString)] if tail == ["Option"] else []  # type: ignore[union-attr]
        keys = tuple(option_key(f) for f in flags if isinstance(f, str) and f.startswith("-"))
        out[name] = keys or (name,)
    return out


def option_key(option: str) -> str:
    """The key a command-line option is matched by: `--model-name`, `--model_name` and `model_name` alike
    (argparse, click, typer and HfArgumentParser spell one option either way)."""
    return option.lstrip("-").replace("-", "_")


def _line_of(box: list[Positions], node: cst.CSTNode) -> int:
    return box[0].line(node)


class Collector:
    """The one walk (`walk.Walk`): bindings per scope, imports, argparse options, class attributes, and
    every call with the scope it is made in, for the visitor to read once all bindings are known."""

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
        self.functions: dict[str, list[Scope]] = {}  # a function's (or method's) name -> its scopes
        self.class_bases: dict[str, list[cst.BaseExpression]] = {}
        self.options: dict[str, tuple[str, ...]] = {}  # argparse dest -> its option strings
        self.guards: list[int] = []  # the conditional branches (if/else, x if c else y, except, case) we are in
        self.guards_of: dict[int, tuple[int, ...]] = {}  # a call inside some branch -> those branches
        self.programs: set[str] = set()  # functions run as a command line: `fire.Fire(main)`, `typer.run(main)`
        self.parser_classes: set[str] = set()  # dataclasses `HfArgumentParser((A, B))` fills from options

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
        self.class_bases.setdefault(node.name.value, []).extend(arg.value for arg in node.bases)
        self._push(node, "class")
        self.classes[node.name.value] = self.scope
        self.class_stack.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._pop()
        self.class_stack.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.scope.bind(node.name.value, Binding(None, self._line(node)))
        owner = self.class_stack[-1] if self.scope.kind == "class" and self.class_stack else None
        self._push(node, "function")
        params = node.params
        self.scope.function, self.scope.owner = node.name.value, owner
        self.scope.positional = tuple(p.name.value for p in (*params.posonly_params, *params.params))
        self.functions.setdefault(node.name.value, []).append(self.scope)
        option_defaults = self._click_option_defaults(node)
        self.scope.options = _command_options(node)
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
                if value is not None:
                    self._bind_parts(target, value, ())
            for element, sub in zip(target.elements, values, strict=False):
                self._bind_target(element.value, sub, line)

    def _bind_parts(self, target: cst.Tuple | cst.List, value: cst.BaseExpression, path: tuple[int, ...]) -> None:
        for index, element in enumerate(target.elements):
            if isinstance(element, cst.StarredElement):
                return  # `a, *rest = ...`: the parts after it are not at their index
            if isinstance(element.value, cst.Name):
                self.scope.unpacked.setdefault(element.value.value, []).append((value, (*path, index)))
            elif isinstance(element.value, (cst.Tuple, cst.List)):
                self._bind_parts(element.value, value, (*path, index))

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
        if isinstance(node.target, cst.Name):
            self.scope.elements.setdefault(node.target.value, []).append(node.iter)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        # A comprehension's variable is not bound in the enclosing scope (no binding is recorded, as
        # before); only what it iterates over is, for `[w.run.remote() for w in workers]` (`callsites.py`).
        if isinstance(node.target, cst.Name):
            self.scope.elements.setdefault(node.target.value, []).append(node.iter)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._bind_target(node.asname.name, node.item, self._line(node))

    def _enter_branch(self, node: cst.CSTNode) -> None:
        self.guards.append(id(node))

    def _leave_branch(self, original_node: cst.CSTNode) -> None:
        self.guards.pop()

    # A call that runs only on some branch: the chat-by-hand check asks whether a template is applied
    # whenever the prompt it makes is sent (`offline.py`).
    visit_If = visit_Else = visit_IfExp = visit_ExceptHandler = visit_ExceptStarHandler = visit_MatchCase = _enter_branch
    leave_If = leave_Else = leave_IfExp = leave_ExceptHandler = leave_ExceptStarHandler = leave_MatchCase = _leave_branch

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append((node, self.scope))
        if self.guards:
            self.guards_of[id(node)] = tuple(self.guards)
        func = node.func
        name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
        if name == "add_argument":
            self._record_argparse(node)
        elif is_program_runner(attribute_chain(func)) and node.args and isinstance(node.args[0].value, cst.Name):
            self.programs.add(node.args[0].value.value)
        elif name in DATACLASS_PARSERS and node.args:
            first = node.args[0].value
            items = [e.value for e in first.elements] if isinstance(first, (cst.Tuple, cst.List)) else [first]
            self.parser_classes.update(item.value for item in items if isinstance(item, cst.Name))
        elif name in GROWING_METHODS and isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) \
                and node.args:
            self.scope.grown.setdefault(func.value.value, []).append(node.args[0].value)

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is not None:
            self.scope.returns.append(node.value)

    def _record_argparse(self, node: cst.Call) -> None:
        flags = [a.value for a in node.args if a.keyword is None]
        dest: str | None = None
        default: cst.BaseExpression | None = None
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value == "dest" and isinstance(arg.value, cst.SimpleString):
                dest = arg.value.evaluated_value if isinstance(arg.value.evaluated_value, str) else None
            if arg.keyword is not None and arg.keyword.value == "default":
                default = arg.value
        names = [f.evaluated_value for f in flags if isinstance(f, cst.SimpleString)]
        names = [n for n in names if isinstance(n, str)]
        if dest is None:
            longs = [n for n in names if n.startswith("--")]
            chosen = longs[0] if longs else (names[0] if names else None)
            if chosen is None:
                return
            dest = chosen.lstrip("-").replace("-", "_")
        if any(n.startswith("-") for n in names):  # an option, not a positional: a command line may set it
            self.options[dest] = tuple(option_key(n) for n in names if n.startswith("-"))
        if default is not None:
            self.argparse[dest] = Binding(default, self._line(node))
