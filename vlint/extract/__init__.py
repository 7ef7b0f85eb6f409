"""One extractor per file kind; each turns text into facts and knows syntax, never rules.

The registry maps a kind to `module:function`, imported only when a file of that kind is read, so a
run that sees no Python never imports libcst and one that sees no YAML never imports PyYAML. A kind may
also name a word check: a test of the text, microseconds a file, that is False only when its extractor
provably emits nothing for it; a scan runs it on every file before hashing the file or importing the
extractor (Python's: `vlint/extract/python/prefilter.py`; the other extractors check their words themselves).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vlint.facts import FileFacts

Extractor = Callable[[str, str], "FileFacts"]

EXTRACTORS: dict[str, str] = {
    "python": "vlint.extract.python:extract_python",
    "shell": "vlint.extract.shell:extract_shell_file",
    "yaml": "vlint.extract.yaml:extract_yaml",
    "dockerfile": "vlint.extract.dockerfile:extract_dockerfile",
    "json": "vlint.extract.jsonfile:extract_json",
    "dotenv": "vlint.extract.dotenv:extract_dotenv",
    "markdown": "vlint.extract.markdown:extract_markdown",
    "rst": "vlint.extract.markdown:extract_rst",
    "notebook": "vlint.extract.notebook:extract_notebook",
    "text": "vlint.extract.text:extract_text",
    "modelfile": "vlint.extract.modelfile:extract_modelfile",
}

WORD_CHECKS: dict[str, str] = {
    "python": "vlint.extract.python.prefilter:words_match",
}

# What an extractor changes in a worker process of vlint's own pool, which runs nothing else: process-wide
# settings that would be visible to a host program, so never done in the process that called
# `vlint.api.scan()` (Python's: libcst's node validation off, `vlint/extract/python/cstparse.py`).
WORKER_SETUP: dict[str, str] = {
    "python": "vlint.extract.python.cstparse:skip_node_validation",
}


def load_callable(target: str) -> Callable[..., Any]:
    """Import `module:function` on first use (the registries name extractors this way to stay lazy)."""
    module_name, func_name = target.split(":")
    module = sys.modules.get(module_name) or importlib.import_module(module_name)
    return getattr(module, func_name)


def get_extractor(kind: str) -> Extractor | None:
    target = EXTRACTORS.get(kind)
    return load_callable(target) if target is not None else None


def passes_word_check(kind: str, text: str) -> bool:
    """False only when the `kind` extractor provably emits nothing for `text` (see `WORD_CHECKS`)."""
    target = WORD_CHECKS.get(kind)
    return target is None or bool(load_callable(target)(text))


def prepare_worker(kinds: Iterable[str]) -> None:
    """In a worker process of vlint's pool only: the `WORKER_SETUP` of each kind it extracts (idempotent)."""
    for kind in kinds:
        target = WORKER_SETUP.get(kind)
        if target is not None:
            load_callable(target)()
