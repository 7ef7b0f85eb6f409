"""FileFacts <-> JSON, strictly: what the cache stores and what extraction workers send back.

The codec is derived from the type hints of `vlint/facts.py`, so a field added there is encoded without
an edit here, and `FORMAT` (a hash of every class, field and type) changes with it, which retires the
entries written before. A dataclass is a JSON array of its fields in declaration order. Decoding checks
every value against its declared type (exact array lengths, `bool` is not an `int`, a `Literal` only takes
its values) and raises `CorruptEntry` on the first mismatch: a damaged or foreign entry is rebuilt, never
half-trusted. Encoding checks the same way, so what is stored always decodes.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import operator
import sys
import types
import typing
from collections.abc import Callable
from functools import cache
from typing import Any

from vlint.facts import FileFacts

Codec = tuple[Callable[[Any], Any], Callable[[Any], Any]]


class CorruptEntry(ValueError):
    """A value that does not have the shape its type declares."""


def encode_entry(facts: FileFacts, text: str | None) -> str:
    """A cache entry: a file's facts and, when it holds a suppression comment, its text."""
    return json.dumps([_codec(FileFacts)[0](facts), _codec(_OptionalText)[0](text)], separators=(",", ":"))


def decode_entry(payload: str | bytes) -> tuple[FileFacts, str | None]:
    """What `encode_entry` wrote; `CorruptEntry` for anything else."""
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError) as exc:
        raise CorruptEntry(f"not JSON: {exc}") from None
    if type(data) is not list or len(data) != 2:
        _fail("an entry of two", data)
    return _codec(FileFacts)[1](data[0]), _codec(_OptionalText)[1](data[1])


_OptionalText = str | None


def _fail(expected: str, value: Any) -> typing.NoReturn:
    raise CorruptEntry(f"expected {expected}, found {type(value).__name__}")


def _scalar(kind: type) -> Codec:
    def check(value: Any) -> Any:
        if type(value) is kind:
            return value
        if kind is float and type(value) is int:  # an int is a valid float (PEP 484); kept as it was
            return value
        _fail(kind.__name__, value)

    return check, check


def _none() -> Codec:
    def check(value: Any) -> Any:
        if value is not None:
            _fail("null", value)
        return None

    return check, check


def _literal(options: tuple[Any, ...]) -> Codec:
    allowed = {(type(o), o) for o in options}

    def check(value: Any) -> Any:
        if (type(value), value) not in allowed:
            raise CorruptEntry(f"expected one of {list(options)}, found {value!r:.40}")
        return value

    return check, check


_JSON_SCALARS = (str, int, float, bool, type(None))


def _union(members: tuple[Any, ...]) -> Codec:
    """A scalar member is chosen by the value's own type (one look-up); the structured members (arrays)
    are tried in turn."""
    by_type: dict[type, Codec] = {}
    structured: list[Codec] = []
    for member in members:
        if member in _JSON_SCALARS:
            by_type[member] = _codec(member)
        else:
            structured.append(_codec(member))
    if float in by_type and int not in by_type:
        by_type[int] = by_type[float]

    def attempt(which: int) -> Callable[[Any], Any]:
        def run(value: Any) -> Any:
            codec = by_type.get(type(value))
            if codec is not None:
                return codec[which](value)
            for option in structured:
                try:
                    return option[which](value)
                except CorruptEntry:
                    continue
            raise CorruptEntry(f"{type(value).__name__} is none of {members}")

        return run

    return attempt(0), attempt(1)


def _sequence(item: Any, *, as_tuple: bool) -> Codec:
    encode_item, decode_item = _codec(item)
    kind = tuple if as_tuple else list

    def encode(value: Any) -> list[Any]:
        if type(value) is not kind:
            _fail(kind.__name__, value)
        return [encode_item(v) for v in value]

    def decode(value: Any) -> Any:
        if type(value) is not list:
            _fail("array", value)
        items = [decode_item(v) for v in value]
        return tuple(items) if as_tuple else items

    return encode, decode


def _fixed_tuple(items: tuple[Any, ...]) -> Codec:
    codecs = [_codec(i) for i in items]

    def encode(value: Any) -> list[Any]:
        if type(value) is not tuple or len(value) != len(codecs):
            _fail(f"a tuple of {len(codecs)}", value)
        return [c[0](v) for c, v in zip(codecs, value, strict=True)]

    def decode(value: Any) -> tuple[Any, ...]:
        if type(value) is not list or len(value) != len(codecs):
            _fail(f"an array of {len(codecs)}", value)
        return tuple(c[1](v) for c, v in zip(codecs, value, strict=True))

    return encode, decode


def _dataclass(cls: type) -> Codec:
    hints = _hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    codecs = [_codec(hints[name]) for name in names]

    def encode(value: Any) -> list[Any]:
        if type(value) is not cls:
            _fail(cls.__name__, value)
        return [c[0](getattr(value, n)) for c, n in zip(codecs, names, strict=True)]

    return encode, _compiled_decoder(cls, [(name, hints[name]) for name in names])


