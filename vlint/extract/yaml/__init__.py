"""YAML -> facts: vLLM launches and requests in manifests, compose files, CI workflows and proxy configs.

`document.extract_yaml` reads a file document by document (one broken document loses only itself) and
hands each to the dialects it is written in, one module each: `k8s` (containers, ConfigMaps), `compose`,
`workflow` (GitHub Actions), `helm` (the vLLM production-stack chart), `kserve`, `kubeai`, `ray`
(Ray Serve LLM), `litellm`, `vllm_config` (`vllm serve --config` files) and `generic` (launches in any
other shape). Shared: `nodes` (the safe composer's nodes, bounded), `masking` (template expressions),
`context` (the document being read) and `argv` (command lines written in YAML).

YAML is read through PyYAML's *safe composer* only (never `yaml.load`): composed nodes keep their start
marks, so every fact points at the line of the model value or command token in the file. Shell embedded
in YAML (`run:`, `sh -c` args, compose `command:`) goes to the shell extractor with a `PositionMap`, and
argv lists go to the command-line families; these modules only know where each dialect keeps its launch.
Template expressions (`{{ }}`, `{% %}`, `${{ }}`) are masked with same-length placeholders before parsing so
columns stay true; they are never rendered, and a value that holds one is unresolved.
"""

from vlint.extract.yaml.document import extract_yaml

__all__ = ["extract_yaml"]
