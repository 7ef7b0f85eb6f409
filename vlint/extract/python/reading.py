"""What every part of the visitor shares: the file's facts, the catalogue, and the readers of a call's model,
messages and arguments (the visitor is split by kind of call: `visitor.py` client calls and launches,
`offline.py` vLLM's engines, `rawhttp.py` raw HTTP)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import libcst as cst

from vlint.extract.python.catalogue import catalogue
from vlint.extract.python.scopes import Collector
from vlint.extract.python.values import Resolver
from vlint.facts import LIMIT_FIELDS, SCORE_FIELDS, FileFacts, Scalar, Value, output_fields


class FactReader(Resolver):
    def __init__(self, path: str, collector: Collector, facts: FileFacts) -> None:
        super().__init__(path, collector)
        self.facts = facts
        self.cat = catalogue()

    @staticmethod
    def _pick(positional: list[cst.BaseExpression], keywords: dict[str, cst.BaseExpression],
              names: Sequence[Any]) -> cst.BaseExpression | None:
        """The first argument of `names` given: keyword names, `{pos: N}` for the N-th positional one."""
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
            return dataclasses.replace(value, literal=literal)
        if value.env is not None or value.symbol is not None or value.options or value.served_model:
            return value
        return None

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
