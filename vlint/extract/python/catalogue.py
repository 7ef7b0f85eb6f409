"""The client-API catalogue (`rules/clients.yaml`): every call shape vlint reads, declared once.

The visitor (`visitor.py`) builds facts from the calls it names; the prefilter's words (`prefilter.py`), the
survey of CPython's tree (`survey.py`) and the slicer (`slicer.py`) are derived from the same entries, so a
new client call is one data edit. Imports no parser: the scan reads it before deciding to parse anything.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from vlint.knowledge import load_data


@dataclass(frozen=True)
class CallSpec:
    """One catalogue entry: how a matched call becomes a request."""

    api: str
    client: str
    model: tuple[Any, ...]
    temperature: tuple[str, ...]
    default_temperature: float | None
    messages: str | None = None
    prompt: str | None = None
    needs: str | None = None
    strip_prefix: bool = False
    body: str | None = None
    chat_flag: str | None = None
    api_switch: tuple[str, tuple[tuple[str, str], ...]] | None = None


@dataclass(frozen=True)
class Catalogue:
    by_suffix: tuple[tuple[tuple[str, ...], CallSpec], ...]
    suffix_ends: frozenset[str]  # the last name of each suffix: most calls are ruled out by it
    by_qualname: tuple[tuple[str, CallSpec], ...]
    transparent: frozenset[str]
    provider_prefixes: tuple[str, ...]
    engines: tuple[str, ...]
    engine_model: tuple[Any, ...]
    engine_methods: dict[str, str]
    sampling_params: tuple[str, ...]
    sampling_position: dict[str, int]
    offline_default_temperature: float
    http_methods: frozenset[str]
    http_routes: tuple[tuple[str, str], ...]  # longest first
    http_body: tuple[str, ...]
    http_default_temperature: float
    launch_modules: tuple[str, ...]
    launch_functions: tuple[str, ...]
    parse_anyway: tuple[str, ...]

    def spec_for(self, qualname: str | None, chain: Sequence[str]) -> CallSpec | None:
        """The first entry a call matches: by its import-resolved name, else by its attribute chain's tail."""
        if qualname is not None:
            spec = spec_for_qualname(qualname)
            if spec is not None:
                return spec
        tail = [part for part in chain if part not in self.transparent]
        if not tail or tail[-1] not in self.suffix_ends:
            return None
        for suffix, spec in self.by_suffix:
            if tuple(tail[-len(suffix):]) == suffix:
                return spec
        return None

    def is_launch(self, qualname: str) -> bool:
        """`subprocess.run`, `os.system`...: a call whose first argument may be a command line."""
        return qualname in self.launch_functions or any(qualname.startswith(f"{m}.") for m in self.launch_modules)

    def route_words(self) -> tuple[str, ...]:
        """The last word of each HTTP route: a URL that ends with a route holds it."""
        return tuple(sorted({route.rstrip("/").rsplit("/", 1)[-1] for route, _ in self.http_routes}))

    def strip_provider_prefix(self, model: str) -> str:
        for prefix in self.provider_prefixes:
            if model.startswith(prefix):
                return model[len(prefix):]
        return model


def _spec(entry: dict[str, Any]) -> CallSpec:
    return CallSpec(
        api=entry["api"],
        client=entry.get("client", entry.get("suffix") or entry.get("qualname")),
        model=tuple(entry.get("model", ["model"])),
        temperature=tuple(entry.get("temperature", ["temperature"])),
        default_temperature=entry.get("default_temperature"),
        messages=entry.get("messages"),
        prompt=entry.get("prompt"),
        needs=entry.get("needs"),
        strip_prefix=bool(entry.get("strip_prefix", False)),
        body=entry.get("body"),
        chat_flag=entry.get("chat_flag"),
        api_switch=(entry["api_switch"]["keyword"], tuple(entry["api_switch"]["values"].items()))
        if "api_switch" in entry else None,
    )


@cache
def catalogue() -> Catalogue:
    data = load_data("clients.yaml")
    by_suffix, by_qualname = [], []
    for entry in data["calls"]:
        if "suffix" in entry:
            by_suffix.append((tuple(entry["suffix"].split(".")), _spec(entry)))
        else:
            by_qualname.append((entry["qualname"], _spec(entry)))
    off, http, launch = data["offline"], data["http"], data["launch"]
    return Catalogue(
        by_suffix=tuple(by_suffix),
        suffix_ends=frozenset(suffix[-1] for suffix, _ in by_suffix),
        by_qualname=tuple(by_qualname),
        transparent=frozenset(data.get("transparent_segments", [])),
        provider_prefixes=tuple(data.get("provider_prefixes", [])),
        engines=tuple(off["engine"]),
        engine_model=tuple(off["engine_model"]),
        engine_methods=dict(off["methods"]),
        sampling_params=tuple(off["sampling_params"]),
        sampling_position=dict(off["sampling_params_position"]),
        offline_default_temperature=float(off["default_temperature"]),
        http_methods=frozenset(http["methods"]),
        http_routes=tuple(sorted(http["routes"].items(), key=lambda kv: -len(kv[0]))),
        http_body=tuple(http["body_keywords"]),
        http_default_temperature=float(http["default_temperature"]),
        launch_modules=tuple(launch["modules"]),
        launch_functions=tuple(launch["functions"]),
        parse_anyway=tuple(data.get("parse_anyway", [])),
    )


@lru_cache(maxsize=4096)
def spec_for_qualname(qualname: str) -> CallSpec | None:
    """The first entry whose qualname pattern matches (callee names repeat: cached)."""
    for pattern, spec in catalogue().by_qualname:
        if fnmatch.fnmatchcase(qualname, pattern):
            return spec
    return None
