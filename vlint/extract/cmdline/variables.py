"""Variable references in a word, resolved through the variables known at that point, with provenance.

`$NAME`, `${NAME}`, `${NAME:-default}`, `${NAME-default}` and, when `k8s_refs` is on, Kubernetes `$(NAME)`
are references; command substitutions, `$@` and other expansions stay unresolved (never run). A resolved
value says where it came from ("from MODEL set at run.sh:3:1"), and every expansion is charged to the
file's budget (`vlint.extract.expansion`), so a value that would grow past it is unknown instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from vlint.extract.expansion import MAX_VALUE_CHARS, current_budget
from vlint.extract.templates import has_template
from vlint.facts import Location, Value

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_REF_RE = re.compile(
    r"\$\{(?P<bname>" + _NAME + r"|[0-9]+)(?P<op>:?[-=])(?P<default>(?:[^{}]|\{[^{}]*\})*)\}"
    r"|\$\{(?P<name>" + _NAME + r"|[0-9]+)\}"
    r"|\$\{(?P<opaque>[^{}]*)\}"
    r"|\$\((?P<k8s>" + _NAME + r")\)"
    r"|\$\((?P<cmdsub>[^()]*(?:\([^()]*\)[^()]*)*)\)|`(?P<backtick>[^`]*)`"
    r"|\$(?P<simple>" + _NAME + r"|[0-9@*#?!$-])"
)


_TEMPLATE_PAIRS = (("{{", "}}"), ("{%", "%}"))  # `${{ }}` holds a `{{ }}`


@dataclass(frozen=True)
class _Ref:
    name: str | None  # None: an expansion we cannot resolve (`${X##*/}`, `$@`, `${arr[@]}`)
    default: str | None = None
    empty_uses_default: bool = False
    opaque_args: bool = False  # `$@`, `$*`, `${arr[@]}`: may stand for several argv words


def _ref_of(match: re.Match[str], k8s_refs: bool) -> _Ref | None:
    if match.group("bname"):
        return _Ref(match.group("bname"), match.group("default"), match.group("op").startswith(":"))
    if match.group("name"):
        return _Ref(match.group("name"))
    if match.group("opaque") is not None:
        inner = match.group("opaque")
        return _Ref(None, opaque_args=inner.endswith("[@]") or inner.endswith("[*]"))
    if match.group("cmdsub") is not None or match.group("backtick") is not None:
        return _Ref(None)  # command substitution: never run
    if match.group("k8s"):
        return _Ref(match.group("k8s")) if k8s_refs else _Ref(None)
    simple = match.group("simple")
    if simple in ("@", "*"):
        return _Ref(None, opaque_args=True)
    if simple in ("#", "?", "!", "$", "-"):
        return _Ref(None)
    return _Ref(simple)


def _provenance(name: str, bound: Value) -> str:
    where = f" set at {bound.location}" if bound.location else ""
    if bound.note and not bound.location:
        return f"from {name} ({clip(bound.note, MAX_NOTE)})"
    if bound.is_default:
        return f"default of {name}{where}"
    return f"from {name}{where}"


def _resolve_ref(ref: _Ref, env: Mapping[str, Value], location: Location | None, raw: str) -> Value:
    if ref.name is None:
        return Value(None, location, note=f"unresolved expansion {raw}")
    bound = env.get(ref.name)
    if bound is not None:
        if bound.literal is not None and not (bound.literal == "" and ref.empty_uses_default):
            return Value(bound.literal, location, note=_provenance(ref.name, bound), env=bound.env,
                         is_default=bound.is_default)
        if bound.literal is None and bound.env is None:
            why = clip(bound.note, MAX_NOTE) or "not statically known"
            return Value(None, location, note=f"{ref.name}: {why}")
        if bound.literal is None and bound.env is not None:
            # Bound to another unresolved variable: keep that name for the linker, our default as fallback.
            lit = ref.default
            return Value(lit, location, note=_provenance(ref.name, bound), env=bound.env,
                         is_default=lit is not None)
    if ref.name.isdigit():
        # A script or function argument: nothing in the project can bind it, only its default counts.
        if ref.default is not None:
            default = resolve_text(ref.default, location, env, quoted=False)
            return Value(default.literal, location, note=f"default of argument ${ref.name}",
                         is_default=True)
        return Value(None, location, note=f"argument ${ref.name}")
    if ref.default is not None:
        default = resolve_text(ref.default, location, env, quoted=False)
        return Value(default.literal, location, note=f"default of ${{{ref.name}}}", env=ref.name,
                     is_default=True)
    return Value(None, location, env=ref.name)


def resolve_text(text: str, location: Location | None, env: Mapping[str, Value] | None, *,
                 quoted: bool = False, k8s_refs: bool = True) -> Value:
    """The Value a word stands for: literal, resolved through `env`, or an unresolved reference."""
    env = env or {}
    if quoted or "$" not in text and "`" not in text and "{{" not in text and "{%" not in text:
        return Value(text, location)
    if has_template(text, _TEMPLATE_PAIRS):
        return Value(None, location, note=f"template expression {text!r}")
    budget = current_budget()
    whole = _REF_RE.fullmatch(text)
    if whole is not None:
        ref = _ref_of(whole, k8s_refs)
        if ref is None:
            return Value(text, location)
        value = _resolve_ref(ref, env, location, text)
        refused = budget.refusal(len(value.literal), f"`{clip(text)}`", location) \
            if isinstance(value.literal, str) else None
        return value if refused is None else Value(None, location, note=refused)
    # A word mixing literal text and references: expand what we can, give up on the rest.
    out: list[str] = []
    size = 0
    pos = 0
    notes: list[str] = []
    any_default = False
    for m in _REF_RE.finditer(text):
        ref = _ref_of(m, k8s_refs)
        piece = text[pos:m.start()]
        pos = m.end()
        if ref is None:
            piece += m.group(0)
        else:
            part = _resolve_ref(ref, env, location, m.group(0))
            if part.literal is None:
                return Value(None, location, note=f"unresolved expansion in {text!r}")
            any_default = any_default or part.is_default
            piece += str(part.literal)
            if part.note and len(notes) < _MAX_NOTES:
                notes.append(part.note)
        out.append(piece)
        size += len(piece)
        if size > MAX_VALUE_CHARS:
            break  # refused below, before the parts are joined
    refused = budget.refusal(size + len(text) - pos, f"`{clip(text)}`", location)
    if refused is not None:
        return Value(None, location, note=refused)
    out.append(text[pos:])
    return Value("".join(out), location, note="; ".join(notes) or f"expanded from {text!r}",
                 is_default=any_default)


# Notes quote other notes (`B=$A` says why A is unknown): without a bound, a chain of assignments makes
# notes that grow by a name per link (30,000 links of `Ai=$Aj`, a 300 KB script, took 3.2 GB).
MAX_NOTE = 300
_MAX_NOTES = 8  # provenance notes kept for one word of many references


def clip(text: str, limit: int = 60) -> str:
    """A word short enough for a note."""
    return text if len(text) <= limit else text[:limit] + "..."


def has_opaque_args(text: str) -> bool:
    """`$@`, `"$@"`, `${ARGS[@]}`: one word that may expand to many argv entries (a model among them)."""
    return any((r := _ref_of(m, True)) is not None and r.opaque_args for m in _REF_RE.finditer(text))


def is_reference(text: str) -> bool:
    """Is the whole word one variable reference (`$X`, `${X:-d}`, `$(cmd)`, `$@`...)?"""
    return _REF_RE.fullmatch(text) is not None


def join_notes(*parts: str) -> str:
    return "; ".join(p for p in parts if p)
