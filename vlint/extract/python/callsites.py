"""What the module's own calls pass for a parameter that has no default.

Wrappers are how real code reaches vLLM: `def run(model): return LLM(model=model)` called as
`run("Qwen/Qwen2.5-7B")`; `class Worker: def __init__(self, path): self.llm = LLM(model=path)` made as
`Worker("Qwen/...")` or, as a Ray actor, `Worker.remote(...)` / `Worker.options(...).remote(...)`; a method
`generate(self, prompts, params)` called as `worker.generate.remote(prompts, SamplingParams(...))`. The
parameter's value is the argument those calls pass (the resolver reads it where the call is made, and
takes it only when every call that passes it agrees). Calls are matched by the callee's name within the
module: a function by its name, a constructor by its class's name, a method by its name on a receiver
bound to an instance of its class (or `self` inside the class).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from vlint.extract.python.catalogue import catalogue
from vlint.extract.python.scopes import Collector, Scope

_CALL, _METHOD, _MAKE = range(3)  # `f(...)`, `recv.m(...)` / `recv.m.remote(...)`, `C.remote(...)`


@dataclass(frozen=True)
class Site:
    """One call of a function: the call, the scope it is made in, and how it names the callee."""

    call: cst.Call
    scope: Scope
    kind: int
    receiver: cst.BaseExpression | None  # a method call's receiver


def call_index(collector: Collector) -> dict[str, list[Site]]:
    """Every call of the module by the name it calls (a function's, a method's or a class's)."""
    actor_call = catalogue().actor_call
    index: dict[str, list[Site]] = {}
    for call, scope in collector.calls:
        func = call.func
        if isinstance(func, cst.Name):
            index.setdefault(func.value, []).append(Site(call, scope, _CALL, None))
            continue
        if not isinstance(func, cst.Attribute):
            continue
        name, receiver = func.attr.value, func.value
        if name == actor_call:
            if isinstance(receiver, cst.Attribute):  # `actor.method.remote(...)`
                index.setdefault(receiver.attr.value, []).append(Site(call, scope, _METHOD, receiver.value))
                continue
            made = _options_receiver(receiver)  # `C.remote(...)`, `C.options(...).remote(...)`
            if isinstance(made, cst.Name):
                index.setdefault(made.value, []).append(Site(call, scope, _MAKE, None))
                continue
        index.setdefault(name, []).append(Site(call, scope, _METHOD, receiver))
    return index


def _options_receiver(node: cst.BaseExpression) -> cst.BaseExpression:
    """`C.options(num_gpus=1)` -> `C` (Ray's per-call options before `.remote`)."""
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "options":
        return node.func.value
    return node


def param_scope(scope: Scope, name: str) -> Scope | None:
    """The function scope whose parameter `name` is seen from `scope` (None: a local name, or no such)."""
    current: Scope | None = scope
    while current is not None:
        if current.kind == "class" and current is not scope:
            current = current.parent
            continue
        if name in current.names:
            return None
        if name in current.params:
            return current if current.function is not None else None
        current = current.parent
    return None


def passed(collector: Collector, index: dict[str, list[Site]], function: Scope,
           name: str) -> Iterator[tuple[cst.BaseExpression, Site]]:
    """The argument each call of `function` passes for its parameter `name` (calls that leave it to a
    `*args`/`**kwargs` or do not pass it are skipped)."""
    if function.function is None:
        return
    method = function.owner is not None
    if method and function.function == "__init__":
        sites = [s for s in index.get(function.owner, ()) if s.kind in (_CALL, _MAKE)]  # type: ignore[arg-type]
    elif method:
        sites = [s for s in index.get(function.function, ())
                 if s.kind == _METHOD and s.receiver is not None
                 and _is_instance(collector, s.receiver, s.scope, function.owner)]  # type: ignore[arg-type]
    else:
        sites = [s for s in index.get(function.function, ()) if s.kind == _CALL]
    shift = 1 if method else 0  # `self`
    position = function.positional.index(name) - shift if name in function.positional else None
    for site in sites:
        argument = _argument(site.call, name, position)
        if argument is not None:
            yield argument, site


def _argument(call: cst.Call, name: str, position: int | None) -> cst.BaseExpression | None:
    seen = 0
    for arg in call.args:
        if arg.keyword is not None:
            if arg.keyword.value == name:
                return arg.value
        elif arg.star:
            return None  # `*args` before it: which one fills the parameter is unknown
        else:
            if position is not None and seen == position:
                return arg.value
            seen += 1
    return None


def _is_instance(collector: Collector, receiver: cst.BaseExpression, scope: Scope, owner: str,
                 depth: int = 0) -> bool:
    """Whether `receiver` is an instance of class `owner`: `self` inside it, or a name or `self.` attribute
    bound to `owner(...)`, `owner.remote(...)` or `owner.options(...).remote(...)`."""
    if depth > 4:
        return False
    if isinstance(receiver, cst.Name):
        if receiver.value in ("self", "cls"):
            return scope.owner == owner or scope.parent is not None and scope.parent.owner == owner
        bindings = _bindings(scope, receiver.value) + _elements(scope, receiver.value)
    elif isinstance(receiver, cst.Attribute) and isinstance(receiver.value, cst.Name) \
            and receiver.value.value in ("self", "cls"):
        bindings = [b.node for b in collector.self_attrs.get(receiver.attr.value, []) if b.node is not None]
    elif isinstance(receiver, cst.Subscript):  # `workers[0]`: one of the items
        bindings = [receiver.value]
    else:
        return _makes(receiver, owner)
    # a list of instances stands for its items (`workers = [W.remote() for _ in range(4)]`, then `workers[0]`)
    candidates = [item for node in bindings for item in _items(node)]
    return any(_makes(node, owner) or isinstance(node, (cst.Name, cst.Attribute, cst.Subscript))
               and _is_instance(collector, node, scope, owner, depth + 1) for node in candidates)


def _elements(scope: Scope, name: str) -> list[cst.BaseExpression]:
    """What `name` iterates over where it is a loop or comprehension variable (`for w in workers`)."""
    current: Scope | None = scope
    while current is not None:
        found = current.elements.get(name)
        if found:
            return found
        current = current.parent
    return []


def _items(iterable: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The items a list, tuple or comprehension holds; a name stands for what it holds (read by the
    caller: `_is_instance` follows names)."""
    if isinstance(iterable, (cst.List, cst.Tuple)):
        return [element.value for element in iterable.elements]
    if isinstance(iterable, (cst.ListComp, cst.GeneratorExp)):
        return [iterable.elt]
    return [iterable]


def _bindings(scope: Scope, name: str) -> list[cst.BaseExpression]:
    current: Scope | None = scope
    while current is not None:
        found = current.names.get(name)
        if found:
            return [b.node for b in found if b.node is not None]
        current = current.parent
    return []


def _makes(node: cst.BaseExpression, owner: str) -> bool:
    """`owner(...)`, `owner.remote(...)`, `owner.options(...).remote(...)`."""
    if isinstance(node, cst.Await):
        node = node.expression
    if not isinstance(node, cst.Call):
        return False
    func = node.func
    if isinstance(func, cst.Name):
        return func.value == owner
    if isinstance(func, cst.Attribute) and func.attr.value == catalogue().actor_call:
        made = _options_receiver(func.value)
        return isinstance(made, cst.Name) and made.value == owner
    return False
