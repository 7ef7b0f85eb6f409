"""vLLM's flags as data: the arity of every spelling, read once from `rules/vllm_flags.yaml`.

Arities decide which words a flag swallows (argparse-style, unique prefixes allowed); the same file names
the vLLM images and the `docker run` options that take a value. An unknown `--flag` is assumed to take one
value unless the next word starts with `-` (most vLLM flags take one value).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from vlint.knowledge import load_data

FLAG_DATA = "vllm_flags.yaml"


@dataclass(frozen=True)
class FlagTable:
    """Arity of every vLLM flag spelling, plus the image patterns and docker option arities."""

    arity: Mapping[str, str]
    longs: tuple[str, ...]
    short_aliases: Mapping[str, str]
    bool_value: frozenset[str]
    default_model: str
    openai_images: tuple[re.Pattern[str], ...]
    simulator_images: tuple[re.Pattern[str], ...]
    vllm_images: tuple[re.Pattern[str], ...]
    docker_value_short: frozenset[str]
    docker_value_long: frozenset[str]

    def lookup(self, name: str) -> tuple[str | None, str | None]:
        """Canonical long name and arity kind of a normalised flag, allowing unique prefixes (argparse)."""
        if name in self.short_aliases:
            long = self.short_aliases[name]
            return long, self.arity.get(long, "one")
        kind = self.arity.get(name)
        if kind is not None:
            return name, kind
        if not name.startswith("--") or len(name) < 4:
            return None, None
        matches = [f for f in self.longs if f.startswith(name)]
        if len(matches) == 1:
            return matches[0], self.arity[matches[0]]
        return None, None


@lru_cache(maxsize=1)
def flag_table() -> FlagTable:
    data = load_data(FLAG_DATA)
    arity: dict[str, str] = {}
    for section in ("legacy", "current"):  # current wins where an arity changed
        for kind, names in (data.get(section) or {}).items():
            for name in names or ():
                arity[name] = kind
    shorts = {k: v for k, v in (data.get("short_aliases") or {}).items()}
    images = data.get("images") or {}
    docker = data.get("docker_run") or {}

    def pats(key: str) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p) for p in images.get(key) or ())

    return FlagTable(
        arity=arity,
        longs=tuple(sorted(n for n in arity if n.startswith("--"))),
        short_aliases=shorts,
        bool_value=frozenset(data.get("legacy_bool_value") or ()),
        default_model=str(data.get("default_model") or "Qwen/Qwen3-0.6B"),
        openai_images=pats("openai"),
        simulator_images=pats("simulator"),
        vllm_images=pats("vllm_other"),
        docker_value_short=frozenset(docker.get("value_short") or ()),
        docker_value_long=frozenset(docker.get("value_long") or ()),
    )


def normalize_flag(name: str) -> str:
    """vLLM turns `_` into `-` in `--` option names, before the first `.` (dotted JSON keys keep theirs)."""
    if not name.startswith("--"):
        return name
    head, dot, rest = name[2:].partition(".")
    return "--" + head.replace("_", "-") + dot + rest


def iter_flag_names() -> Iterable[str]:
    """Every flag spelling in the table (what tells a YAML file it is a `vllm serve --config` file)."""
    return flag_table().arity.keys()
