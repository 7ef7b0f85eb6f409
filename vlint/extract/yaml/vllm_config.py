"""`vllm serve --config FILE` files: a YAML mapping of flag names to values."""

from __future__ import annotations

import json
from dataclasses import replace
from functools import lru_cache

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from vlint.extract.cmdline.flags import iter_flag_names
from vlint.extract.positions import Token
from vlint.extract.yaml.argv import serves_from_flags
from vlint.extract.yaml.context import YamlDoc
from vlint.extract.yaml.nodes import mapping_items, scalar, to_python


@lru_cache(maxsize=1)
def _vllm_flags() -> frozenset[str]:
    """Every vLLM serve flag name (current and legacy, as in `rules/vllm_flags.yaml`), without dashes."""
    return frozenset(name.lstrip("-") for name in iter_flag_names()) | {"model", "config"}


# Keys that many non-vLLM configs also have: alone they do not make a file a vLLM config.
_GENERIC_KEYS = frozenset("model host port seed dtype device tokenizer revision quantization config api-key "
                          "root-path runner convert task middleware headless grpc".split())


def flag_name(key: str) -> str:
    return key.strip().lower().replace("_", "-")


def is_vllm_config(root: MappingNode) -> bool:
    """A top level that reads as `vllm serve --config`: mostly vLLM flag names, at least one specific one.

    A weather station's `model:`/`temperature:` or a training recipe's `model:`/`learning_rate:` fail the
    share test; `temperature` is not a vLLM flag at all.
    """
    keys = [flag_name(k) for k, _kn, _v in mapping_items(root)]
    if not keys:
        return False
    flags = _vllm_flags()
    known = [k for k in keys if k in flags or (k.startswith("no-") and k[3:] in flags)]
    specific = [k for k in known if k not in _GENERIC_KEYS]
    return bool(specific) and len(known) * 4 >= len(keys) * 3


def config_tokens(pairs: list[tuple[str, Node, Node]], doc: YamlDoc) -> list[Token]:
    """`--config` semantics: true → bare flag, false/empty/null dropped, list → nargs, dict → JSON."""
    tokens: list[Token] = []
    for key, key_node, value_node in pairs:
        flag = Token("--" + flag_name(key), doc.loc(key_node))
        if isinstance(value_node, SequenceNode):
            items = [item for item in value_node.value if isinstance(item, ScalarNode)]
            if items:
                tokens.append(flag)
                tokens.extend(doc.token(item, literal=True) for item in items)
        elif isinstance(value_node, MappingNode):
            data = to_python(value_node, [10_000])
            tokens.extend([flag, Token(json.dumps(data), doc.loc(value_node), quoted=True)])
        else:
            value = scalar(value_node)
            if value is True:
                tokens.append(flag)
            elif value is not None and value is not False:
                tokens.extend([flag, doc.token(value_node, literal=True)])  # type: ignore[arg-type]
    return tokens


def vllm_config(root: MappingNode, doc: YamlDoc) -> None:
    pairs = mapping_items(root)
    model_node = next((v for k, _kn, v in pairs if flag_name(k) == "model"), None)
    anchor = doc.loc(model_node) if model_node is not None else doc.loc(root)
    for serve in serves_from_flags(doc, config_tokens(pairs, doc), anchor)[:1]:
        model = serve.model if model_node is not None else None
        if model is None and not (serve.served_names or serve.chat_template or serve.temperature
                                  or serve.generation_config):
            return  # a partial config with nothing a rule could use
        doc.add([replace(serve, location=anchor, model=model, launcher="vllm-config",
                         config_file=doc.config_name)])
