"""One walk over CPython's tree of a module: which calls could give the visitor a fact, and the lines the
slicer keeps.

The prefilter's second stage (`prefilter.calls_match`) asks of every call what the visitor's `visit_Call`
asks, answering yes whenever the answer could be yes:
  - names: the callee's dotted name is tried raw and through every import of its head anywhere in the
    module (libcst's scopes pick one of them), against the catalogue's qualname patterns and suffixes;
  - the engine: `.chat`/`.generate` counts when its receiver is an `LLM(...)` call, or a name or a
    `self.`/`cls.` attribute that any assignment, `with ... as`, or parameter default in the module
    binds to one (directly or through other such names: the visitor follows the same links, in scope);
  - HTTP: a `.post(...)` counts when it passes a body keyword (`json=`, `data=`, `content=`, or
    `**kwargs`) and some string in the module holds a route's last word (`completions`, `responses`):
    the URL the visitor resolves is made of the module's strings, and must end with a route;
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
_CALL, _NAMED, _CONSTANT, _ASSIGN, _ANN_ASSIGN, _WITH_ITEM, _ARGUMENTS, _IMPORT, _IMPORT_FROM, _CLASS = range(1, 11)
_KINDS: dict[type, int] = {
    ast.Call: _CALL, ast.Attribute: _NAMED, ast.Name: _NAMED, ast.Constant: _CONSTANT, ast.Assign: _ASSIGN,
    ast.AnnAssign: _ANN_ASSIGN, ast.withitem: _WITH_ITEM, ast.arguments: _ARGUMENTS, ast.Import: _IMPORT,
    ast.ImportFrom: _IMPORT_FROM, ast.ClassDef: _CLASS,
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
        self.engine_names, self.engine_attrs = _engine_holders(bindings, self.is_engine_call)

    def qualnames(self, func: ast.expr) -> set[str]:
        dotted = _ast_dotted(func)
        if dotted is None:
            return set()
        head, _, rest = dotted.partition(".")
        return {dotted} | {f"{base}.{rest}" if rest else base for base in self.imports.get(head, ())}

    def is_engine_call(self, node: ast.expr | None) -> bool:
        return isinstance(node, ast.Call) and not self.qualnames(node.func).isdisjoint(self.cat.engines)

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
        if chain and chain[-1] in cat.http_methods and self.route_string \
                and any(k.arg is None or k.arg in cat.http_body for k in call.keywords):
            return True
        if isinstance(call.func, ast.Attribute) and call.func.attr in cat.engine_methods \
                and (self.engine_names or self.engine_attrs or self.is_engine_call(call.func.value)) \
                and self.is_engine(call.func.value):
            return True
        return cat.spec_for(None, chain) is not None

    def matching_calls(self) -> Iterator[ast.Call]:
        return (call for call in self.calls if self.matches(call))


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


