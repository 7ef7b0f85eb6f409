"""Project-aware one-file runs (issue 16): what linking one file against its whole project costs.

    python bench/project.py --repo /tmp/vllm-src --rounds 7

On the `--repo` tree, for each `--file` (relative to it; the pre-commit shape: one changed file):
`linked` is `vlint scan FILE --project-root .` with the project's cache primed (today's default: the file
is linked against every file of the tree and the findings that touch it are reported) and `isolated` is
the same run with `--isolated` (the one-file semantics before issue 16: the file alone, its own facts
from the same cache). Rounds alternate the two, swapping which goes first each round, so a noisy
neighbour hits both alike; the figure is the median of the per-round ratios linked/isolated (wall and CPU
of the process tree), next to each side's medians. `--cold N` also times N first runs (a fresh cache each:
the full scan a repository's first hook run pays) and prints the one-line note that run gives on stderr.
`--project-root .` because a tree written out of a git directory holds no `.git`; in a clone the root is
found (a few `stat`s). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from paired import paired_line  # noqa: E402  (bench/ is a folder of scripts, not a package)
from run import Sample, measure, program  # noqa: E402

FILES = ("examples/reasoning/openai_chat_completion_with_reasoning.py",  # a chat call (libcst runs)
         "vllm/v1/worker/gpu_model_runner.py")  # a large module without trigger words


def command(python: str, file: str, *, isolated: bool) -> list[str]:
    cmd = [*program(python, HERE.parent), "scan", file, "--project-root", ".", "--format", "json", "--fail-on", "never"]
    return [*cmd, "--isolated"] if isolated else cmd


def cache_env(cache: Path) -> dict[str, str]:
    return {**os.environ, "VLINT_CACHE_DIR": str(cache)}


def paired(args: argparse.Namespace, file: str, cache: Path) -> dict[str, list[Sample]]:
    samples: dict[str, list[Sample]] = {"linked": [], "isolated": []}
    for round_no in range(args.rounds):
        order = ("linked", "isolated") if round_no % 2 == 0 else ("isolated", "linked")
        for side in order:
            argv = command(args.python, file, isolated=side == "isolated")
            samples[side].append(measure(argv, env=cache_env(cache), cwd=args.repo))
    return samples


def report(file: str, samples: dict[str, list[Sample]]) -> None:
    print(f"{file}\n  {paired_line('linked', samples['linked'], 'isolated', samples['isolated'])}", flush=True)


def cold(args: argparse.Namespace, file: str, tmp: Path) -> None:
    walls, cpus = [], []
    note = ""
    for n in range(args.cold):
        env = cache_env(tmp / f"cold-{n}")
        started = measure(command(args.python, file, isolated=False), env=env, cwd=args.repo)
        walls.append(started.wall)
        cpus.append(started.cpu)
        if n == 0:  # the note, from a run of its own (measure drops stderr)
            env = cache_env(tmp / "cold-note")
            done = subprocess.run(command(args.python, file, isolated=False), env=env, cwd=args.repo,
                                  capture_output=True, text=True)
            note = next((line for line in done.stderr.splitlines() if "whole project" in line), "(no note)")
    print(f"cold first run of {file}: wall {statistics.median(walls):.2f} s (runs {', '.join(f'{w:.2f}' for w in walls)}), "
          f"cpu {statistics.median(cpus):.2f} s\n  stderr: {note}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", type=Path, required=True, help="the tree (e.g. a vLLM checkout)")
    parser.add_argument("--file", action="append", help="a file of the one-file runs, relative to --repo "
                                                        "(repeatable; default: a chat client and a large module)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--cold", type=int, default=3, help="first runs to time (0: none)")
    parser.add_argument("--python", default=sys.executable, help="the Python that has vlint installed")
    args = parser.parse_args()
    args.repo = args.repo.resolve()
    files = args.file or list(FILES)
    missing = [f for f in files if not (args.repo / f).is_file()]
    if missing:
        parser.error(f"not in {args.repo}: {', '.join(missing)}")
    subprocess.run([args.python, "-m", "compileall", "-q", str(HERE.parent / "vlint")], check=True)
    with tempfile.TemporaryDirectory(prefix="vlint-project-bench-") as tmp:
        cache = Path(tmp) / "warm"
        for file in files:  # prime the project's cache (and each file's own entry)
            measure(command(args.python, file, isolated=False), env=cache_env(cache), cwd=args.repo)
            measure(command(args.python, file, isolated=True), env=cache_env(cache), cwd=args.repo)
        for file in files:
            report(file, paired(args, file, cache))
        for file in files[:1] if args.cold else []:
            cold(args, file, Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
