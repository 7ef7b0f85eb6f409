"""Measure what a model said: echo of the prompt, empty output, degenerate repetition.

Why measure rather than eyeball: a verdict must be reproducible and comparable with its control, so
every output gets a number (`echo_score`) and one category, and a finding gets rates over all of them.

The echo score works on words (`\\w+`, lower-cased), so punctuation, case and whitespace noise do not
matter: it is the longest run of consecutive prompt words found in the output, divided by the prompt's
length in words (capped at `ECHO_WORD_CAP`, so a model that restates 16 words of a long prompt inside
a length-limited answer still scores 1.0). A real answer that quotes part of the question ("The capital
of France is Paris." for "What is the capital of France?") scores 0.67 and stays below `ECHO_THRESHOLD`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

ECHO_THRESHOLD = 0.8
"""An output whose echo score reaches this restates (nearly) the whole prompt."""

ECHO_WORD_CAP = 16
"""A run this many prompt words long is a full echo even when the prompt is longer."""

SHORT_PROMPT_WORDS = 3
"""Prompts this short ("Hi!") are echoed only if the output is mostly the prompt, not merely contains it."""

Category = Literal["echo", "empty", "degenerate", "ok"]

_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def strip_prompt_prefix(output: str, rendered_prompt: str | None) -> str:
    """Drop a copy of the rendered prompt that the serving layer put in front of the output.

    Why: vLLM's `echo=true` (completions) prepends the prompt on purpose; that is not the model
    echoing, so it must never count. The offline API does not do this, but outputs that came from a
    server log might.
    """
    if rendered_prompt and output.startswith(rendered_prompt):
        return output[len(rendered_prompt) :]
    return output


def longest_common_run(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest contiguous sequence of items shared by `a` and `b` (dynamic programming)."""
    best = 0
    previous = [0] * (len(b) + 1)
    for item in a:
        current = [0] * (len(b) + 1)
        for j, other in enumerate(b, start=1):
            if item == other:
                current[j] = previous[j - 1] + 1
                best = max(best, current[j])
        previous = current
    return best


def common_prefix(a: Sequence[str], b: Sequence[str]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def echo_score(output: str, reference: str) -> float:
    """How much of `reference` (the user message or prompt) `output` restates, from 0.0 to 1.0."""
    ref, out = words(reference), words(output)
    if not ref or not out:
        return 0.0
    run = longest_common_run(ref, out)
    score = min(1.0, run / min(len(ref), ECHO_WORD_CAP))
    if len(ref) <= SHORT_PROMPT_WORDS:
        # "Hi" -> "Hi! How can I help you today?" contains the prompt but is an answer.
        restated = sum(w in set(ref) for w in out) / len(out)
        score = min(score, restated)
    return score


def starts_with_prompt(output: str, reference: str) -> bool:
    """True when the output opens by repeating at least half of the prompt, in order."""
    ref, out = words(reference), words(output)
    if not ref or not out:
        return False
    return common_prefix(ref, out) >= max(1, min(len(ref), ECHO_WORD_CAP) // 2)


def is_empty(output: str) -> bool:
    """Empty or whitespace-only: the random model's `"\\n" * 16` is this, not an echo."""
    return not output.strip()


def repeated_span(text: str, max_period: int = 20) -> int:
    """Longest stretch of `text` made of one unit (1 to `max_period` characters) repeated back to back."""
    best = 0
    for period in range(1, min(max_period, len(text) // 2) + 1):
        run = 0
        for i in range(period, len(text)):
            run = run + 1 if text[i] == text[i - period] else 0
            if run >= period:  # at least two copies of the unit
                best = max(best, run + period)
    return best


def is_degenerate(output: str) -> bool:
    """Non-empty output stuck in a loop: one short unit over most of it, or very few distinct words.

    Why both: "!!!!!!!!" and "the the the the" loop at the character level; "of the of the a of the"
    does not but has almost no vocabulary.
    """
    text = output.strip()
    if not text:
        return False
    if len(text) >= 8 and repeated_span(text) >= 0.6 * len(text):
        return True
    ws = words(text)
    if not ws and len(text) >= 8:
        return True  # only punctuation or symbols
    return len(ws) >= 8 and len(set(ws)) / len(ws) <= 0.3


def categorize(output: str, reference: str) -> Category:
    """One category per output, most specific first: empty, then echo, then degenerate, else ok.

    An output that echoes the prompt three times is an echo (the failure we look for), not merely
    repetitive.
    """
    if is_empty(output):
        return "empty"
    if echo_score(output, reference) >= ECHO_THRESHOLD:
        return "echo"
    if is_degenerate(output):
        return "degenerate"
    return "ok"


@dataclass(frozen=True)
class ScoredOutput:
    """One generated text with its measurements, as it appears in the report."""

    reference: str
    output: str
    echo_score: float
    starts_with_prompt: bool
    category: Category
    finish_reason: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "prompt": self.reference,
            "output": self.output,
            "echo_score": round(self.echo_score, 3),
            "starts_with_prompt": self.starts_with_prompt,
            "category": self.category,
            "finish_reason": self.finish_reason,
        }


def score_output(
    output: str, reference: str, *, rendered_prompt: str | None = None, finish_reason: str | None = None
) -> ScoredOutput:
    text = strip_prompt_prefix(output, rendered_prompt)
    return ScoredOutput(
        reference=reference,
        output=text,
        echo_score=echo_score(text, reference),
        starts_with_prompt=starts_with_prompt(text, reference),
        category=categorize(text, reference),
        finish_reason=finish_reason,
    )


@dataclass(frozen=True)
class Rates:
    """Shares of outputs per category; `n` is how many outputs they are over (0: nothing was generated)."""

    n: int
    echo: float
    empty: float
    degenerate: float
    mean_echo_score: float

    @property
    def failure(self) -> float:
        """Outputs that are no answer at all: empty or looping."""
        return self.empty + self.degenerate


def rates(outputs: Iterable[ScoredOutput]) -> Rates:
    items = list(outputs)
    n = len(items)
    if n == 0:
        return Rates(0, 0.0, 0.0, 0.0, 0.0)

    def share(category: Category) -> float:
        return sum(o.category == category for o in items) / n

    return Rates(
        n=n,
        echo=share("echo"),
        empty=share("empty"),
        degenerate=share("degenerate"),
        mean_echo_score=sum(o.echo_score for o in items) / n,
    )
