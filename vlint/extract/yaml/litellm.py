"""LiteLLM proxy configs: `model_list[]` aliases forwarding to an OpenAI-compatible (vLLM) server."""

from __future__ import annotations

from yaml.nodes import Node, ScalarNode

from vlint.extract.yaml.context import YamlDoc
from vlint.extract.yaml.masking import is_templated
from vlint.extract.yaml.nodes import get, seq, text_of
from vlint.facts import Serve, Value

# Providers that send OpenAI-style requests to an OpenAI-compatible server (vLLM among them).
_LITELLM_PROVIDERS = {"hosted_vllm/": True, "openai/": True, "vllm/": True, "custom_openai/": True,
                      "text-completion-openai/": False}


def litellm(model_list: Node, doc: YamlDoc) -> None:
    for entry in seq(model_list):
        alias = text_of(get(entry, "model_name"))
        params = get(entry, "litellm_params")
        model_node = get(params, "model")
        if not isinstance(model_node, ScalarNode) or not text_of(model_node) or not alias or "*" in alias:
            continue
        raw = model_node.value
        prefix = next((p for p in _LITELLM_PROVIDERS if raw.startswith(p)), None)
        if prefix is None:
            continue
        name = raw[len(prefix):]
        if name.startswith("os.environ/"):
            var = name[len("os.environ/"):]
            model = Value(None, doc.loc(model_node), note=f"litellm_params.model from env {var}", env=var)
        elif is_templated(name):
            model = Value(None, doc.loc(model_node), note="litellm_params.model: template expression")
        else:
            model = Value(name, doc.inner(model_node, len(prefix)),
                          note=f"litellm_params.model (provider prefix {prefix!r} stripped)")
        temp_node = get(params, "temperature")
        temperature = doc.value(temp_node, "litellm_params.temperature") if isinstance(
            temp_node, ScalarNode) else None
        doc.add([Serve(location=doc.loc(model_node), model=model, launcher="litellm", served_names=(alias,),
                       temperature=temperature, forwards_chat=_LITELLM_PROVIDERS[prefix])])
