"""Which words start a command vlint reads, and the wrappers that run the rest of argv as a command.

`may_launch` and `mentions_launch` are the cheap checks the shell and YAML extractors run before any
parsing; they never answer no for a command that could start vLLM or send a request.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from vlint.extract.cmdline.context import base_name
from vlint.extract.positions import Token

ASSIGN_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
PYTHON_RE = re.compile(r"^python(\d+(\.\d+)?)?$")
SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ash", "ksh"})
# Wrappers that run the rest of argv as a command; value-taking options listed so they are skipped.
WRAPPERS: dict[str, frozenset[str]] = {
    "nohup": frozenset(),
    "exec": frozenset({"-a"}),
    "time": frozenset({"-f", "-o", "--format", "--output"}),
    "sudo": frozenset({"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T", "--user", "--group"}),
    "doas": frozenset({"-u", "-C"}),
    "nice": frozenset({"-n", "--adjustment"}),
    "ionice": frozenset({"-c", "-n", "-p", "-t"}),
    "setsid": frozenset(),
    "stdbuf": frozenset({"-i", "-o", "-e"}),
    "unbuffer": frozenset(),
    "command": frozenset(),
    "builtin": frozenset(),
    "chrt": frozenset(),
    "taskset": frozenset({"-c", "--cpu-list"}),
    "numactl": frozenset({"-N", "-m", "-C", "-p", "-i", "--cpunodebind", "--membind", "--physcpubind",
                          "--preferred", "--interleave"}),
    "srun": frozenset({"-N", "-n", "-c", "-p", "-t", "-J", "-A", "-w", "-G", "-o", "-e", "--nodes", "--ntasks",
                       "--cpus-per-task", "--partition", "--time", "--job-name", "--account", "--gres",
                       "--gpus", "--mem", "--nodelist", "--output", "--error", "--container-image",
                       "--container-mounts", "--qos", "--constraint", "--ntasks-per-node",
                       "--gpus-per-node", "--gpus-per-task", "--export", "--overlap", "--jobid"}),
    "uvx": frozenset({"--from", "--with", "--python", "-p", "--index-url", "--extra-index-url", "--index",
                      "--with-requirements", "--env-file"}),
    "screen": frozenset({"-S", "-L", "-c", "-e", "-h", "-p", "-T", "-X", "-Logfile"}),
    "timeout": frozenset({"-k", "-s", "--kill-after", "--signal"}),
    "xvfb-run": frozenset({"-a", "-s", "-n", "-e", "-f", "-p", "-w"}),
    "caffeinate": frozenset(),
    "env": frozenset({"-u", "-C", "-S", "--unset", "--chdir", "--split-string"}),
}


# `X run ...` wrappers (a subcommand word, then options, then the command).
RUN_WRAPPERS: dict[str, frozenset[str]] = {
    "uv": frozenset({"--with", "--python", "-p", "--project", "--directory", "--extra", "--group",
                     "--env-file", "--index-url", "--extra-index-url", "--index", "--with-requirements",
                     "--package", "--script", "--only-group"}),
    "pipx": frozenset({"--spec", "--python", "--index-url", "--pip-args"}),
    "poetry": frozenset({"-C", "--directory", "-P", "--project"}),
    "pdm": frozenset({"-p", "--project"}),
    "hatch": frozenset({"-e", "--env"}),
    "conda": frozenset({"-n", "-p", "--name", "--prefix", "--cwd"}),
    "mamba": frozenset({"-n", "-p", "--name", "--prefix", "--cwd"}),
    "micromamba": frozenset({"-n", "-p", "--name", "--prefix", "--cwd"}),
    "pixi": frozenset({"-e", "--environment", "--manifest-path"}),
}


CONTAINER_EXEC = frozenset({"apptainer", "singularity"})


def may_launch(command_name: str) -> bool:
    """Could a command with this name (as written) start a server, send a request or run a Python program?
    No false negatives."""
    head = command_name.rsplit("/", 1)[-1]
    return (not head or "$" in head or "`" in head or head in _HEADS or head in WRAPPERS
            or head in RUN_WRAPPERS or head in CONTAINER_EXEC or bool(PYTHON_RE.match(head)) or head.endswith(".py")
            or head in server_programs())


@lru_cache(maxsize=1)
def server_programs() -> frozenset[str]:
    """The executables that start a server of `rules/servers.yaml` (`llama-server`, `ollama`, ...)."""
    from vlint.extract.cmdline.servers import server_data

    return frozenset(name for spec in server_data().servers for name, _ in spec.programs)


_HEADS = frozenset({"vllm", "curl", "docker", "podman", "nerdctl", "eval", "ssh", "tmux", "ray", "kubectl",
                    "torchrun", "accelerate", "deepspeed", *SHELLS})


def is_command_head(tokens: Sequence[Token]) -> bool:
    """Does argv start with a command (after `VAR=x` prefixes) rather than with arguments for an entrypoint?"""
    i = 0
    while i < len(tokens) and ASSIGN_RE.match(tokens[i].text):
        i += 1
    if i >= len(tokens):
        return False
    head = base_name(tokens[i])
    return (head in ("vllm", "curl", "docker", "podman", "nerdctl", "torchrun", "accelerate", "deepspeed")
            or head in SHELLS or bool(PYTHON_RE.match(head)) or head in WRAPPERS or head in RUN_WRAPPERS
            or head in server_programs())


# Every command read here names one of these (case-insensitive): a vLLM launch, curl, or a container run;
# or it names a program or module of another server (`launch_words`).
LAUNCH_WORDS = ("vllm", "curl", "docker", "podman", "nerdctl")


# A command that runs a Python program names one of these (`python`, `torchrun`, `accelerate launch`,
# `deepspeed`, or the program's own path): cmdline/scripts.py reads it for the options it passes.
PROGRAM_WORDS = ("python", "torchrun", "accelerate", "deepspeed", ".py")


def mentions_program(text: str) -> bool:
    """Cheap pre-check: can this text run a Python program? (no false negatives)"""
    return any(word in text for word in PROGRAM_WORDS)


@lru_cache(maxsize=1)
def launch_words() -> tuple[str, ...]:
    """`LAUNCH_WORDS` and the programs and modules of the servers in `rules/servers.yaml`."""
    from vlint.extract.cmdline.servers import server_words

    return (*LAUNCH_WORDS, *server_words())


def mentions_launch(text: str) -> bool:
    """Cheap pre-check: can this text hold a server launch or an HTTP call we read? (no false negatives)"""
    low = text.lower()
    return any(word in low for word in launch_words())
