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
class HttpShape:
    """One raw-HTTP call shape: which callee, and where its verb, URL and body sit (see `http:` in the data)."""

    methods: frozenset[str]
    qualname: str | None
    verb: tuple[Any, ...]
    verb_default: str | None
    url: tuple[Any, ...]
    body: tuple[Any, ...]

    def body_position(self) -> int | None:
        """The positional index that may carry the body (`Request(url, data)`), if any."""
        return next((name["pos"] for name in self.body if isinstance(name, dict)), None)

    def body_keywords(self) -> frozenset[str]:
        return frozenset(name for name in self.body if isinstance(name, str))


@dataclass(frozen=True)
class Catalogue:
    by_suffix: tuple[tuple[tuple[str, ...], CallSpec], ...]
    suffix_ends: frozenset[str]  # the last name of each suffix: most calls are ruled out by it
    by_qualname: tuple[tuple[str, CallSpec], ...]
    transparent: frozenset[str]
    provider_prefixes: tuple[str, ...]
    engines: tuple[str, ...]
    engine_model: tuple[Any, ...]
    engine_classes: frozenset[str]
    engine_factories: dict[str, str]  # `from_engine_args` -> the keyword of its argument (else the first)
    engine_args: frozenset[str]
    engine_args_model: tuple[Any, ...]
    engine_config_from_args: str
    engine_methods: dict[str, str]
    sampling_params: tuple[str, ...]
    sampling_position: dict[str, int]
    sampling_keyword: dict[str, str]
    prompt_argument: dict[str, tuple[Any, ...]]
    offline_default_temperature: float
    chat_template_call: str
    actor_wrappers: tuple[str, ...]
    actor_call: str
    http_shapes: tuple[HttpShape, ...]
    http_methods: frozenset[str]  # the last names of the shapes named by method
    http_routes: tuple[tuple[str, str], ...]  # longest first
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

    def http_shape(self, qualname: str | None, chain: Sequence[str]) -> HttpShape | None:
        """The raw-HTTP shape a callee has: by its import-resolved name, else by its last name."""
        for shape in self.http_shapes:
            if shape.qualname is not None and qualname == shape.qualname:
                return shape
        if chain:
            for shape in self.http_shapes:
                if chain[-1] in shape.methods:
                    return shape
        return None

    def is_vllm_class(self, qualname: str, names: frozenset[str]) -> bool:
        """`LLMEngine`, `vllm.LLMEngine`, `vllm.engine.llm_engine.LLMEngine`: one of `names`, bare or from vllm."""
        head, _, last = qualname.rpartition(".")
        return last in names and (not head or head == "vllm" or head.startswith("vllm."))

    def is_engine_factory(self, qualname: str) -> bool:
        """`LLMEngine.from_engine_args`, `AsyncLLM.from_vllm_config`: a call that makes an engine."""
        owner, _, method = qualname.rpartition(".")
        return method in self.engine_factories and self.is_vllm_class(owner, self.engine_classes)

    def route_kind(self, url: str) -> tuple[str, str] | None:
        """The api (`chat`, `completion`) of the route a URL ends with, and the route; None for others."""
        route = url.split("?")[0].rstrip("/")
        for suffix, kind in self.http_routes:
            if route.endswith(suffix):
                return kind, suffix
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


def _http_shape(entry: dict[str, Any]) -> HttpShape:
    return HttpShape(
        methods=frozenset(entry.get("methods", ())),
        qualname=entry.get("qualname"),
        verb=tuple(entry.get("verb", ())),
        verb_default=entry.get("verb_default"),
        url=tuple(entry["url"]),
        body=tuple(entry["body"]),
    )


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
    shapes = tuple(_http_shape(entry) for entry in http["calls"])
    return Catalogue(
        by_suffix=tuple(by_suffix),
        suffix_ends=frozenset(suffix[-1] for suffix, _ in by_suffix),
        by_qualname=tuple(by_qualname),
        transparent=frozenset(data.get("transparent_segments", [])),
        provider_prefixes=tuple(data.get("provider_prefixes", [])),
        engines=tuple(off["engine"]),
        engine_model=tuple(off["engine_model"]),
        engine_classes=frozenset(off["engine_classes"]),
        engine_factories=dict(off["engine_factories"]),
        engine_args=frozenset(off["engine_args"]),
        engine_args_model=tuple(off["engine_args_model"]),
        engine_config_from_args=off["engine_config_from_args"],
        engine_methods=dict(off["methods"]),
        sampling_params=tuple(off["sampling_params"]),
        sampling_position=dict(off["sampling_params_position"]),
        sampling_keyword=dict(off["sampling_params_keyword"]),
        prompt_argument={method: tuple(names) for method, names in off["prompt_argument"].items()},
        offline_default_temperature=float(off["default_temperature"]),
        chat_template_call=off["chat_template_call"],
        actor_wrappers=tuple(off["actor_wrappers"]),
        actor_call=off["actor_call"],
        http_shapes=shapes,
        http_methods=frozenset(m for shape in shapes for m in shape.methods),
        http_routes=tuple(sorted(http["routes"].items(), key=lambda kv: -len(kv[0]))),
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
