"""The visitor: every call the catalogue (`rules/clients.yaml`) knows becomes a fact. Client calls become
requests, `.chat`/`.generate` on a vLLM engine offline requests (`offline.py`), POSTs to a chat or
completion route HTTP requests (`rawhttp.py`), and `subprocess`/`os.system` command lines the launches and
env bindings the command-line extractors read in them. Calls are read after the walk, in source order, each
in the scope it was made in.
"""

from __future__ import annotations

import libcst as cst

from vlint.extract.python.catalogue import CallSpec
from vlint.extract.python.offline import OfflineReader
from vlint.extract.python.rawhttp import HttpReader
from vlint.extract.python.scopes import attribute_chain
from vlint.extract.python.server import client_endpoint
from vlint.facts import ParseError, Request, Value


class Extractor(HttpReader, OfflineReader):
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
        if isinstance(func, cst.Attribute) and (func.attr.value in self.cat.engine_methods
                                                or func.attr.value == self.cat.actor_call):
            return True
        qualname = self._qualname(func)
        if self.cat.http_shape(qualname, attribute_chain(func)) is not None:
            return True
        return self.cat.is_launch(qualname or "")

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
            serves, requests = argv_facts(tokens, runs=self.facts.runs)
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
