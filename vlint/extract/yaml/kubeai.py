"""kubeai `Model` resources: `spec.url` names the model, `spec.engine` the server."""

from __future__ import annotations

from dataclasses import replace

from yaml.nodes import MappingNode, ScalarNode

from vlint.extract.positions import Token
from vlint.extract.yaml.argv import argv_tokens, serves_from_flags
from vlint.extract.yaml.context import YamlDoc
from vlint.extract.yaml.nodes import get, text_of


def kubeai(root: MappingNode, doc: YamlDoc) -> None:
    spec = get(root, "spec")
    url = get(spec, "url")
    if not isinstance(url, ScalarNode) or not text_of(url):
        return
    scheme, sep, rest = url.value.partition("://")
    model_text = rest if sep else url.value
    model_tok = doc.token(url, text=model_text, offset=len(url.value) - len(model_text))
    engine = text_of(get(spec, "engine")) or "VLLM"
    args = [tok for tok, _node in argv_tokens(get(spec, "args"), doc)]
    doc.handled.add(id(get(spec, "args")))
    name = text_of(get(get(root, "metadata"), "name"))
    for serve in serves_from_flags(doc, [Token("--model", model_tok.location), model_tok] + args,
                                   model_tok.location)[:1]:
        nominal = serve.nominal
        if engine.lower() != "vllm":
            nominal = f"kubeai engine {engine} (not vLLM)"
        elif scheme and scheme not in ("hf", "s3", "gs", "oss", "pvc"):
            nominal = f"kubeai {scheme}:// model"
        doc.add([replace(serve, location=model_tok.location, launcher="kubeai",
                         served_names=(name,) if name else serve.served_names, nominal=nominal)])