def _compiled_decoder(cls: type, fields: list[tuple[str, Any]]) -> Callable[[Any], Any]:
    """The decoder of one dataclass, written out as Python source and compiled once, as `dataclasses` makes
    `__init__`: each field's check inline (a type test for scalars, optionals and literals; a call for
    nested records and arrays), and the instance filled in directly, since every field is given (a frozen
    dataclass's `__init__` sets each field through `object.__setattr__`). Decoding the few hundred stored
    entries of a warm vLLM run took 2.5x pickle's time through one closure per field; this is as fast."""
    env: dict[str, Any] = {"cls": cls, "fail": _fail, "new": object.__new__}
    size = len(fields)
    lines = ["def decode(value):",
             f"    if type(value) is not list or len(value) != {size}:",
             f"        fail({cls.__name__ + ' as an array of ' + str(size)!r}, value)",
             f"    {', '.join(f'v{i}' for i in range(size))}, = value"]
    for i, (_, tp) in enumerate(fields):
        lines += ["    " + line for line in _field_check(f"v{i}", tp, env, f"t{i}")]
    values = ", ".join(f"v{i}" for i in range(size))
    if hasattr(cls, "__post_init__") or "__slots__" in vars(cls):
        lines.append(f"    return cls({values})")  # it checks or derives something: built the usual way
    else:
        lines += ["    made = new(cls)",
                  f"    made.__dict__.update({', '.join(f'{name}=v{i}' for i, (name, _) in enumerate(fields))})",
                  "    return made"]
    exec(compile("\n".join(lines), f"<vlint codec: {cls.__name__}>", "exec"), env)  # noqa: S102 - source made here
    return env["decode"]


def _field_check(var: str, tp: Any, env: dict[str, Any], tag: str) -> list[str]:
    """Source lines that check (or decode in place) one field's value held in `var`."""
    if tp in (str, int, bool):
        return [f"if type({var}) is not {tp.__name__}:", f"    fail({tp.__name__!r}, {var})"]
    if tp is float:
        return [f"if type({var}) is not float and type({var}) is not int:", f"    fail('float', {var})"]
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Literal:
        env[tag] = {(type(o), o) for o in args}
        return [f"if type({var}) not in (str, int, bool) or (type({var}), {var}) not in {tag}:",
                f"    fail({'one of ' + repr(list(args))!r}, {var})"]
    if origin in (typing.Union, types.UnionType):
        others = [a for a in args if a is not type(None)]
        if len(others) < len(args) and len(others) == 1:  # X | None
            inner = _field_check(var, others[0], env, tag)
            return [f"if {var} is not None:", *("    " + line for line in inner)]
        if all(a in _JSON_SCALARS for a in args):
            env[tag] = {*args, *((int,) if float in args else ())}
            return [f"if type({var}) not in {tag}:", f"    fail('a JSON scalar', {var})"]
    env[tag] = _codec(tp)[1]
    return [f"{var} = {tag}({var})"]


_NAMED: dict[str, Any] = {"str": str, "int": int, "float": float, "bool": bool, "None": type(None)}


def _hints(cls: type) -> dict[str, Any]:
    """A dataclass's field types from its annotations (strings under `from __future__ import annotations`):
    names and `X | Y` looked up directly, anything else evaluated (`typing.get_type_hints` evaluates every
    one: ~15 ms of compiling for facts.py, in every run that reads the cache)."""
    namespace = vars(sys.modules[cls.__module__])
    out = {}
    for f in dataclasses.fields(cls):
        out[f.name] = _resolve(f.type, namespace) if isinstance(f.type, str) else f.type
    return out


def _resolve(text: str, namespace: dict[str, Any]) -> Any:
    text = text.strip()
    if text in _NAMED:
        return _NAMED[text]
    if text.isidentifier() and text in namespace:
        return namespace[text]
    if "[" not in text and "|" in text:
        return functools.reduce(operator.or_, [_resolve(part, namespace) for part in text.split("|")])
    return eval(text, dict(namespace))  # noqa: S307 - vlint's own annotations, not scanned text


@cache
def _codec(tp: Any) -> Codec:
    """The (encode, decode) pair for one type of `vlint/facts.py`; TypeError for a type it cannot store."""
    if tp is type(None) or tp is None:
        return _none()
    if tp in (str, int, float, bool):
        return _scalar(tp)
    if dataclasses.is_dataclass(tp):
        return _dataclass(tp)  # type: ignore[arg-type]
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Literal:
        return _literal(args)
    if origin in (typing.Union, types.UnionType):
        return _union(args)
    if origin is list:
        return _sequence(args[0], as_tuple=False)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return _sequence(args[0], as_tuple=True)
        return _fixed_tuple(args)
    raise TypeError(f"the cache codec cannot store {tp!r}")


def _describe(tp: Any, seen: set[type]) -> str:
    if dataclasses.is_dataclass(tp):
        if tp in seen:
            return tp.__name__
        seen.add(tp)  # type: ignore[arg-type]
        hints = _hints(tp)
        inner = ",".join(f"{f.name}:{_describe(hints[f.name], seen)}" for f in dataclasses.fields(tp))
        return f"{tp.__name__}({inner})"
    args = typing.get_args(tp)
    if args:
        return f"{typing.get_origin(tp)}[{','.join(_describe(a, seen) for a in args)}]"
    return repr(tp)


@cache
def format_id() -> str:
    """A hash of the facts' classes, fields and types: part of every cache key, so a change to
    `vlint/facts.py` retires what was stored before it."""
    return hashlib.sha256(_describe(FileFacts, set()).encode()).hexdigest()[:12]
