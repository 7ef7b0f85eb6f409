"""KServe InferenceService: the Hugging Face (vLLM-backed) predictor and its engine flags."""

from __future__ import annotations

from dataclasses import replace

from yaml.nodes import MappingNode, ScalarNode

from vlint.extract.positions import Token
from vlint.extract.yaml.argv import argv_tokens, serves_from_flags
from vlint.extract.yaml.context import YamlDoc
from vlint.extract.yaml.k8s import k8s_env
from vlint.extract.yaml.nodes import get, seq, text_of

# KServe's own server flags (normalised with `_`); everything else is handed on to the vLLM engine.
_KSERVE_VALUED = {"model_id", "model_name", "model_dir", "backend", "task", "http_port", "grpc_port",
                  "workers", "predictor_host", "max_length", "dtype"}


_KSERVE_SWITCHES = {"return_probabilities", "disable_lower_case", "disable_special_tokens"}


def _split_flag(tok: Token) -> tuple[str, Token | None]:
    flag, eq, rest = tok.text.partition("=")
    if not eq:
        return tok.text, None
    loc = replace(tok.location, column=tok.location.column + len(flag) + 1)
    return flag, Token(rest, loc, quoted=tok.quoted)


def _kserve_args(args: list[Token]) -> tuple[dict[str, Token], list[Token]]:
    """Split an InferenceService's args into KServe's own flags and the vLLM engine flags."""
    values: dict[str, Token] = {}
    passthrough: list[Token] = []
    i = 0
    while i < len(args):
        flag, attached = _split_flag(args[i])
        name = flag[2:].replace("-", "_") if flag.startswith("--") else ""
        if name in _KSERVE_VALUED:
            if attached is None and i + 1 < len(args):
                attached, i = args[i + 1], i + 1
            if attached is not None:
                values[name] = attached
        elif name not in _KSERVE_SWITCHES:
            passthrough.append(args[i])
        i += 1
    return values, passthrough


def kserve(root: MappingNode, doc: YamlDoc) -> None:
    """An InferenceService: the `model:` (or older `huggingface:`) predictor, or a custom container that
    runs KServe's Hugging Face server (`--model_id`)."""
    predictor = get(get(root, "spec"), "predictor")
    model = get(predictor, "model") or get(predictor, "huggingface")
    if isinstance(model, MappingNode):
        fmt = text_of(get(get(model, "modelFormat"), "name")) or ""
        _kserve_predictor(model, root, doc, huggingface="huggingface" in fmt.lower())
    for container in seq(get(predictor, "containers")):
        if isinstance(container, MappingNode):
            _kserve_predictor(container, root, doc, huggingface="huggingface" in (
                text_of(get(container, "image")) or "").lower())


def _kserve_predictor(spec: MappingNode, root: MappingNode, doc: YamlDoc, huggingface: bool) -> None:
    args = [tok for tok, _node in argv_tokens(get(spec, "command"), doc) + argv_tokens(get(spec, "args"), doc)]
    values, passthrough = _kserve_args(args)
    backend = values.get("backend")
    if not (huggingface or "model_id" in values or (backend is not None and backend.text == "vllm")):
        return
    model_tok = values.get("model_id")
    storage = get(spec, "storageUri", "uri")
    if model_tok is None and isinstance(storage, ScalarNode) and text_of(storage):
        uri = storage.value
        text = uri[len("hf://"):] if uri.startswith("hf://") else uri
        model_tok = doc.token(storage, text=text, offset=len(uri) - len(text))
    if model_tok is None:
        return
    doc.handled.update({id(get(spec, "args")), id(get(spec, "command"))})
    name_tok = values.get("model_name")
    served = name_tok.text if name_tok else text_of(get(get(root, "metadata"), "name"))
    env = k8s_env(spec, doc, text_of(get(spec, "name")) or "kserve-container")
    # Engine flags start at the first option; words before it are the server command (`python -m …`).
    first = next((i for i, tok in enumerate(passthrough) if tok.text.startswith("--")), len(passthrough))
    tokens = [Token("--model", model_tok.location), model_tok] + passthrough[first:]
    # The Hugging Face backend applies the model's chat template too, so it is not a nominal launch.
    for serve in serves_from_flags(doc, tokens, model_tok.location, env=env)[:1]:
        doc.add([replace(serve, location=model_tok.location, launcher="kserve",
                         served_names=(served,) if served else serve.served_names)])
