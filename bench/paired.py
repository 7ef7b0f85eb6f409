"""Two vlint checkouts against each other, paired: is this commit faster or slower than that one?

    python bench/paired.py --old /tmp/vlint-6789319 --new . --repo /tmp/vllm-src --rounds 7

Each checkout runs from its own source folder (`PYTHONPATH`, checked: the run fails if the interpreter
imports vlint from anywhere else) under the same interpreter, so only vlint's code differs; each as its
console script runs it (the entry point its pyproject.toml names, `run.program`). Scenarios on the
`--repo` tree: `cold` (a whole scan, no cache), `warm` (a whole scan again, the cache primed), `one-file`
(one Python file with a chat call, the cache primed), `one-file-cold` (the same file, no cache) and
`one-file-changed` (the pre-commit shape: the cache primed, the file edited before each run, so it is read
and parsed again while the rest of the tree is not; the file is restored at the end). For project-aware
checkouts the tree must be a project (a `.git` or a `vlint.toml` at its top) to be linked as one. Rounds alternate old and new, swapping which goes first each round, so a noisy
neighbour hits both alike; the figure is the median of the per-round ratios new/old (wall and CPU of the
process tree), next to each side's medians. The findings count of each side is printed too: a speed-up
that loses findings is not one.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import Sample, measure, program  # noqa: E402  (bench/ is a folder of scripts, not a package)

SCENARIOS = ("cold", "warm", "one-file", "one-file-cold", "one-file-changed")


def checkout_env(source: Path, cache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(source)
    env["VLINT_CACHE_DIR"] = str(cache)
    env["VLINT_FILE_CACHE_DIR"] = str(cache / "files")  # where checkouts before the per-user cache kept facts
    return env


def check_import(python: str, source: Path) -> None:
    """The interpreter must import vlint from `source` (an editable install elsewhere would win silently)."""
    out = subprocess.run([python, "-c", "import vlint, sys; sys.stdout.write(vlint.__file__)"], check=True,
                         capture_output=True, text=True, env=checkout_env(source, Path(tempfile.gettempdir())),
                         cwd=tempfile.gettempdir())  # not the checkout: '' on sys.path would import it from there
    if not Path(out.stdout).resolve().is_relative_to(source.resolve()):
        raise SystemExit(f"{python} imports vlint from {out.stdout}, not from {source}")


def command(python: str, source: Path, scenario: str, one_file: str) -> list[str]:
    target = one_file if scenario.startswith("one-file") else "."
    cmd = [*program(python, source), "scan", target, "--format", "json", "--fail-on", "never"]
    return [*cmd, "--no-cache"] if scenario.endswith("cold") else cmd


def findings(sample: Sample) -> int:
    try:
        return len(json.loads(sample.stdout).get("findings", []))
    except (ValueError, AttributeError):
        return -1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--old", type=Path, required=True, help="source folder of the baseline checkout")
    parser.add_argument("--new", type=Path, required=True, help="source folder of the checkout measured")
    parser.add_argument("--repo", type=Path, required=True, help="the tree scanned (e.g. a vLLM checkout)")
    parser.add_argument("--one-file", default="examples/online_serving/openai_chat_completion_client.py",
                        help="the file of the one-file scenarios, relative to --repo")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--new-args", default="", help="extra arguments for the new checkout's runs only "
                        "(e.g. --isolated: the one-file semantics of checkouts before issue 16)")
    args = parser.parse_args()
    scenarios = [s for s in args.scenarios.split(",") if s]
    unknown = set(scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    sides = {"old": args.old.resolve(), "new": args.new.resolve()}
    for source in sides.values():
        subprocess.run([args.python, "-m", "compileall", "-q", str(source / "vlint")], check=True)
        check_import(args.python, source)
    with tempfile.TemporaryDirectory(prefix="vlint-paired-") as tmp:
        caches = {side: Path(tmp) / side for side in sides}
        for side, source in sides.items():  # prime each side's cache once
            measure(command(args.python, source, "warm", args.one_file), env=checkout_env(source, caches[side]), cwd=args.repo)
        for scenario in scenarios:
            report(scenario, run_pairs(args, scenario, sides, caches))
    return 0


def run_pairs(args: argparse.Namespace, scenario: str, sides: dict[str, Path],
              caches: dict[str, Path]) -> dict[str, list[Sample]]:
    samples: dict[str, list[Sample]] = {"old": [], "new": []}
    edited = args.repo / args.one_file
    original = edited.read_bytes()
    try:
        for round_no in range(args.rounds):
            order = ("old", "new") if round_no % 2 == 0 else ("new", "old")
            for side in order:
                if scenario == "one-file-changed":  # a new content each run: a cache miss for this file only
                    edited.write_bytes(original + f"# edited for round {round_no} ({side})\n".encode())
                env = checkout_env(sides[side], caches[side])
                extra = args.new_args.split() if side == "new" else []
                samples[side].append(measure([*command(args.python, sides[side], scenario, args.one_file), *extra], env=env,
                                             cwd=args.repo))
    finally:
        edited.write_bytes(original)
    return samples


def report(scenario: str, samples: dict[str, list[Sample]]) -> None:
    print(f"{scenario:14} {paired_line('new', samples['new'], 'old', samples['old'])}", flush=True)


def paired_line(name: str, series: list[Sample], base_name: str, base: list[Sample]) -> str:
    """`series` against `base`, run in alternating pairs: the medians of the per-round ratios (wall, CPU),
    each side's medians, and the findings of each side's last run."""

    def ratio(attr: str) -> float:
        return statistics.median(getattr(a, attr) / getattr(b, attr) for a, b in zip(series, base, strict=True))

    def med(runs: list[Sample], attr: str) -> float:
        return statistics.median(getattr(s, attr) for s in runs)

    return (f"{name}/{base_name} wall {ratio('wall'):.3f}  cpu {ratio('cpu'):.3f}   "
            f"{base_name} {med(base, 'wall'):.3f}s/{med(base, 'cpu'):.3f}s  "
            f"{name} {med(series, 'wall'):.3f}s/{med(series, 'cpu'):.3f}s  "
            f"findings {base_name} {findings(base[-1])} {name} {findings(series[-1])}  rounds {len(series)}")


if __name__ == "__main__":
    raise SystemExit(main())
