"""Built-in probe prompts: ordinary instructions any chat model should answer, not repeat.

Why these: a base model queried through a chat template tends to restate such a request instead of
answering it, so they expose the echo even when the scanned code's own messages are not literal.
They are short (well under 24 tokens) and made of common English words so that tiny test models
(tests/fixtures/echo-model, whose tokenizer is trained on these words) tokenize them sensibly.
None of them asks for repetition: an echo of these is a failure, never a correct answer.
"""

from __future__ import annotations

PROBES: tuple[str, ...] = (
    "What is the capital of France?",
    "Tell me a fact about the moon.",
    "Hello, what is your name?",
    "Give me three tips for better sleep.",
    "Write a short poem about the sea.",
)

CONTINUATION_TEMPLATE = "Question: {text}\nAnswer:"
"""How the control phrases a prompt for completion: the continuation shape a base model is good at."""

CONTROL_TEMPERATURE = 0.8
"""The control's temperature: how a base model is meant to be sampled (`--verify` and `vlint probe`)."""


def continuation_prompt(text: str) -> str:
    """The control's completion prompt for an instruction `text`."""
    return CONTINUATION_TEMPLATE.format(text=text)
