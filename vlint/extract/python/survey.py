"""One walk over CPython's tree of a module: which calls could give the visitor a fact, and the lines the
slicer keeps.

The prefilter's second stage (`prefilter.calls_match`) asks of every call what the visitor's `visit_Call`
asks, answering yes whenever the answer could be yes:
  - names: the callee's dotted name is tried raw and through every import of its head anywhere in the
    module (libcst's scopes pick one of them), against the catalogue's qualname patterns and suffixes;
  - the engine: `.chat`/`.generate`/`.add_request` (or, on a Ray actor, `.generate.remote`) counts when its
    receiver is an engine call (`LLM(...)`, a subclass of it in the module, `LLMEngine.from_engine_args(...)`,
    `ray.remote(LLM).remote(...)`), or a name or a `self.`/`cls.` attribute that any assignment, `with ...
    as`, parameter default, or argument of a call of the module's functions binds to one (directly or
    through other such names: the visitor follows the same links, in scope);
  - HTTP: a call of an HTTP shape (`.post(...)`, `.request(...)`, `.stream(...)`, `urllib.request.Request`)
    counts when it may carry a body (a body keyword such as `json=`, `**kwargs`, or a body position) and
    some string in the module holds a route's last word (`completions`, `responses`): the URL the visitor
    resolves is made of the module's strings, and must end with a route;
  - launches: any call the catalogue's `launch` names (`subprocess.*`, `os.system`, `os.popen`).
CPython's tree costs an eighth of libcst's parse and is walked once here, for the check and for the slicer
(`slicer.py`): a file that passes is not walked again.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

from vlint.extract.python.catalogue import catalogue, spec_for_qualname

# What the walk does with a node, by its class (a dictionary look-up a node: the walk visits every node of
# every file that passes the words, and a chain of isinstance tests would cost more than the rest of it).
(_CALL, _NAMED, _CONSTANT, _ASSIGN, _ANN_ASSIGN, _WITH_ITEM, _ARGUMENTS, _IMPORT, _IMPORT_FROM, _CLASS,
 _FUNCTION) = range(1, 12)
_KINDS: dict[type, int] = {
    ast.Call: _CALL, ast.Attribute: _NAMED, ast.Name: _NAMED, ast.Constant: _CONSTANT, ast.Assign: _ASSIGN,
    ast.AnnAssign: _ANN_ASSIGN, ast.withitem: _WITH_ITEM, ast.arguments: _ARGUMENTS, ast.Import: _IMPORT,
    ast.ImportFrom: _IMPORT_FROM, ast.ClassDef: _CLASS, ast.FunctionDef: _FUNCTION,
    ast.AsyncFunctionDef: _FUNCTION,
}


def _child_fields() -> dict[type, tuple[str, ...]]:
    """Each `ast` class's fields, `ctx` left out (computed once: the walk reads them for every node)."""
    out: dict[type, tuple[str, ...]] = {}
    todo: list[type] = [ast.AST]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        out[cls] = tuple(f for f in cls._fields if f != "ctx")
    return out


_FIELDS = _child_fields()


