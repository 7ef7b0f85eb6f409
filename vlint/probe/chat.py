"""The chat probe: a few chat requests to a served model, measured for echo against a completions control.

This is `--verify`'s measurement, sent over HTTP to a running server instead of through an engine of
vlint's own: the same prompts (vlint/verify/probes.py), the same scoring of each output and the same
verdicts (vlint/verify/metrics.py and verdict.py), and the same control, each prompt as a
continuation-style completion at the control temperature. Each sample is its own request with its own
seed (`seed + i`), as `--verify` samples, so servers that ignore `n` are measured the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vlint.probe.client import Client, EndpointError, RequestRejected
from vlint.verify.metrics import ScoredOutput, rates, score_output
from vlint.verify.probes import CONTROL_TEMPERATURE, PROBES, continuation_prompt
from vlint.verify.verdict import Verdict, judge

SEED_INCIDENT_TEMPERATURE = 0.1
"""The temperature probed when no project says otherwise: the seed incident's, where base models echo."""

MAX_TOKENS = 32
"""Enough to see an echo (as `--verify`), and cheap for a production server."""

SAMPLE_CHARS = 200
"""How much of each output a report keeps."""

REFUSALS_KEPT = 3


@dataclass(frozen=True)
class ProbePlan:
    """What to send one served model: every probe prompt `samples` times through chat, and the control."""

    model: str
    temperature: float
    samples: int
    seed: int = 0
    max_tokens: int = MAX_TOKENS

    @property
    def requests_needed(self) -> int:
        return 2 * len(PROBES) * self.samples


@dataclass
class ProbeResult:
    verdict: Verdict
    reason: str
    temperature: float
    chat: list[ScoredOutput] = field(default_factory=list)
    control: list[ScoredOutput] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    @property
    def reached_by_chat(self) -> bool:
        """Chat requests got answers. False when the server refused every one (or none was sent)."""
        return bool(self.chat)

    def as_dict(self) -> dict[str, Any]:
        chat, control = rates(self.chat), rates(self.control)
        out: dict[str, Any] = {
            "verdict": self.verdict,
            "echo_rate": round(chat.echo, 4) if chat.n else None,
            "control_echo_rate": round(control.echo, 4) if control.n else None,
            "samples": [_clipped(o) for o in self.chat],
            "reason": self.reason,
            "temperature": self.temperature,
            "outputs": chat.n,
            "empty_rate": round(chat.empty, 4) if chat.n else None,
            "degenerate_rate": round(chat.degenerate, 4) if chat.n else None,
            "control_samples": [_clipped(o) for o in self.control],
        }
        if self.refused:
            out["refused"] = list(self.refused)
        return out


def skipped(reason: str, temperature: float) -> ProbeResult:
    return ProbeResult("skipped", reason, temperature)


def clip(text: str, limit: int = SAMPLE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _clipped(output: ScoredOutput) -> dict[str, Any]:
    data = output.as_dict()
    data["output"] = clip(output.output)
    data["prompt"] = clip(output.reference)
    return data


def _first_choice(data: Any, path: str) -> dict[str, Any]:
    choices = data.get("choices") if isinstance(data, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise EndpointError(f"{path}: the answer has no `choices`")
    return choices[0]


def _message_text(content: Any) -> str:
    """A chat message's text: a string, or the text parts of a content list; None (a tool call) is ''."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def _finish(choice: dict[str, Any]) -> str | None:
    reason = choice.get("finish_reason")
    return reason if isinstance(reason, str) else None


def _chat_output(client: Client, plan: ProbePlan, prompt: str, sample: int) -> ScoredOutput:
    body = {
        "model": plan.model,
        "messages": [{"role": "user", "content": prompt}],
        "temperature": plan.temperature,
        "max_tokens": plan.max_tokens,
        "seed": plan.seed + sample,
    }
    choice = _first_choice(client.post_json("/chat/completions", body), "/chat/completions")
    message = choice.get("message")
    if not isinstance(message, dict):
        raise EndpointError("/chat/completions: the answer's choice has no `message`")
    return score_output(_message_text(message.get("content")), prompt, finish_reason=_finish(choice))


def _control_output(client: Client, plan: ProbePlan, prompt: str, sample: int) -> ScoredOutput:
    text = continuation_prompt(prompt)
    body = {
        "model": plan.model,
        "prompt": text,
        "temperature": CONTROL_TEMPERATURE,
        "max_tokens": plan.max_tokens,
        "seed": plan.seed + sample,
    }
    choice = _first_choice(client.post_json("/completions", body), "/completions")
    output = choice.get("text") if isinstance(choice.get("text"), str) else ""
    # rendered_prompt: a server asked for `echo` puts the prompt in front; that is never the model's echo.
    return score_output(output, prompt, rendered_prompt=text, finish_reason=_finish(choice))


def _collect(client: Client, plan: ProbePlan, send: Any, refused: list[str]) -> list[ScoredOutput]:
    """Every prompt `plan.samples` times through `send`. A refusal before any answer ends the shape (the
    server will refuse the rest too, and each refusal costs a request); after an answer, only its prompt."""
    outputs: list[ScoredOutput] = []
    for prompt in PROBES:
        for sample in range(plan.samples):
            try:
                outputs.append(send(client, plan, prompt, sample))
            except RequestRejected as exc:
                if len(refused) < REFUSALS_KEPT:
                    refused.append(str(exc))
                if not outputs:
                    return outputs
                break
    return outputs


def run_probe(client: Client, plan: ProbePlan) -> ProbeResult:
    """Send the plan's chat requests and the control, and judge them (raises EndpointError, BudgetSpent)."""
    refused: list[str] = []
    chat = _collect(client, plan, _chat_output, refused)
    if not chat:
        reason = "the server refused every chat request, so chat does not reach this model"
        return ProbeResult("skipped", f"{reason}: {refused[0]}" if refused else reason, plan.temperature,
                           refused=refused)
    control = _collect(client, plan, _control_output, refused)
    judgement = judge(rates(chat), [rates(control)] if control else [])
    reason = judgement.reason
    if not control:
        reason += "; the completions control could not run" + (f" ({refused[-1]})" if refused else "")
    return ProbeResult(judgement.verdict, reason, plan.temperature, chat, control, refused)
