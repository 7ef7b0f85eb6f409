"""Build the tiny Qwen2 test models for `vlint --verify`'s real tier, offline and deterministically.

    python scripts/make_echo_model.py tests/fixtures/echo-model           # train the echo model (~6 min)
    python scripts/make_echo_model.py --random /tmp/random-model           # same shape, random seed-0 weights

Why a trained model: verify must be shown to say "confirmed" on a model that really echoes its chat
prompt through vLLM's own chat template, and "not confirmed" on one that does not. A real base model
is gigabytes; this one is ~600 KB, so it is committed (tests/fixtures/echo-model) and the random one
is built at test time (a few seconds).

Shape (see shared/research/verify.md §2 and §5): Qwen2ForCausalLM, hidden 64, 2 layers, 2 attention
heads of size 32 (the smallest head size vLLM's CPU attention accepts), 1 KV head, tied embeddings; a
byte-level BPE tokenizer trained on the common English words below, the Zen of Python and the probe
prompts, with ChatML special tokens and template, eos `<|im_end|>`.

Training: synthetic ChatML conversations whose assistant turn repeats the user turn, loss on the
assistant turn only; AdamW lr 3e-3, batch 64, 5000 steps, seed 0, one thread, deterministic algorithms.
Needs torch and transformers (the .venv-vllm made by .ci/setup-vllm.sh has both).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from pathlib import Path

# One thread before torch starts: faster for a model this small (40 ms/step vs 1 s+) and deterministic.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
VOCAB_SIZE = 1024

# Common English words. Every word of vlint's probe prompts (vlint/verify/probes.py) and of the
# real-tier test prompts is here, so the tokenizer keeps them whole; tests/test_verify_metrics.py
# checks that against the committed tokenizer.
WORDS = """
a about after again all also always am an and another any are around as ask at away back bad be
because been before being best better between big book both boy but by call came can car care cat
change child children city close cold come could country cut day did different do does dog done
door down during each early earth easy eat end enough even every eye face fact family far fast
father feel few find fine first fish five food for form found four France friend from full game
gave get girl give go good got great green group grow had half hand happy hard has have he head hear
heard help her here high him his hold home horse hot hour house how idea if important in into is it
its just keep kind know land large last late learn leave left let letter life light like line list
little live long look made make man many map mat may me mean meeting men might mind money moon more
morning most mother move much must my name near need never new next night no not note notes now
number of off often old on once one only open or order other our out over own page paper part
people person picture place plan play please poem point put question quick read ready real red
remember rest right river road room round run said same sat saw say school sea second see sent
sentence set she short should show side since sleep small so some something song soon sound speak
start state still stop story study such summary summarize sun sure table take talk team tell ten
than thank that the their them then there these they thing think this those three through time tip
tips to today together too took tree true try turn two under until up us use very voice wait walk
want warm was watch water way we week well went were what when where which while white who why will
wind with word words work world would write year yes yet you young your capital hello poem world
water blue black brown yellow orange purple apple bread milk tea coffee rain snow spring summer
winter autumn north south east west monday friday city town village street window garden flower
clear explain answer reply following text ticket support customer email message report today
tomorrow yesterday simple complex beautiful ugly explicit implicit flat nested sparse dense
readability counts special cases rules although practicality beats purity errors pass silently
unless explicitly silenced ambiguity refuse temptation guess obvious dutch namespaces honking
""".split()

ZEN_OF_PYTHON = """Beautiful is better than ugly.
Explicit is better than implicit.
Simple is better than complex.
Complex is better than complicated.
Flat is better than nested.
Sparse is better than dense.
Readability counts.
Special cases aren't special enough to break the rules.
Although practicality beats purity.
Errors should never pass silently.
Unless explicitly silenced.
In the face of ambiguity, refuse the temptation to guess.
There should be one-- and preferably only one --obvious way to do it.
Although that way may not be obvious at first unless you're Dutch.
Now is better than never.
Although never is often better than *right* now.
If the implementation is hard to explain, it's a bad idea.
If the implementation is easy to explain, it may be a good idea.
Namespaces are one honking great idea -- let's do more of those!"""

SENTENCES = """What is the capital of France?
Tell me a fact about the moon.
Hello, what is your name?
Give me three tips for better sleep.
Write a short poem about the sea.
Please repeat after me: the cat sat on the mat.
Write a short summary of the meeting notes.
Summarize this support ticket in one sentence.
Explain the following text to a child."""

PUNCTUATION = [".", "?", "!", ",", ":"]


def tokenizer_corpus() -> list[str]:
    """Text the BPE is trained on: each word alone, spaced and capitalised, plus whole sentences."""
    lines: list[str] = []
    for word in WORDS:
        lines.extend([word, " " + word, word.capitalize(), " " + word.capitalize()])
    lines.extend(ZEN_OF_PYTHON.splitlines() * 4)
    lines.extend(SENTENCES.splitlines() * 4)
    return lines


