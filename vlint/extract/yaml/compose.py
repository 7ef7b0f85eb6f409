"""docker compose services: `entrypoint`/`command` with the image, `environment:` bindings, and the names and
ports the service is reached at (its name, `container_name`, `ports:`)."""

from __future__ import annotations

import re

from yaml.nodes import Node, ScalarNode

from vlint.extract.cmdline.docker import port_mapping, published
from vlint.extract.cmdline.servers import parse_port
from vlint.extract.yaml.argv import command_tokens, run_argv, run_image
from vlint.extract.yaml.context import YamlDoc
from vlint.extract.yaml.masking import is_templated
from vlint.extract.yaml.nodes import get, mapping_items, scalar, seq, text_of
from vlint.facts import EnvBinding, Location, Value

_COMPOSE_VAR_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def _compose_value(text: str, location: Location, note: str) -> Value:
    """An `environment:` value after compose interpolation: `${VAR:-d}` stays a reference with its default."""
    whole = _COMPOSE_VAR_RE.fullmatch(text)
    if whole:
        name, op, default = whole.group(1) or whole.group(4), whole.group(2), whole.group(3)
        has_default = op in ("-", ":-") and default is not None
        return Value(default if has_default else None, location, note=f"{note} ({text})", env=name,
                     is_default=has_default)
    if is_templated(text):
        return Value(None, location, note=f"{note}: template expression")
    return Value(_COMPOSE_VAR_RE.sub(_compose_default, text), location, note=note)


def _compose_default(m: re.Match[str]) -> str:
    """`${VAR:-default}` inside a longer word: the default (what compose uses when VAR is unset)."""
    return m.group(3) if m.group(2) in ("-", ":-") and m.group(3) is not None else m.group(0)


def _compose_environment(service: Node, doc: YamlDoc, sname: str) -> dict[str, Value]:
    node = get(service, "environment")
    note = f"environment of service {sname}"
    entries: list[tuple[str, Value]] = []
    for name, _key, value_node in mapping_items(node):
        raw = scalar(value_node)
        if raw is None or not isinstance(value_node, ScalarNode):
            entries.append((name, Value(None, doc.loc(value_node), note=f"{note}: from host", env=name)))
        else:
            entries.append((name, _compose_value(str(raw), doc.loc(value_node), f"{name} {note}")))
    for item in seq(node):
        text = text_of(item)
        if not text:
            continue
        name, sep, rest = text.partition("=")
        if sep:
            entries.append((name, _compose_value(rest, doc.inner(item, len(name) + 1), f"{name} {note}")))
        else:
            entries.append((name, Value(None, doc.loc(item), note=f"{note}: from host", env=name)))
    for name, value in entries:
        doc.facts.env.append(EnvBinding(name.strip(), value, scope=f"compose:{sname}"))
    return {name.strip(): value for name, value in entries}


def compose_service(sname: str, service: Node, doc: YamlDoc) -> None:
    environment = _compose_environment(service, doc, sname)
    image = text_of(get(service, "image"))
    if image and "$" in image:
        image = _COMPOSE_VAR_RE.sub(_compose_default, image)
    entrypoint = get(service, "entrypoint")
    # Compose interpolates `${VAR:-default}` from the host environment and `.env`, not from the
    # service's `environment:`: an empty env leaves each reference (with its default) to the linker. The
    # server itself reads `environment:` (TGI's MODEL_ID): that is the process environment.
    pairs = command_tokens(doc, entrypoint, get(service, "command"))
    before = len(doc.facts.serves)
    if pairs:
        run_argv(doc, pairs, {}, None if entrypoint is not None else image, k8s_refs=False,
                 process_env=environment)
    elif entrypoint is None and get(service, "image") is not None:
        run_image(doc, image, get(service, "image"), environment)  # type: ignore[arg-type]
    names = [sname, *(n for n in (text_of(get(service, key)) for key in ("container_name", "hostname")) if n)]
    doc.facts.serves[before:] = [published(s, _ports(service), names) for s in doc.facts.serves[before:]]


def _ports(service: Node) -> list[tuple[int, int | None]]:
    """`ports:` as (host port, container port): `"8080:8000"`, `8000`, `{published: 8080, target: 8000}`."""
    out: list[tuple[int, int | None]] = []
    for item in seq(get(service, "ports")):
        if isinstance(item, ScalarNode):
            mapping = port_mapping(str(scalar(item)))
        else:
            host, target = parse_port(text_of(get(item, "published"))), parse_port(text_of(get(item, "target")))
            mapping = (host, target) if host is not None else None
        if mapping is not None:
            out.append(mapping)
    return out
