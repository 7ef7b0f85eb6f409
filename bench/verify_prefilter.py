"""Check on a real tree that the Python prefilter drops only files that hold nothing.

    python bench/verify_prefilter.py /tmp/vllm-src --sample 150

Every `.py` file the second (ast) stage drops, and a random sample of those the word stage drops, is
extracted with the prefilter switched off; any fact or error found in one of them is printed as LOST and
the exit status is 1. Slow by design (it runs the libcst extractor on files vlint never parses).
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tree", type=Path)
    parser.add_argument("--sample", type=int, default=150, help="word-dropped files to check (0: all)")
    args = parser.parse_args()

    from vlint.extract.python.pipeline import extract_python
    from vlint.extract.python.prefilter import might_hold_facts, words_match

    ast_dropped, word_dropped = [], []
    for path in sorted(args.tree.rglob("*.py")):
        text = path.read_bytes().decode("utf-8", "replace")
        if not words_match(text):
            word_dropped.append((path, text))
        elif not might_hold_facts(text):
            ast_dropped.append((path, text))
    random.seed(7)
    if args.sample and len(word_dropped) > args.sample:
        word_dropped = random.sample(word_dropped, args.sample)

    lost = 0
    for label, group in (("ast-dropped", ast_dropped), ("word-dropped", word_dropped)):
        for path, text in group:
            facts = extract_python(text, str(path), prefiltered=False)  # as if there were no prefilter
            if facts.requests or facts.serves or facts.env or facts.errors:
                lost += 1
                print("LOST", label, path, facts.requests[:1], facts.serves[:1], facts.errors[:1], flush=True)
        print(f"{label}: {len(group)} files checked", flush=True)
    print(f"lost: {lost}")
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
