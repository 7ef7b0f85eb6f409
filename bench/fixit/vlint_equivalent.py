"""The closest Fixit 2 rule a user could write for vlint's Python checks: the same call patterns as
bench/semgrep/vlint-equivalent.yaml, matched on libcst with Fixit's matchers. Python only (Fixit lints
nothing else), no alias or cross-file resolution: it is the speed reference, not a peer in recall.

Run: PYTHONPATH=bench/fixit fixit --rules vlint_equivalent lint PATH
"""

from __future__ import annotations

import re

import libcst as cst
import libcst.matchers as m
from fixit import Invalid, LintRule, Valid

BASE_MODEL = re.compile(
    r"(?i)^(?:hosted_vllm/)?(?:Qwen/Qwen[0-9.]*-[0-9.]+B|meta-llama/(?:Meta-)?Llama-[0-9.]+-[0-9]+B"
    r"|mistralai/Mistral-[0-9]+B-v0\.[0-9]|google/gemma-[0-9]+-[0-9]+b)$"
)
CHAT_TAILS = (("chat", "completions", "create"), ("chat", "completions", "parse"), ("ChatCompletion", "create"))
SAMPLING_TAILS = (("completions", "create"), ("SamplingParams",))


def _tail(node: cst.BaseExpression) -> tuple[str, ...]:
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
    return tuple(reversed(parts))


def _keyword(call: cst.Call, name: str) -> cst.BaseExpression | None:
    for arg in call.args:
        if m.matches(arg, m.Arg(keyword=m.Name(name))):
            return arg.value
    return None


def _string(node: cst.BaseExpression | None) -> str | None:
    if isinstance(node, cst.SimpleString):
        return node.evaluated_value if isinstance(node.evaluated_value, str) else None
    return None


def _number(node: cst.BaseExpression | None) -> float | None:
    if isinstance(node, (cst.Float, cst.Integer)):
        return float(node.evaluated_value)
    return None


class BaseModelChat(LintRule):
    """A base model id passed to a chat API, or a sampling temperature below 0.5."""

    VALID = [
        Valid('client.chat.completions.create(model="Qwen/Qwen2.5-7B-Instruct", messages=[])'),
        Valid('client.completions.create(model="Qwen/Qwen2.5-7B", prompt="x", temperature=0.8)'),
        Valid("thermostat.set(temperature=0.1)"),
    ]
    INVALID = [
        Invalid('client.chat.completions.create(model="Qwen/Qwen2.5-7B", messages=[])'),
        Invalid('client.completions.create(model="m", prompt="x", temperature=0.1)'),
        Invalid("SamplingParams(temperature=0.0)"),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        tail = _tail(node.func)
        if any(tail[-len(t):] == t for t in CHAT_TAILS) or tail[-1:] in (("LLM",), ("ChatOpenAI",)):
            model = _string(_keyword(node, "model"))
            if model is not None and BASE_MODEL.match(model):
                self.report(node, f"base model {model} queried through a chat API")
                return
        if any(tail[-len(t):] == t for t in SAMPLING_TAILS):
            temperature = _number(_keyword(node, "temperature"))
            if temperature is not None and temperature < 0.5:
                self.report(node, f"sampling at temperature {temperature} below 0.5")
