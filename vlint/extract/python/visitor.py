"""The visitor: every call the catalogue (`rules/clients.yaml`) knows becomes a fact. Client calls become
requests, `.chat`/`.generate` on a vLLM engine offline requests, POSTs to a chat or completion route HTTP
requests, and `subprocess`/`os.system` command lines the launches and env bindings the command-line
extractors read in them. Calls are read after the walk, in source order, each in the scope it was made in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import libcst as cst

from vlint.extract.python.catalogue import CallSpec, catalogue
from vlint.extract.python.scopes import Collector, attribute_chain
from vlint.extract.python.server import client_endpoint
from vlint.extract.python.values import Resolver
from vlint.facts import (
    LIMIT_FIELDS,
    SCORE_FIELDS,
    FileFacts,
    ParseError,
    Request,
    Scalar,
    Value,
    output_fields,
)


class Extractor(Resolver):
    def __init__(self, path: str, collector: Collector, facts: FileFacts) -> None:
        super().__init__(path, collector)
        self.facts = facts
        self.cat = catalogue()

    def run(self) -> None:
        for call, scope in self.c.calls:
            self.scope = scope
            self.visit_Call(call)

    def match(self, node: cst.Call) -> CallSpec | None:
        return self.cat.spec_for(self._qualname(node.func), attribute_chain(node.func))

    def _may_handle(self, node: cst.Call) -> bool:
        """Whether a call the catalogue does not name could still be an offline, HTTP or launch one
        (the first test of each of those handlers): the others need no position."""
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in self.cat.engine_methods:
            return True
        chain = attribute_chain(func)
        if chain and chain[-1] in self.cat.http_methods:
            return True
        return self.cat.is_launch(self._qualname(func) or "")

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
                literal = self.cat.strip_provider_prefix(literal)
            if "\x00" in literal or not literal:
                return None
            return Value(literal, value.location, value.note, value.env, value.is_default)
        if value.env is not None or value.symbol is not None or value.served_model:
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
        max_tokens, scores = self._output_fields({**(body or {}), **keywords}, line)
        self.facts.requests.append(Request(
            location=self._loc(node), api=api, client=spec.client, model=model, temperature=temperature,
            default_temperature=spec.default_temperature, messages=messages,
            prompt=prompt_value.literal if prompt_value and isinstance(prompt_value.literal, str) else None,
            chat_template=template, max_tokens=max_tokens, scores=scores,
            endpoint=client_endpoint(self, node, keywords, line),
        ))

    def _output_fields(self, nodes: Mapping[Any, cst.BaseExpression], line: int) -> tuple[int | None, tuple[str, ...]]:
        """`facts.output_fields` over the literal values of keyword arguments or a dict literal's entries."""
        literal: dict[str, Scalar] = {}
        for key in (*LIMIT_FIELDS, *SCORE_FIELDS):
            if nodes.get(key) is not None and (value := self.value_of(nodes[key], line)) is not None:
                literal[key] = value.literal
        return output_fields(literal)

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
        sampling = self._sampling_call(sp_node, line) if sp_node is not None else None
        max_tokens, scores = self._output_fields(self.call_arguments(sampling, self._loc(sampling).line)[1], line) \
            if sampling is not None else (None, ())
        template = None
        if "chat_template" in keywords or "chat_template" in engine_kw:
            template = "LLM.chat(chat_template=...)"
        messages = self._messages(positional[0] if positional else keywords.get("messages"), line) \
            if api == "offline-chat" else None
        self.facts.requests.append(Request(
            location=self._loc(node), api=api, client=f"vllm.LLM.{method}", model=model,
            temperature=temperature, default_temperature=default, messages=messages, chat_template=template,
            max_tokens=max_tokens, scores=scores,
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
        max_tokens, scores = self._output_fields(body, line)
        self.facts.requests.append(Request(
            location=self._loc(node), api=api, client=f"HTTP POST {matched}",
            model=model, temperature=temperature, default_temperature=self.cat.http_default_temperature,
            messages=self._messages(body.get("messages"), line) if api == "chat" else None,
            chat_template="request chat_template" if "chat_template" in body else None,
            max_tokens=max_tokens, scores=scores, endpoint=url.literal,
        ))

    # ---- launches from Python (subprocess argv lists, os.system strings) -------------------------

    def _subprocess_launch(self, node: cst.Call, line: int) -> None:
        if not self.cat.is_launch(self._qualname(node.func) or ""):
            return
        if not node.args:
            return
        first = node.args[0].value
        if isinstance(first, cst.Name):
            binding = self.scope.lookup(first.value, line)
            first = binding.node if binding is not None and binding.node is not None else first
        try:
            from vlint.extract.positions import Token
            from vlint.extract.shell import argv_facts
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
            serves, requests = argv_facts(tokens)
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
