"""Raw HTTP requests: a POST whose URL ends with a chat or completion route, in one of the catalogue's HTTP
call shapes (`http:` in rules/clients.yaml): `requests.post(url, json=body)`, `client.stream("POST", url,
json=body)`, `requests.request("POST", url, ...)`, `urllib.request.Request(url, data=json.dumps(body).encode())`.

The URL is resolved as any value is (constants, f-strings with a base, concatenations); a URL that cannot be
resolved to a route, a verb that is not POST, or a body that is not a dict literal (built by hand,
through `json.dumps` and `.encode()` or not) gives no request: nothing is guessed.
"""

from __future__ import annotations

from typing import Any

import libcst as cst

from vlint.extract.python.catalogue import HttpShape
from vlint.extract.python.reading import FactReader
from vlint.extract.python.scopes import attribute_chain
from vlint.facts import Request, Value

_WRAPPERS = frozenset({"dumps", "encode", "bytes"})  # `json.dumps(b)`, `s.encode()`, `bytes(s, "utf-8")`


class HttpReader(FactReader):
    """The raw-HTTP part of the visitor (`visitor.Extractor`)."""

    def _http_request(self, node: cst.Call, line: int) -> None:
        shape = self.cat.http_shape(self._qualname(node.func), attribute_chain(node.func))
        if shape is None:
            return
        positional, keywords = self.call_arguments(node, line)
        body = self._http_body(shape, positional, keywords, line)
        if body is None or not self._is_post(shape, positional, keywords, line):
            return
        url = self.value_of(self._pick(positional, keywords, shape.url), line)
        if url is None or not isinstance(url.literal, str):
            return
        routed = self.cat.route_kind(url.literal)
        if routed is None:
            return
        api, route = routed
        model = self._model_value(body.get("model"), line, False)
        temp_node = body.get("temperature")
        temperature = self.value_of(temp_node, line) if temp_node is not None else None
        if temp_node is not None and temperature is None:
            temperature = Value(None, self._loc(temp_node), "unresolved expression")
        max_tokens, scores = self._output_fields(body, line)
        self.facts.requests.append(Request(
            location=self._loc(node), api=api, client=f"HTTP POST {route}",  # type: ignore[arg-type]
            model=model, temperature=temperature, default_temperature=self.cat.http_default_temperature,
            messages=self._messages(body.get("messages"), line) if api == "chat" else None,
            chat_template="request chat_template" if "chat_template" in body else None,
            max_tokens=max_tokens, scores=scores, endpoint=url.literal,
        ))

    def _is_post(self, shape: HttpShape, positional: list[cst.BaseExpression],
                 keywords: dict[str, cst.BaseExpression], line: int) -> bool:
        """A shape named by its verb (`post`) is a POST; otherwise the verb argument says, or, when it is
        not given, the shape's default verb for a call that carries a body."""
        if not shape.verb:
            return True
        verb_node = self._pick(positional, keywords, shape.verb)
        if verb_node is None:
            return shape.verb_default is not None and shape.verb_default.upper() == "POST"
        verb = self.value_of(verb_node, line)
        return verb is not None and isinstance(verb.literal, str) and verb.literal.upper() == "POST"

    def _http_body(self, shape: HttpShape, positional: list[cst.BaseExpression],
                   keywords: dict[str, cst.BaseExpression], line: int) -> dict[Any, cst.BaseExpression] | None:
        """The request body as a dict literal: the first body argument that is one."""
        for name in shape.body:
            candidate = self._pick(positional, keywords, (name,))
            if candidate is None:
                continue
            body = self.dict_literal(self._unwrapped_body(candidate, line), line)
            if body is not None:
                return body
        return None

    def _unwrapped_body(self, node: cst.BaseExpression, line: int, depth: int = 0) -> cst.BaseExpression:
        """`json.dumps(body).encode("utf-8")`, a name bound to it, `bytes(json.dumps(body), ...)`: `body`."""
        while depth < 8:
            depth += 1
            if isinstance(node, cst.Name):
                binding = self.scope.lookup(node.value, line)
                if binding is None or binding.node is None or isinstance(binding.node, cst.Dict):
                    return node
                node, line = binding.node, binding.line
                continue
            if not isinstance(node, cst.Call):
                return node
            chain = attribute_chain(node.func)
            if chain[-1:] == ["encode"] and isinstance(node.func, cst.Attribute):
                node = node.func.value  # `s.encode("utf-8")`: the string encoded
            elif chain and chain[-1] in _WRAPPERS and node.args:
                node = node.args[0].value
            else:
                return node
        return node