class Survey:
    """One walk over CPython's tree of a module: what the call check needs, and the lines that make a
    function needed by the visitor (`slicer.py`)."""

    def __init__(self, tree: ast.Module) -> None:
        self.cat = cat = catalogue()
        route_words = cat.route_words()
        imports: dict[str, set[str]] = {}
        calls: list[ast.Call] = []
        bindings: list[tuple[ast.expr, ast.expr | None]] = []  # (target, value) as the visitor binds them
        route_string = False
        anchors: list[ast.AST] = []  # imports and classes: they fill module-wide tables of the visitor
        named: list[ast.AST] = []
        functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
        kinds, fields_of, node_class = _KINDS, _FIELDS, ast.AST
        stack: list[ast.AST] = [tree]
        while stack:  # every node once (in no particular order: nothing here depends on it)
            node = stack.pop()
            cls = node.__class__
            kind = kinds.get(cls)
            if kind is None:
                pass
            elif kind == _CALL:
                calls.append(node)  # type: ignore[arg-type]
            elif kind == _NAMED:
                named.append(node)
            elif kind == _CONSTANT:
                if not route_string and isinstance(node.value, str):  # type: ignore[attr-defined]
                    route_string = any(word in node.value for word in route_words)  # type: ignore[attr-defined]
            elif kind == _ASSIGN:
                bindings.extend((target, node.value) for target in node.targets)  # type: ignore[attr-defined]
            elif kind == _ANN_ASSIGN:
                bindings.append((node.target, node.value))  # type: ignore[attr-defined]
            elif kind == _WITH_ITEM:
                if node.optional_vars is not None:  # type: ignore[attr-defined]
                    bindings.append((node.optional_vars, node.context_expr))  # type: ignore[attr-defined]
            elif kind == _ARGUMENTS:
                bindings.extend(_parameter_defaults(node))  # type: ignore[arg-type]
            elif kind == _IMPORT:
                anchors.append(node)
                for alias in node.names:  # type: ignore[attr-defined]
                    if alias.asname:
                        imports.setdefault(alias.asname, set()).add(alias.name)
                    else:
                        head = alias.name.split(".")[0]
                        imports.setdefault(head, set()).add(head)
            elif kind == _FUNCTION:
                functions.append(node)  # type: ignore[arg-type]
            elif kind == _IMPORT_FROM:
                anchors.append(node)
                module = node.module  # type: ignore[attr-defined]
                for alias in node.names:  # type: ignore[attr-defined]
                    if alias.name != "*":
                        full = f"{module}.{alias.name}" if module else alias.name
                        imports.setdefault(alias.asname or alias.name, set()).add(full)
            else:  # a class
                anchors.append(node)
            for field in fields_of[cls]:
                value = getattr(node, field, None)
                if value.__class__ is list:
                    stack.extend(item for item in value if isinstance(item, node_class))
                elif isinstance(value, node_class):
                    stack.append(value)
        self.calls, self.imports, self.route_string = calls, imports, route_string
        self.anchors, self.named = anchors, named
        self.parameters = _parameters(functions, [n for n in anchors if isinstance(n, ast.ClassDef)])
        cat = self.cat
        words = {engine.rsplit(".", 1)[-1] for engine in cat.engines} | set(cat.engine_factories) | {cat.actor_call}
        # the last names an engine call can have, import aliases included (`from vllm import LLM as V`)
        self._engine_words = words | {local for local, fulls in imports.items()
                                      if any(full.rsplit(".", 1)[-1] in words for full in fulls)}
        self.engine_functions: set[str] = set()  # the module's functions that return an engine
        self.engine_classes = self._engine_subclasses(anchors)
        self.actor_names = {target.id for target, value in bindings
                            if isinstance(target, ast.Name) and self._wraps_engine(value)}
        self.engine_names: set[str] = set()
        self.engine_attrs: set[str] = set()
        self.has_engines = any(map(self.is_engine_call, calls))
        if self.has_engines:  # names, attributes and parameters that hold an engine: only where one is built
            bindings.extend(self._passed_bindings(calls))
            self.engine_names, self.engine_attrs = _engine_holders(bindings, self.is_engine_call)
            returns = _returns(functions)
            while True:  # to a fixpoint: a function returning an engine makes its calls engine calls
                found = {name for name, value in returns if self._holds_engine(value)}
                if found <= self.engine_functions:
                    break
                self.engine_functions |= found
                self.engine_names, self.engine_attrs = _engine_holders(bindings, self.is_engine_call)

    def qualnames(self, func: ast.expr) -> set[str]:
        dotted = _ast_dotted(func)
        if dotted is None:
            return set()
        head, _, rest = dotted.partition(".")
        return {dotted} | {f"{base}.{rest}" if rest else base for base in self.imports.get(head, ())}

    def is_engine_call(self, node: ast.expr | None) -> bool:
        """`LLM(...)`, a subclass's constructor, an engine factory, or `.remote(...)` of an engine actor."""
        if isinstance(node, ast.Await):
            node = node.value
        if not isinstance(node, ast.Call):
            return False
        cat = self.cat
        func = node.func
        if isinstance(func, ast.Name):
            if func.id in self.engine_classes or func.id in self.engine_functions:
                return True
            if func.id not in self._engine_words:
                return False
        elif not isinstance(func, ast.Attribute) or func.attr not in self._engine_words:
            return False
        quals = self.qualnames(func)
        if not quals.isdisjoint(cat.engines) or any(cat.is_engine_factory(q) for q in quals):
            return True
        if isinstance(func, ast.Attribute) and func.attr == cat.actor_call:
            made = func.value
            if isinstance(made, ast.Call) and isinstance(made.func, ast.Attribute) and made.func.attr == "options":
                made = made.func.value
            return isinstance(made, ast.Name) and (made.id in self.actor_names or made.id in self.engine_classes) \
                or self._wraps_engine(made)
        return False

    def builds_engine(self, call: ast.Call) -> bool:
        """An engine call, or the engine arguments one is made from (`EngineArgs(...)`): where the visitor
        reads a model."""
        return self.is_engine_call(call) or any(self.cat.is_vllm_class(q, self.cat.engine_args)
                                                for q in self.qualnames(call.func))

    def _holds_engine(self, node: ast.expr | None) -> bool:
        return node is not None and (self.is_engine_call(node) or isinstance(node, ast.Name)
                                     and node.id in self.engine_names)

    def _is_engine_class(self, node: ast.expr) -> bool:
        return not self.qualnames(node).isdisjoint(self.cat.engines) \
            or isinstance(node, ast.Name) and node.id in self.engine_classes

    def _wraps_engine(self, node: ast.expr | None) -> bool:
        """`ray.remote(LLM)`, `ray.remote(num_gpus=1)(LLM)`."""
        if not isinstance(node, ast.Call) or not node.args \
                or not isinstance(node.args[0], ast.Name | ast.Attribute):
            return False
        wrapper = node.func.func if isinstance(node.func, ast.Call) else node.func
        return not self.qualnames(wrapper).isdisjoint(self.cat.actor_wrappers) and self._is_engine_class(node.args[0])

    def _engine_subclasses(self, anchors: list[ast.AST]) -> set[str]:
        """The module's classes that subclass an engine class, to a fixpoint."""
        self.engine_classes: set[str] = set()
        classes = [node for node in anchors if isinstance(node, ast.ClassDef)]
        changed = True
        while changed:
            changed = False
            for node in classes:
                if node.name not in self.engine_classes and any(self._is_engine_class(b) for b in node.bases):
                    self.engine_classes.add(node.name)
                    changed = True
        return self.engine_classes

    def _passed_bindings(self, calls: list[ast.Call]) -> Iterator[tuple[ast.expr, ast.expr | None]]:
        """Each argument of a call of the module's functions, bound to the parameters it may fill (the
        visitor reads a parameter without default from what the calls pass: `callsites.py`)."""
        parameters = self.parameters
        if not parameters:
            return
        for call in calls:
            chain = _ast_chain(call.func)
            names = [name for name in chain[-2:] if name in parameters]  # `f(...)`, `x.f(...)`, `x.f.remote(...)`
            for name in names:
                lists, every = parameters[name]
                for index, arg in enumerate(call.args):
                    for positional in lists:
                        for shift in (0, 1):  # a method's `self` (the survey does not know which is one)
                            if index + shift < len(positional):
                                yield ast.Name(positional[index + shift]), arg
                for keyword in call.keywords:
                    if keyword.arg is not None and keyword.arg in every:
                        yield ast.Name(keyword.arg), keyword.value

    def is_engine(self, receiver: ast.expr) -> bool:
        if self.is_engine_call(receiver):
            return True
        if isinstance(receiver, ast.Name):
            return receiver.id in self.engine_names
        return isinstance(receiver, ast.Attribute) and isinstance(receiver.value, ast.Name) \
            and receiver.value.id in ("self", "cls") and receiver.attr in self.engine_attrs

    def matches(self, call: ast.Call) -> bool:
        """Whether the call could take a path of the visitor's `visit_Call`."""
        cat = self.cat
        quals = self.qualnames(call.func)
        if any(spec_for_qualname(q) is not None or cat.is_launch(q) for q in quals):
            return True
        chain = _ast_chain(call.func)
        if self.route_string and self._may_post(call, quals, chain):
            return True
        func = call.func
        if isinstance(func, ast.Attribute):
            method, receiver = func.attr, func.value
            if method == cat.actor_call and isinstance(receiver, ast.Attribute):
                method, receiver = receiver.attr, receiver.value  # `actor.generate.remote(...)`
            if method in cat.engine_methods \
                    and (self.engine_names or self.engine_attrs or self.is_engine_call(receiver)) \
                    and self.is_engine(receiver):
                return True
        return cat.spec_for(None, chain) is not None

    def _may_post(self, call: ast.Call, quals: set[str], chain: list[str]) -> bool:
        """A call of an HTTP shape that may carry a body."""
        shapes = [shape for shape in self.cat.http_shapes
                  if shape.qualname in quals or chain and chain[-1] in shape.methods]
        for shape in shapes:
            body, position = shape.body_keywords(), shape.body_position()
            if any(k.arg is None or k.arg in body for k in call.keywords):
                return True
            if position is not None and (len(call.args) > position or any(isinstance(a, ast.Starred) for a in call.args)):
                return True
        return False

    def matching_calls(self) -> Iterator[ast.Call]:
        return (call for call in self.calls if self.matches(call))


