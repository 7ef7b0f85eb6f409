"""Kubernetes containers: `command`/`args` with the container's `env` (and same-file ConfigMaps); the pod labels
and the Services that select them, so a request to `http://<service>:<port>` reaches its launches."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace

from yaml.nodes import MappingNode, Node, ScalarNode

from vlint.extract.cmdline.servers import parse_port, server_data
from vlint.extract.yaml.argv import command_tokens, run_argv, run_image
from vlint.extract.yaml.context import YamlDoc
from vlint.extract.yaml.masking import is_templated
from vlint.extract.yaml.nodes import get, mapping_items, scalar, seq, text_of, walk
from vlint.facts import EnvBinding, Route, Serve, Value

_K8S_VAR_RE = re.compile(r"(?<!\$)\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def k8s_env(container: Node, doc: YamlDoc, cname: str) -> dict[str, Value]:
    """A container's environment: `envFrom` ConfigMaps first, then `env:` entries, which win.

    `valueFrom.configMapKeyRef` resolves when that ConfigMap is in the same file; secrets, field refs and
    ConfigMaps defined elsewhere stay unresolved (and are not guessed from other variables).
    """
    env: dict[str, Value] = {}
    for source in seq(get(container, "envFrom")):
        data = doc.config_maps.get(text_of(get(get(source, "configMapRef"), "name")) or "", {})
        prefix = text_of(get(source, "prefix")) or ""
        env.update({prefix + key: value for key, value in data.items()})
    for item in seq(get(container, "env")):
        name = text_of(get(item, "name"))
        if not name:
            continue
        note = f"env {name} of container {cname}"
        literal = get(item, "value")
        if isinstance(literal, ScalarNode):
            value = doc.value(literal, note)
            if value.literal is not None:
                value = replace(value, literal=str(value.literal))
        else:
            ref = get(get(item, "valueFrom"), "configMapKeyRef")
            found = doc.config_maps.get(text_of(get(ref, "name")) or "", {}).get(text_of(get(ref, "key")) or "")
            if found is not None:
                value = replace(found, note=f"{note}, {found.note}")
            else:
                value = Value(None, doc.loc(item), note=f"{note} comes from valueFrom, not known statically")
        env[name] = value
        doc.facts.env.append(EnvBinding(name, value, scope=f"container:{cname}"))
    return env


def collect_config_map(root: Node, doc: YamlDoc) -> None:
    """Remember a ConfigMap's literal data so containers in the same file can resolve references to it."""
    if not isinstance(root, MappingNode) or text_of(get(root, "kind")) != "ConfigMap":
        return
    name = text_of(get(get(root, "metadata"), "name"))
    if not name:
        return
    data: dict[str, Value] = {}
    for key, _key_node, value in mapping_items(get(root, "data")):
        raw = scalar(value)
        if isinstance(value, ScalarNode) and raw is not None and not is_templated(raw):
            data[key] = Value(str(raw), doc.loc(value), note=f"ConfigMap {name} key {key}")
    doc.config_maps[name] = data


def _k8s_expand(env: Mapping[str, Value]) -> Callable[[str], str]:
    """Kubernetes expands `$(VAR)` from the container env before anything runs.

    In shell text `$(VAR)` becomes `${VAR}` (same length, so columns stay true) and the shell extractor
    resolves it from `env` with provenance; undefined names stay command substitutions, as in the kubelet.
    """

    def rewrite(text: str) -> str:
        return _K8S_VAR_RE.sub(lambda m: "${" + m.group(1) + "}" if m.group(1) in env else m.group(0), text)

    return rewrite


def k8s_container(node: MappingNode, doc: YamlDoc) -> None:
    cname = text_of(get(node, "name")) or "container"
    image = text_of(get(node, "image"))
    env = k8s_env(node, doc, cname)
    command = get(node, "command")
    pairs = command_tokens(doc, command, get(node, "args"))
    image = None if is_templated(image) else image
    if not pairs:
        if command is None and get(node, "image") is not None:
            run_image(doc, image, get(node, "image"), env)  # type: ignore[arg-type]
        return
    run_argv(doc, pairs, env, image if command is None else None, shell_rewrite=_k8s_expand(env))


def pod_labels(root: Node) -> dict[str, tuple[str, ScalarNode]]:
    """The labels of a workload's pods (every literal `labels:` mapping in the document: the pod template's
    and the object's own), for the Services that select them, with the node of each value."""
    labels: dict[str, tuple[str, ScalarNode]] = {}
    for key, node, _parent in walk(root):
        if key == "labels" and isinstance(node, MappingNode):
            for name, _key, value in mapping_items(node):
                raw = scalar(value)
                if isinstance(value, ScalarNode) and raw is not None and not is_templated(str(raw)):
                    labels.setdefault(name, (str(raw), value))
    return labels


def label_launches(root: Node, doc: YamlDoc, serves: list[Serve], kind: str) -> list[Serve]:
    """A workload's launches with its pods' labels (for Services) and the names an alias label gives them
    (`rules/servers.yaml` `alias_labels`). An object that carries an alias label but shows no launch vlint
    reads (a mock image, a LoRA adapter object) still serves that name: a launch whose model is unknown."""
    if not serves and not any(key in doc.original for key in server_data().alias_labels):
        return serves  # (the walk for labels is only needed for a launch, or an object that names a model)
    labels = pod_labels(root)
    names = [(labels[key][0], labels[key][1]) for key in server_data().alias_labels if key in labels]
    pairs = tuple(sorted((key, value) for key, (value, _node) in labels.items()))
    if not serves and names:
        return [Serve(location=doc.loc(names[0][1]), model=None, launcher=f"{kind or 'object'} labelled "
                      f"{next(k for k in server_data().alias_labels if k in labels)}",
                      served_names=tuple(n for n, _ in names), labels=pairs)]
    extra = tuple(n for n, _ in names)
    return [replace(s, labels=pairs, served_names=tuple(dict.fromkeys((*s.served_names, *extra))))
            for s in serves]


def service_route(root: Node, doc: YamlDoc) -> None:
    """A Kubernetes Service: the name clients in the cluster call, its ports, and the pods it selects."""
    name_node = get(get(root, "metadata"), "name")
    name = text_of(name_node)
    if not name or is_templated(name) or name_node is None:
        return
    selector = tuple(sorted((key, str(scalar(value))) for key, _k, value in mapping_items(get(get(root, "spec"),
                                                                                              "selector"))
                            if isinstance(value, ScalarNode) and scalar(value) is not None))
    ports = [parse_port(text_of(get(item, "port"))) for item in seq(get(get(root, "spec"), "ports"))]
    doc.facts.routes.append(Route(name, doc.loc(name_node), tuple(p for p in ports if p is not None), selector))
