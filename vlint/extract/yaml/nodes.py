"""Composed YAML nodes read safely: scalars as the safe loader builds them, merge keys, bounded size.

YAML is read through PyYAML's safe composer only (never `yaml.load`): composed nodes keep their start
marks, so every fact points at the line of its value. Aliases are shared nodes, so a document's size is
checked once with every alias counted at each use (`check_expanded_size`), and walks visit each node once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_NODES = 200_000  # nodes per document, an alias counted at each use (a billion-laughs bomb is refused)


class DocumentTooLarge(Exception):
    """A document has more nodes than any launch configuration would (aliases counted at each use)."""


def check_expanded_size(root: Node) -> None:
    """Raise `DocumentTooLarge` when the document has more than `MAX_NODES` nodes once every alias is counted at each
    place it is used. The readers below meet an aliased subtree once per use (a `env: *big` in 10,000
    jobs is read 10,000 times), so a small document of aliases would otherwise cost them quadratic time
    and memory; the count itself costs one pass over the distinct nodes (sizes are memoised)."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        children = _children(node)
        if finished:
            on_path.discard(key)
            sizes[key] = 1 + sum(sizes.get(id(child), 1) for child in children)  # a recursive alias: 1
            if sizes[key] > MAX_NODES:
                raise DocumentTooLarge
            continue
        if key in sizes or key in on_path:
            continue
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


# The safe loader's own scalar builders (they read the node and keep no state, unlike construct_object,
# which caches every node it has built).
_SAFE = yaml.constructor.SafeConstructor
_SCALAR_BUILDERS: dict[str, Callable[[yaml.constructor.SafeConstructor, ScalarNode], object]] = {
    "tag:yaml.org,2002:bool": _SAFE.construct_yaml_bool,
    "tag:yaml.org,2002:int": _SAFE.construct_yaml_int,
    "tag:yaml.org,2002:float": _SAFE.construct_yaml_float,
    "tag:yaml.org,2002:null": _SAFE.construct_yaml_null,
}


_CONSTRUCTOR = _SAFE()


def scalar(node: Node) -> object:
    """The Python value of a scalar node as the safe loader would build it (bool/int/float/null/str)."""
    if not isinstance(node, ScalarNode):
        return None
    build = _SCALAR_BUILDERS.get(node.tag or "")
    if build is None:
        return node.value
    try:
        return build(_CONSTRUCTOR, node)
    except Exception:  # noqa: BLE001 - an odd literal ("0x", "1_") stays text
        return node.value


def text_of(node: Node | None) -> str | None:
    """A scalar's text as written (`true` stays "true"); None for null, absent or non-scalar values."""
    if not isinstance(node, ScalarNode) or scalar(node) is None:
        return None
    return node.value


def get(node: Node | None, *keys: str) -> Node | None:
    """The value under the first matching key of a mapping node (keys compared exactly, merges seen)."""
    if not isinstance(node, MappingNode):
        return None
    for key, value in node.value:  # fast path: most mappings have no merge key
        if isinstance(key, ScalarNode):
            if key.value in keys:
                return value
            if key.value == "<<":
                break
    else:
        return None
    for key_text, _key_node, value in mapping_items(node):
        if key_text in keys:
            return value
    return None


_MERGE_BUDGET = 10_000  # merged mappings read per lookup: `<<: [*a, *a, …]` chains cannot blow up


def mapping_items(node: Node | None, _budget: list[int] | None = None) -> list[tuple[str, Node, Node]]:
    """(key, key node, value node) of a mapping, with `<<: *anchor` merge keys applied the YAML way:
    the mapping's own keys win, then the merged mappings in order (compose `x-` templates use this)."""
    if not isinstance(node, MappingNode):
        return []
    budget = _budget if _budget is not None else [_MERGE_BUDGET]
    own: list[tuple[str, Node, Node]] = []
    merged: list[tuple[str, Node, Node]] = []
    for key, value in node.value:
        if not isinstance(key, ScalarNode):
            continue
        if key.value == "<<" and (key.tag or "").endswith(":merge"):
            for source in (value.value if isinstance(value, SequenceNode) else [value]):
                budget[0] -= 1
                if budget[0] < 0:
                    break
                merged.extend(mapping_items(source, budget))
        else:
            own.append((key.value, key, value))
    if merged:
        names = {name for name, _k, _v in own}
        seen: set[str] = set()
        for entry in merged:
            if entry[0] not in names and entry[0] not in seen:
                seen.add(entry[0])
                own.append(entry)
    return own


def seq(node: Node | None) -> list[Node]:
    return list(node.value) if isinstance(node, SequenceNode) else []


def to_python(node: Node, budget: list[int], depth: int = 0) -> object:
    """A plain value for a (small) subtree, e.g. a dict that becomes a JSON flag value; bounded."""
    budget[0] -= 1
    if budget[0] < 0 or depth > 50:
        raise DocumentTooLarge
    if isinstance(node, MappingNode):
        return {str(scalar(k)): to_python(v, budget, depth + 1) for k, v in node.value}
    if isinstance(node, SequenceNode):
        return [to_python(v, budget, depth + 1) for v in node.value]
    return scalar(node)


def walk(root: Node) -> Iterator[tuple[str | None, Node, Node | None]]:
    """(key, node, parent) for every distinct node, each once: aliases are shared nodes, so a recursive
    alias cannot loop (the document's size was checked by `check_expanded_size`)."""
    seen: set[int] = set()
    stack: list[tuple[str | None, Node, Node | None]] = [(None, root, None)]
    while stack:
        key, node, parent = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield key, node, parent
        if isinstance(node, MappingNode):
            for k, v in reversed(node.value):
                stack.append((k.value if isinstance(k, ScalarNode) else None, v, node))
        elif isinstance(node, SequenceNode):
            for item in reversed(node.value):
                stack.append((key, item, node))
