"""What a Python client learns from the server it talks to: the model it asks the server for at run time, and
the server's URL.

`client.models.list().data[0].id`, `models.data[0].id`, `(await client.models.list()).data[0].id` and
`requests.get(f"{base}/v1/models").json()["data"][0]["id"]` name no model: the request chats with whatever
the server serves. Such a value is marked `served_model` (no literal), and the linker gives it the models of
the launches the request reaches (`vlint.reach`). The URL (`OpenAI(base_url=...)`, the URL of a raw HTTP
call) is what decides which launches those are, when it is known.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from vlint.extract.cmdline.servers import server_data
from vlint.extract.python.scopes import attribute_chain
from vlint.facts import Location, Value

if TYPE_CHECKING:
    from vlint.extract.python.values import Resolver

_LISTINGS = (("models", "list"), ("Model", "list"))  # openai v1 `client.models.list()`, v0 `openai.Model.list()`
_GETS = frozenset({"get", "aget"})
_MAX_HOPS = 6


def served_model(resolver: Resolver, node: cst.BaseExpression, line: int) -> Value | None:
    """A `served_model` Value for `<listing>.data[N].id` / `<listing>["data"][N]["id"]`, else None."""
    if isinstance(node, cst.Attribute) and node.attr.value == "id":
        item = node.value
    elif _key(node) == "id":
        item = node.value  # type: ignore[attr-defined]
    else:
        return None
    if not (isinstance(item, cst.Subscript) and isinstance(_index(item), int)):
        return None
    listing = item.value
    if isinstance(listing, cst.Attribute) and listing.attr.value == "data":
        source = listing.value
    elif _key(listing) == "data":
        source = listing.value  # type: ignore[attr-defined]
    else:
        return None
    shown = _listing(resolver, source, line)
    if shown is None:
        return None
    position = resolver.positions.start(node)
    return Value(None, Location(resolver.path, position.line, position.column + 1),
                 note=f"the model the server lists (`{shown}`)", served_model=True)


def _key(node: cst.BaseExpression) -> object:
    """The constant key of `x["key"]`, else None."""
    if not isinstance(node, cst.Subscript) or len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    value = node.slice[0].slice.value
    return value.evaluated_value if isinstance(value, cst.SimpleString) else None


def _index(node: cst.Subscript) -> object:
    """The integer index of `x[0]` (or `x[-1]`), else None."""
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    value = node.slice[0].slice.value
    if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus):
        value = value.expression
    return int(value.value) if isinstance(value, cst.Integer) and value.value.isdigit() else None


def _call_behind(resolver: Resolver, node: cst.BaseExpression, line: int) -> tuple[cst.Call, int] | None:
    """The call an expression stands for: itself, awaited, or what a name is bound to (a few hops)."""
    for _ in range(_MAX_HOPS):
        if isinstance(node, cst.Await):
            node = node.expression
        elif isinstance(node, cst.Name):
            binding = resolver.scope.lookup(node.value, line)
            if binding is None or binding.node is None:
                return None
            node, line = binding.node, binding.line
        else:
            return (node, line) if isinstance(node, cst.Call) else None
    return None


def _listing(resolver: Resolver, node: cst.BaseExpression, line: int) -> str | None:
    """How the server's model list is asked for, when `node` is that list: a `models.list()` call (awaited or
    not), a GET of `.../models` read with `.json()`, or a name bound to one of them."""
    found = _call_behind(resolver, node, line)
    if found is None:
        return None
    call, line = found
    chain = [part for part in attribute_chain(call.func) if part != "()"]
    if any(tuple(chain[-2:]) == listing for listing in _LISTINGS):
        return ".".join(chain[-2:]) + "()"
    if chain[-1:] == ["json"] and isinstance(call.func, cst.Attribute):
        return _models_get(resolver, call.func.value, line)
    return None


def _models_get(resolver: Resolver, node: cst.BaseExpression, line: int) -> str | None:
    """`requests.get(url)` (or a name bound to it) where the URL ends with `/models`."""
    found = _call_behind(resolver, node, line)
    if found is None:
        return None
    call, line = found
    if not call.args or attribute_chain(call.func)[-1] not in _GETS:
        return None
    url = resolver.value_of(call.args[0].value, line)
    if url is None or not isinstance(url.literal, str):
        return None
    if url.literal.split("?", 1)[0].rstrip("/").endswith("/models"):
        return "GET /v1/models"
    return None


def client_endpoint(resolver: Resolver, call: cst.Call, keywords: dict[str, cst.BaseExpression],
                    line: int) -> str | None:
    """The base URL a client request goes to: a keyword of the call itself (`ChatOpenAI(base_url=...)`), or of
    the constructor that made the client the call is made on (`client = OpenAI(base_url=...)`, `self.client`)."""
    found = _endpoint_keyword(resolver, keywords, line)
    if found is not None:
        return found
    root: cst.BaseExpression = call.func
    while isinstance(root, (cst.Attribute, cst.Call)):
        if isinstance(root, cst.Attribute) and isinstance(root.value, cst.Name) and root.value.value in ("self", "cls"):
            bindings = resolver.c.self_attrs.get(root.attr.value, [])
            if len(bindings) == 1 and bindings[0].node is not None:
                return _constructed_endpoint(resolver, bindings[0].node, bindings[0].line)
            return None
        root = root.value if isinstance(root, cst.Attribute) else root.func
    if isinstance(root, cst.Name):
        binding = resolver.scope.lookup(root.value, line)
        if binding is not None and binding.node is not None:
            return _constructed_endpoint(resolver, binding.node, binding.line)
    return None


def _constructed_endpoint(resolver: Resolver, node: cst.BaseExpression, line: int) -> str | None:
    if isinstance(node, cst.Await):
        node = node.expression
    if not isinstance(node, cst.Call):
        return None
    _positional, keywords = resolver.call_arguments(node, line)
    return _endpoint_keyword(resolver, keywords, line)


def _endpoint_keyword(resolver: Resolver, keywords: dict[str, cst.BaseExpression], line: int) -> str | None:
    for name in server_data().endpoint_keywords:
        if name in keywords:
            value = resolver.value_of(keywords[name], line)
            if value is not None and isinstance(value.literal, str):
                return value.literal
    return None
