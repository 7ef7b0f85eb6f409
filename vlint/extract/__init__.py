"""One extractor per file kind; each turns text into facts and knows syntax, never rules.

The registry maps a kind to `module:function`, imported only when a file of that kind is read, so a
run that sees no Python never imports libcst and one that sees no YAML never imports PyYAML.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from vlint.facts import FileFacts

Extractor = Callable[[str, str], FileFacts]

EXTRACTORS: dict[str, str] = {
    "python": "vlint.extract.python:extract_python",
    "shell": "vlint.extract.shell:extract_shell_file",
    "yaml": "vlint.extract.yamlfile:extract_yaml",
    "dockerfile": "vlint.extract.dockerfile:extract_dockerfile",
    "json": "vlint.extract.jsonfile:extract_json",
    "dotenv": "vlint.extract.dotenv:extract_dotenv",
    "markdown": "vlint.extract.markdown:extract_markdown",
    "rst": "vlint.extract.markdown:extract_rst",
    "notebook": "vlint.extract.notebook:extract_notebook",
    "text": "vlint.extract.text:extract_text",
}


def get_extractor(kind: str) -> Extractor | None:
    target = EXTRACTORS.get(kind)
    if target is None:
        return None
    module_name, func_name = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None  # this kind's extractor is not built yet
        raise
    return getattr(module, func_name)