def _returns(functions: list[ast.FunctionDef | ast.AsyncFunctionDef]) -> list[tuple[str, ast.expr | None]]:
    """(function name, returned expression) for each `return` of the module's functions: their statements
    are walked, not their expressions (a `return` is a statement), nor the functions nested in them (which
    are in `functions` themselves)."""
    out: list[tuple[str, ast.expr | None]] = []
    for function in functions:
        todo: list[ast.stmt] = list(function.body)
        while todo:
            node = todo.pop()
            if node.__class__ is ast.Return:
                out.append((function.name, node.value))  # type: ignore[attr-defined]
            elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                for name in ("body", "orelse", "finalbody", "handlers", "cases"):
                    block = getattr(node, name, None)
                    if block:
                        todo.extend(block)
    return out


def _parameters(functions: list[ast.FunctionDef | ast.AsyncFunctionDef],
                classes: list[ast.ClassDef]) -> dict[str, tuple[list[list[str]], set[str]]]:
    """Callee name -> (the positional parameter lists of the functions of that name, every parameter name);
    a class's name stands for its `__init__`."""
    out: dict[str, tuple[list[list[str]], set[str]]] = {}
    inits = {id(item): node.name for node in classes for item in node.body
             if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name == "__init__"}
    for function in functions:
        args = function.args
        positional = [a.arg for a in (*args.posonlyargs, *args.args)]
        lists, every = out.setdefault(inits.get(id(function), function.name), ([], set()))
        lists.append(positional)
        every.update(positional, (a.arg for a in args.kwonlyargs))
    return out


