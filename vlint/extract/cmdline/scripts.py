"""Command lines that run a Python program: `python eval.py --model_name_or_path X --temperature 0`,
`python -m pkg.cli ...`, `./eval.py ...`, and the launchers of distributed jobs (`torchrun`, `accelerate
launch`, `deepspeed`, `python -m torch.distributed.run`).

Each becomes a `ScriptRun`: the program as written and the options passed to it. This module does not know
whether the program is the project's, nor which options it reads: the linker joins the run to the program's
file, whose facts carry the options their values come from (`Value.options`, from argparse, click, typer or
HfArgumentParser). The launcher's own options are skipped: the program is the first word that names a `.py`
file (or the module after `-m`/`--module`); its options are read the argparse way (`--key value`,
`--key=value`, a bare `--flag`), with variables resolved as any word is.
"""

from __future__ import annotations

import re

from vlint.extract.cmdline.context import CommandContext, base_name, value_token
from vlint.extract.positions import Token
from vlint.facts import ScriptRun, Value

# A launcher and the word that must follow it (`accelerate launch`), or None.
LAUNCHERS: dict[str, str | None] = {"torchrun": None, "accelerate": "launch", "deepspeed": None}
# `python -m X` where X is itself a launcher of another program
PYTHON_LAUNCHER_MODULES = frozenset({"torch.distributed.run", "torch.distributed.launch",
                                     "accelerate.commands.launch", "deepspeed.launcher.runner"})
_PYTHON_VALUE_OPTIONS = frozenset({"-W", "-X", "--check-hash-based-pycs"})
_MODULE_FLAGS = frozenset({"-m", "--module"})
_NEGATIVE_NUMBER = re.compile(r"^-\d")
_OPTION = re.compile(r"^--?[A-Za-z][\w.-]*$")


def python_program(argv: list[Token], ctx: CommandContext) -> None:
    """`python [options] script.py ...` or `python -m module ...` (vLLM's own modules are launches, read
    by the vllm family; `python -c` and standard input run no program file)."""
    i = 1
    while i < len(argv):
        text = argv[i].text
        if text in _MODULE_FLAGS or text.startswith("-m") and not text.startswith("--"):
            module, rest = (argv[i + 1].text, i + 2) if text in _MODULE_FLAGS and i + 1 < len(argv) \
                else (text[2:], i + 1)
            if not module or module.split(".")[0] == "vllm":
                return
            if module in PYTHON_LAUNCHER_MODULES:
                _launched(argv, rest, ctx, f"python -m {module}")
            else:
                _record(argv[0], base_name(argv[0]), None, module, argv[rest:], ctx)
            return
        if text.startswith("-c") or text == "-":
            return
        if text in _PYTHON_VALUE_OPTIONS:
            i += 2
        elif text.startswith("-"):
            i += 1
        else:
            if text.endswith(".py"):
                _record(argv[0], base_name(argv[0]), ctx.literal(argv[i]) or text, None, argv[i + 1:], ctx)
            return


def launcher_program(argv: list[Token], ctx: CommandContext) -> None:
    """`torchrun [options] train.py ...`, `accelerate launch [options] -m pkg.train ...`, `deepspeed ...`,
    and a program run by its own path (`./eval.py --model X`)."""
    head = base_name(argv[0])
    if head.endswith(".py"):
        _record(argv[0], "", ctx.literal(argv[0]) or argv[0].text, None, argv[1:], ctx)
        return
    sub = LAUNCHERS.get(head)
    start = 1
    if sub is not None:
        if len(argv) < 2 or argv[1].text != sub:
            return
        start = 2
    _launched(argv, start, ctx, f"{head} {sub}" if sub else head)


def _launched(argv: list[Token], start: int, ctx: CommandContext, launcher: str) -> None:
    """The program a launcher runs: the first word naming a `.py` file, or the module after its `-m`."""
    module_next = False
    for i in range(start, len(argv)):
        text = argv[i].text
        if text in _MODULE_FLAGS:
            module_next = True
            continue
        if text.startswith("-"):
            continue
        if module_next:
            _record(argv[0], launcher, None, text, argv[i + 1:], ctx)
            return
        if text.endswith(".py"):
            _record(argv[0], launcher, ctx.literal(argv[i]) or text, None, argv[i + 1:], ctx)
            return


def _record(head: Token, launcher: str, script: str | None, module: str | None, args: list[Token],
            ctx: CommandContext) -> None:
    if script is not None and "\x00" in script:
        return
    ctx.runs.append(ScriptRun(head.location, launcher or "", script, module, program_options(args, ctx),
                              ctx.context))  # type: ignore[arg-type]


def program_options(args: list[Token], ctx: CommandContext) -> tuple[tuple[str, Value], ...]:
    """`--key value`, `--key=value`, `-k value` and bare `--flag` (True), keys with dashes as underscores."""
    out: list[tuple[str, Value]] = []
    i = 0
    while i < len(args):
        tok = args[i]
        text = tok.text
        if text == "--":
            break
        name, eq, attached = text.partition("=")
        if not _OPTION.match(name) or _NEGATIVE_NUMBER.match(text):
            i += 1
            continue
        key = name.lstrip("-").replace("-", "_")
        if eq:
            out.append((key, ctx.value(value_token(tok, len(name) + 1, attached))))
            i += 1
            continue
        following = args[i + 1] if i + 1 < len(args) else None
        if following is None or _OPTION.match(following.text.partition("=")[0]) \
                and not _NEGATIVE_NUMBER.match(following.text):
            out.append((key, Value(True, tok.location, "a flag")))
            i += 1
            continue
        out.append((key, ctx.value(following)))
        i += 2
    return tuple(out)