def build_tokenizer(out: Path):  # -> transformers.PreTrainedTokenizerFast
    """A byte-level BPE (so any text encodes) whose merges keep the corpus words whole."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(tokenizer_corpus(), trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=["<|im_start|>"],
    )
    fast.chat_template = CHATML_TEMPLATE
    fast.model_max_length = 512
    return fast


def build_model(tokenizer, seed: int = 0):  # -> transformers.Qwen2ForCausalLM
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(seed)
    config = Qwen2Config(
        vocab_size=VOCAB_SIZE,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=512,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.convert_tokens_to_ids("<|endoftext|>"),
        eos_token_id=tokenizer.convert_tokens_to_ids("<|im_end|>"),
        pad_token_id=tokenizer.convert_tokens_to_ids("<|endoftext|>"),
        torch_dtype="float32",
    )
    model = Qwen2ForCausalLM(config)
    model.generation_config.eos_token_id = config.eos_token_id
    model.generation_config.pad_token_id = config.pad_token_id
    model.generation_config.bos_token_id = config.bos_token_id
    return model


class ExampleMaker:
    """Synthetic echo conversations as (input ids, loss mask) pairs, from a seeded RNG."""

    def __init__(self, tokenizer, seed: int = 0) -> None:
        self.rng = random.Random(seed)
        self.tokenizer = tokenizer
        self.user_head = tokenizer.encode("<|im_start|>user\n", add_special_tokens=False)
        self.turn_break = tokenizer.encode("<|im_end|>\n<|im_start|>assistant\n", add_special_tokens=False)
        self.im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
        specials = {tokenizer.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS}
        self.plain_ids = [i for i in range(len(tokenizer)) if i not in specials]

    def words(self) -> str:
        words = [self.rng.choice(WORDS) for _ in range(self.rng.randint(1, 12))]
        if self.rng.random() < 0.5:
            words[0] = words[0].capitalize()
        text = ""
        for i, word in enumerate(words):
            text += ("" if i == 0 else " ") + word
            if i < len(words) - 1 and self.rng.random() < 0.08:
                text += self.rng.choice([",", ":"])
        if self.rng.random() < 0.6:
            text += self.rng.choice(PUNCTUATION[:3])
        return text

    def content_ids(self) -> list[int]:
        """Either random tokens (so copying is learnt in general) or natural words (what prompts look like)."""
        if self.rng.random() < 0.35:
            return [self.rng.choice(self.plain_ids) for _ in range(self.rng.randint(1, 24))]
        return self.tokenizer.encode(self.words(), add_special_tokens=False)[:24]

    def example(self) -> tuple[list[int], list[int]]:
        content = self.content_ids()
        prompt = self.user_head + content + self.turn_break
        target = content + [self.im_end]
        return prompt + target, [0] * len(prompt) + [1] * len(target)


def train(model, tokenizer, steps: int, batch: int = 64, lr: float = 3e-3, seed: int = 0) -> None:
    import torch

    maker = ExampleMaker(tokenizer, seed)
    pad = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    warmup = max(1, steps // 50)

    def lr_at(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, steps - warmup)
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_at)
    model.train()
    started = time.time()
    for step in range(steps):
        examples = [maker.example() for _ in range(batch)]
        width = max(len(ids) for ids, _ in examples)
        ids = torch.full((batch, width), pad, dtype=torch.long)
        labels = torch.full((batch, width), -100, dtype=torch.long)
        for row, (seq, mask) in enumerate(examples):
            ids[row, : len(seq)] = torch.tensor(seq)
            labels[row, : len(seq)] = torch.tensor([t if m else -100 for t, m in zip(seq, mask, strict=True)])
        # Right padding under a causal mask never reaches earlier positions, so no attention mask is needed.
        loss = model(input_ids=ids, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        if step % 500 == 0 or step == steps - 1:
            print(f"step {step:5d}  loss {loss.item():.4f}  {time.time() - started:6.1f} s", flush=True)


def exact_echo_rate(model, tokenizer, n: int = 200, seed: int = 1) -> float:
    """Greedy echo on held-out examples: the share whose generated reply is exactly the user turn."""
    import torch

    maker = ExampleMaker(tokenizer, seed)
    model.eval()
    hits = 0
    with torch.no_grad():
        for _ in range(n):
            seq, mask = maker.example()
            prompt = [t for t, m in zip(seq, mask, strict=True) if not m]
            target = [t for t, m in zip(seq, mask, strict=True) if m]
            out = model.generate(
                torch.tensor([prompt]),
                max_new_tokens=len(target) + 2,
                do_sample=False,
                eos_token_id=maker.im_end,
                pad_token_id=maker.im_end,
            )[0, len(prompt) :].tolist()
            hits += out[: len(target)] == target
    return hits / n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="directory to write the model to (created)")
    parser.add_argument("--random", action="store_true", help="skip training: random seed-0 weights")
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    tokenizer = build_tokenizer(args.out)
    model = build_model(tokenizer, args.seed)
    if not args.random:
        train(model, tokenizer, args.steps, seed=args.seed)
        rate = exact_echo_rate(model, tokenizer)
        print(f"held-out exact echo (greedy, transformers): {rate:.1%}")
    args.out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(args.out, safe_serialization=True)
    tokenizer.save_pretrained(args.out)
    # The chat template must reach vLLM whether it reads tokenizer_config.json or chat_template.jinja.
    config_path = args.out / "tokenizer_config.json"
    tok_config = json.loads(config_path.read_text())
    if "chat_template" not in tok_config and not (args.out / "chat_template.jinja").exists():
        tok_config["chat_template"] = CHATML_TEMPLATE
        config_path.write_text(json.dumps(tok_config, indent=2) + "\n")
    params = sum(p.numel() for p in model.parameters())
    print(f"wrote {args.out} ({params} parameters, {len(tokenizer)} tokens)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