def _parameter_defaults(args: ast.arguments) -> Iterator[tuple[ast.expr, ast.expr | None]]:
    """Each parameter with a default, bound to it as the visitor binds parameters."""
    positional = [*args.posonlyargs, *args.args]
    for arg, default in zip(positional[len(positional) - len(args.defaults):], args.defaults, strict=True):
        yield ast.Name(arg.arg), default
    for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        yield ast.Name(arg.arg), default


def _engine_holders(bindings: list[tuple[ast.expr, ast.expr | None]],
                    is_engine_call: Callable[[ast.expr | None], bool]) -> tuple[set[str], set[str]]:
    """Names and `self.` attributes some binding in the module ties to an engine call, to a fixpoint."""
    pairs: list[tuple[ast.expr, ast.expr | None]] = []
    todo = list(bindings)
    while todo:
        target, value = todo.pop()
        if isinstance(target, (ast.Tuple, ast.List)):
            values = value.elts if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts) \
                else [None] * len(target.elts)
            todo.extend(zip(target.elts, values, strict=True))
        elif isinstance(target, ast.Starred):
            todo.append((target.value, None))
        else:
            pairs.append((target, value))
    names: set[str] = set()
    attrs: set[str] = set()
    changed = True
    while changed:
        changed = False
        for target, value in pairs:
            if value is None:
                continue
            holds = is_engine_call(value) or isinstance(value, ast.Name) and value.id in names \
                or isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name) \
                and value.value.id in ("self", "cls") and value.attr in attrs
            if not holds:
                continue
            if isinstance(target, ast.Name) and target.id not in names:
                names.add(target.id)
                changed = True
            elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) \
                    and target.value.id in ("self", "cls") and target.attr not in attrs:
                attrs.add(target.attr)
                changed = True
    return names, attrs


def _ast_dotted(node: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _ast_chain(node: ast.expr) -> list[str]:
    parts: list[str] = []
    while True:
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Name):
            parts.append(node.id)
            break
        elif isinstance(node, ast.Call):
            node = node.func
            parts.append("()")
        else:
            break
    return list(reversed(parts))


