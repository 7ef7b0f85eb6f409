"""The vLLM production-stack Helm chart's values: `servingEngineSpec.modelSpec[]`."""

from __future__ import annotations

from dataclasses import replace

from yaml.nodes import Node, ScalarNode

from vlint.extract.positions import Token
from vlint.extract.yaml.argv import argv_tokens, serves_from_flags
from vlint.extract.yaml.context import YamlDoc
from vlint.extract.yaml.masking import is_templated
from vlint.extract.yaml.nodes import get, seq, text_of


def production_stack(spec: Node, doc: YamlDoc) -> None:
    repository = text_of(get(spec, "repository"))
    for model_spec in seq(get(spec, "modelSpec")):
        url = get(model_spec, "modelURL")
        if not isinstance(url, ScalarNode):
            continue
        name = text_of(get(model_spec, "name"))
        repo = text_of(get(model_spec, "repository")) or repository
        tag = text_of(get(model_spec, "tag"))
        image = f"{repo}:{tag}" if repo and tag else repo
        tokens = [doc.token(url)]
        config = get(model_spec, "vllmConfig")
        tokens += [tok for tok, _node in argv_tokens(get(config, "extraArgs"), doc)]
        template = get(model_spec, "chatTemplate")
        if isinstance(template, ScalarNode) and text_of(template):
            tokens += [Token("--chat-template", doc.loc(template)), doc.token(template)]
        for serve in serves_from_flags(doc, tokens, doc.loc(url), image=image if not is_templated(image) else None)[:1]:
            names = serve.served_names + ((name,) if name and name not in serve.served_names else ())
            doc.add([replace(serve, location=doc.loc(url), launcher="helm", served_names=names,
                             model=doc.value(url, "modelSpec.modelURL"))])
