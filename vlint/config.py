"""Configuration: `[tool.vlint]` in pyproject.toml or a `vlint.toml`, closest to the scanned path.

Every key is validated; an unknown key or a bad value is a `ConfigError` naming the file and the key
(the CLI turns it into exit code 2). `Config.sources` remembers where each value came from, for
`vlint config`.
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from vlint.checks.registry import RULES_BY_CODE, resolve_rule_refs
from vlint.findings import CONFIDENCE_ORDER, SEVERITY_ORDER

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

KINDS = ("base", "instruct", "reasoning", "other")


class ConfigError(Exception):
    """A configuration problem the user must fix; the message names the file and key."""


@dataclass(frozen=True)
class Config:
    select: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    severity: tuple[tuple[str, str], ...] = ()
    temperature_threshold: float = 0.5
    fail_on: str = "warning"
    min_confidence: str = "low"
    online: bool = False
    models: tuple[tuple[str, str], ...] = ()   # (glob or id, kind)
    docs_severity: str = "warning"
    max_file_size: int = 2_000_000
    cache: bool = True
    jobs: int = 0
    isolated: bool = False  # read only the given paths, not the rest of their project (`vlint/project.py`)
    root: Path | None = None
    sources: tuple[tuple[str, str], ...] = ()

    def source_of(self, key: str) -> str:
        return dict(self.sources).get(key, "default")

    def rule_enabled(self, code: str, path: str | None = None) -> bool:
        """Whether rule `code` reports (at `path`): `select` (or the rule's default) plus `extend-select`, then
        `ignore`, then `per-file-ignores`. References are codes or code prefixes (`ALL`, `VL0`)."""

        def matches(refs: tuple[str, ...]) -> bool:
            return any(ref == "ALL" or code.startswith(ref) for ref in refs)

        enabled = matches(self.select) if self.select else RULES_BY_CODE[code].enabled
        enabled = enabled or matches(self.extend_select)
        if self.ignore and matches(self.ignore):
            enabled = False
        if path is not None:
            for glob, refs in self.per_file_ignores:
                if (fnmatch(path, glob) or fnmatch(path, glob.rstrip("/") + "/*")) and matches(refs):
                    enabled = False
        return enabled

    @property
    def all_excludes(self) -> tuple[str, ...]:
        return self.exclude + self.extend_exclude

    def fingerprint(self) -> str:
        """A stable text of everything that changes findings, for the per-file cache key."""
        items = [(f.name, getattr(self, f.name)) for f in fields(self) if f.name not in ("sources", "root", "jobs")]
        return repr(items)


_KEYS: dict[str, str] = {
    "select": "select",
    "extend-select": "extend_select",
    "ignore": "ignore",
    "per-file-ignores": "per_file_ignores",
    "exclude": "exclude",
    "extend-exclude": "extend_exclude",
    "severity": "severity",
    "temperature-threshold": "temperature_threshold",
    "fail-on": "fail_on",
    "min-confidence": "min_confidence",
    "online": "online",
    "models": "models",
    "docs-severity": "docs_severity",
    "max-file-size": "max_file_size",
    "cache": "cache",
    "jobs": "jobs",
    "isolated": "isolated",
}


def _str_list(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of strings, got {value!r}")
    return tuple(value)


def _rule_refs(value: Any, where: str) -> tuple[str, ...]:
    """Rule references as codes or code prefixes. A string may hold a comma list (`"VL001,VL002"`), as the
    command line's `--select VL001,VL002` does."""
    refs = [part.strip() for item in _str_list(value, where) for part in item.split(",") if part.strip()]
    out: list[str] = []
    for ref in refs:
        codes = resolve_rule_refs(ref)
        if codes is None:
            raise ConfigError(f"{where}: unknown rule {ref!r} (see `vlint rules`)")
        out.extend(code for code in codes if code not in out)
    return tuple(out)


def _choice(value: Any, allowed: Mapping[str, int] | tuple[str, ...], where: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ConfigError(f"{where}: expected one of {', '.join(allowed)}, got {value!r}")
    return value


def parse_table(table: Mapping[str, Any], origin: str, base: Config | None = None) -> Config:
    """Validate a `[tool.vlint]` table and layer it over `base`."""
    config = base or Config()
    values: dict[str, Any] = {}
    sources = dict(config.sources)
    for key, value in table.items():
        where = f"{origin}: key `{key}`"
        if key not in _KEYS:
            raise ConfigError(f"{origin}: unknown key `{key}`{_did_you_mean(key)}")
        attr = _KEYS[key]
        if attr in ("select", "extend_select", "ignore"):
            values[attr] = _rule_refs(value, where)
        elif attr in ("exclude", "extend_exclude"):
            values[attr] = _str_list(value, where)
        elif attr == "per_file_ignores":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: expected a table of glob = [rules]")
            values[attr] = tuple((glob, _rule_refs(rules, f"{where}.{glob}")) for glob, rules in value.items())
        elif attr == "severity":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: expected a table of rule = severity")
            pairs = []
            for rule, level in value.items():
                codes = _rule_refs([rule], f"{where}.{rule}")
                pairs.append((codes[0], _choice(level, SEVERITY_ORDER, f"{where}.{rule}")))
            values[attr] = tuple(pairs)
        elif attr == "temperature_threshold":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 2:
                raise ConfigError(f"{where}: expected a number between 0 and 2, got {value!r}")
            values[attr] = float(value)
        elif attr in ("fail_on", "docs_severity"):
            values[attr] = _choice(value, SEVERITY_ORDER if attr == "docs_severity" else {**SEVERITY_ORDER, "never": 3},
                                   where)
        elif attr == "min_confidence":
            values[attr] = _choice(value, CONFIDENCE_ORDER, where)
        elif attr in ("online", "cache", "isolated"):
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: expected true or false, got {value!r}")
            values[attr] = value
        elif attr in ("max_file_size", "jobs"):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(f"{where}: expected a non-negative integer, got {value!r}")
            values[attr] = value
        elif attr == "models":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: expected a table such as base = [\"myorg/*\"]")
            pairs = []
            for kind, patterns in value.items():
                if kind not in KINDS:
                    raise ConfigError(f"{where}.{kind}: unknown model kind (use one of {', '.join(KINDS)})")
                pairs.extend((p, kind) for p in _str_list(patterns, f"{where}.{kind}"))
            values[attr] = tuple(pairs)
        sources[attr] = origin
    return replace(config, **values, sources=tuple(sources.items()))


def _did_you_mean(key: str) -> str:
    """`; did you mean `temperature-threshold`?` for a near miss, else the list of known keys."""
    close = difflib.get_close_matches(key.replace("_", "-").lower(), list(_KEYS), n=1, cutoff=0.6)
    if close:
        return f"; did you mean `{close[0]}`?"
    return f" (known keys: {', '.join(sorted(_KEYS))})"


def find_config_file(start: Path) -> tuple[Path, Mapping[str, Any]] | None:
    """The closest `vlint.toml`, or `pyproject.toml` with a `[tool.vlint]` table, at or above `start`."""
    start = start if start.is_dir() else start.parent
    for folder in (start, *start.parents):
        for name in ("vlint.toml", ".vlint.toml", "pyproject.toml"):
            candidate = folder / name
            if candidate.is_file():
                table = _vlint_table(candidate, _read_toml(candidate))
                if table is not None:
                    return candidate, table
        if (folder / ".git").exists():
            break
    return None


def _vlint_table(path: Path, data: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """vlint's table in a parsed file: `[tool.vlint]` of a pyproject.toml (None when it has none); in a
    vlint.toml, `[tool.vlint]` if present, else the whole file."""
    tool = data.get("tool")
    if tool is not None and not isinstance(tool, dict):
        raise ConfigError(f"{path}: key `tool`: expected a table, got {tool!r}")
    table = (tool or {}).get("vlint")
    if table is None:
        return None if path.name == "pyproject.toml" else data
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: key `tool.vlint`: [tool.vlint] must be a table, got {table!r}")
    return table


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}): TOML files are UTF-8") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc


def usable_cpus() -> int:
    """The cores this process may run on (its affinity mask where the platform has one)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _clamp_repository_jobs(config: Config) -> Config:
    """`jobs` from a file in the scanned repository (which a fork's pull request controls) is held to the
    machine's cores; only the command line may ask for more."""
    cores = usable_cpus()
    if config.jobs <= cores:
        return config
    sources = {**dict(config.sources), "jobs": f"{config.source_of('jobs')}, {config.jobs} clamped to {cores} cores"}
    return replace(config, jobs=cores, sources=tuple(sources.items()))


def load_config(start: Path, explicit: Path | None = None, overrides: Mapping[str, Any] | None = None) -> Config:
    """The effective configuration for a scan rooted at `start` (or from an explicit file)."""
    config = Config()
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"{explicit}: configuration file not found")
        found: tuple[Path, Mapping[str, Any]] | None = (explicit, _vlint_table(explicit, _read_toml(explicit)) or {})
    else:
        found = find_config_file(start.resolve())
    if found is not None:
        path, table = found
        config = _clamp_repository_jobs(parse_table(table, str(path)))
        config = replace(config, root=path.resolve().parent)
    if overrides:
        config = parse_table(overrides, "command line", config)
    return config


def to_toml(config: Config) -> str:
    """The effective configuration as a `[tool.vlint]` table that TOML parsers read back to the same values
    (`vlint config`), each key followed by a comment saying where its value came from."""
    from vlint.report.escape import printable

    lines = ["[tool.vlint]"]
    for key, attr in _KEYS.items():
        value = getattr(config, attr)
        lines.append(f"{key} = {_toml_value(attr, value)}  # {printable(config.source_of(attr))}")
    return "\n".join(lines) + "\n"


def _toml_value(attr: str, value: Any) -> str:
    if attr in ("per_file_ignores", "severity"):
        return "{" + ", ".join(f"{_toml_str(k)} = {_toml_scalar(v)}" for k, v in value) + "}"
    if attr == "models":
        kinds: dict[str, list[str]] = {}
        for pattern, kind in value:
            kinds.setdefault(kind, []).append(pattern)
        return "{" + ", ".join(f"{kind} = {_toml_scalar(tuple(p))}" for kind, p in kinds.items()) + "}"
    return _toml_scalar(value)


def _toml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_toml_scalar(v) for v in value) + "]"
    return _toml_str(str(value))


def _toml_str(text: str) -> str:
    """A TOML basic string. Controls, bidirectional marks and line separators are written as `\\uXXXX`
    escapes (valid TOML, inert on a terminal); a lone surrogate (an undecodable byte of a path) as U+FFFD."""
    out = []
    for char in text:
        code = ord(char)
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif 0xD800 <= code <= 0xDFFF:
            out.append("\\ufffd")
        elif code < 0x20 or 0x7F <= code <= 0x9F or char in _INVISIBLE:
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


_INVISIBLE = frozenset("\u061c\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
