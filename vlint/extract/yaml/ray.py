"""Ray Serve LLM configs: `llm_configs[].model_loading_config` and `engine_kwargs`."""

from __future__ import annotations

from dataclasses import replace

from yaml.nodes import MappingNode, ScalarNode

from vlint.extract.positions import Token
from vlint.extract.yaml.argv import serves_from_flags
from vlint.extract.yaml.context import YamlDoc
from vlint.extract.yaml.nodes import get, mapping_items, text_of
from vlint.extract.yaml.vllm_config import config_tokens, flag_name


def ray_llm_config(config: MappingNode, doc: YamlDoc) -> None:
    loading = get(config, "model_loading_config")
    model_id = get(loading, "model_id")
    source = get(loading, "model_source")
    model_node = source if isinstance(source, ScalarNode) and text_of(source) else model_id
    if not isinstance(model_node, ScalarNode) or not text_of(model_node):
        return
    engine = mapping_items(get(config, "engine_kwargs"))
    tokens = [Token("--model", doc.loc(model_node)), doc.token(model_node)]
    tokens += config_tokens([p for p in engine if flag_name(p[0]) != "model"], doc)
    served = text_of(model_id)
    for serve in serves_from_flags(doc, tokens, doc.loc(model_node))[:1]:
        doc.add([replace(serve, location=doc.loc(model_node), launcher="ray",
                         served_names=(served,) if served else serve.served_names)])
