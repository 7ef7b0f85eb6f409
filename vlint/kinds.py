"""What kind of file a name is (and, for an extension-less script, its shebang): which extractor reads it.

A module of its own, importing nothing but `os`: the `vlint` program asks it before its heavy imports
(`vlint/program.py`).
"""

from __future__ import annotations

import os

SUFFIX_KINDS = {
    ".py": "python", ".pyi": "python",
    ".sh": "shell", ".bash": "shell", ".zsh": "shell", ".ksh": "shell",
    ".yaml": "yaml", ".yml": "yaml",
    ".json": "json", ".jsonl": "json",
    ".env": "dotenv",
    ".md": "markdown", ".markdown": "markdown", ".mdx": "markdown", ".qmd": "markdown", ".rmd": "markdown",
    ".rst": "rst",
    ".ipynb": "notebook",
    ".txt": "text",
    ".dockerfile": "dockerfile", ".containerfile": "dockerfile",
}

SHELLS = ("sh", "bash", "zsh", "ksh", "dash")


def suffix_of(name: str) -> str:
    """`Path(name).suffix`, lower-cased."""
    dot = name.rfind(".")
    return name[dot:].lower() if 0 < dot < len(name) - 1 else ""


def kind_of_name(name: str, head: bytes | None = None) -> str | None:
    """The extractor kind of a file name; `head`, its first bytes, decides an extension-less script."""
    lower = name.lower()
    if lower in ("dockerfile", "containerfile") or lower.startswith(("dockerfile.", "containerfile.")) \
            or lower.endswith((".dockerfile", ".containerfile")):
        return "dockerfile"
    if lower == ".env" or lower.startswith(".env.") or lower.endswith(".env"):
        return "dotenv"
    if lower == "modelfile" or lower.startswith("modelfile.") or lower.endswith(".modelfile"):
        return "modelfile"  # Ollama
    suffix = suffix_of(name)
    if suffix in SUFFIX_KINDS:
        return SUFFIX_KINDS[suffix]
    if suffix == "" and head is not None and head.startswith(b"#!"):
        first = head.split(b"\n", 1)[0].decode("utf-8", "replace")
        words = first[2:].replace("/usr/bin/env", " ").split()
        interpreter = os.path.basename(words[0]) if words else ""
        if interpreter in SHELLS:
            return "shell"
        if interpreter.startswith("python"):
            return "python"
    return None
