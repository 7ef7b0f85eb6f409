"""The `vlint` program's entry point (the console script, `python -m vlint`).

Before anything heavy is imported (click, the rules, the extractors), it reads from the command line which
files a scan names and lets `vlint/extract/early.py` start an extraction worker for them: a one-file run
(the pre-commit hook's shape) then overlaps the worker's import of libcst (~0.15 s) with its own imports and
its reading of the project, instead of waiting for one after the other. Reading the command line here is a
guess that only decides that; click parses it for real in `vlint.cli`, and a wrong guess costs at most an
idle worker's import on another core (`tests/test_early_worker.py` holds the two to the same options).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

COMMANDS = frozenset({"cache", "config", "explain", "model", "probe", "rules"})  # everything but `scan`
# `vlint scan` options that take a value (the rest are flags)
VALUE_OPTIONS = frozenset({
    "--baseline", "--color", "--config", "--engine-arg", "--exclude", "--extend-select", "--fail-on", "--format",
    "--ignore", "--jobs", "--min-confidence", "--model-path", "--output", "--project-root", "--samples",
    "--select", "--stdin-filename", "--temperature-threshold", "--verify-report", "--write-baseline", "-j", "-o",
})


def named_files(argv: Sequence[str]) -> tuple[list[str], str | None]:
    """The paths a `vlint [scan]` command line names, and its `--stdin-filename`; none for other commands."""
    args = list(argv)
    if args and args[0] == "scan":
        args = args[1:]
    elif args and args[0] in COMMANDS:
        return [], None
    paths: list[str] = []
    stdin: str | None = None
    position = 0
    while position < len(args):
        arg = args[position]
        position += 1
        if arg == "--":
            paths.extend(args[position:])
            break
        if arg in ("-h", "--help", "--version"):
            return [], None
        if arg.startswith("--") and "=" in arg:
            name, value = arg.split("=", 1)
            stdin = value if name == "--stdin-filename" else stdin
        elif arg in VALUE_OPTIONS:
            if arg == "--stdin-filename" and position < len(args):
                stdin = args[position]
            position += 1
        elif arg.startswith("-") and arg != "-":
            continue  # a flag, or a short option with its value attached (`-oFILE`, `-j4`)
        else:
            paths.append(arg)
    return paths, stdin


def run() -> None:
    """Start a worker for the named files when one will probably be needed, then run the CLI."""
    paths, stdin = named_files(sys.argv[1:])
    from vlint.extract import early

    early.start_for(paths, stdin)
    from vlint.cli import run as cli_run

    cli_run()
