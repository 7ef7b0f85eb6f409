"""Launches wherever they sit: container specs in any workload shape, argv lists, scripts under script keys."""

from __future__ import annotations

from collections.abc import Mapping

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from vlint.extract.cmdline.heads import mentions_launch
from vlint.extract.yaml.argv import argv_tokens, run_argv
from vlint.extract.yaml.context import YamlDoc, env_mapping
from vlint.extract.yaml.k8s import k8s_container
from vlint.extract.yaml.masking import is_templated
from vlint.extract.yaml.nodes import get, text_of, walk
from vlint.extract.yaml.ray import ray_llm_config
from vlint.facts import Value

_SHELL_KEYS = {"run", "script", "before_script", "after_script", "setup", "cmds", "commands", "command",
               "cmd", "shell", "source", "entrypoint", "start_command", "exec", "bash", "inline"}


_ARGV_KEYS = {"command", "args", "entrypoint", "cmd"}
_CONTAINER_LIST_KEYS = {"containers", "initContainers", "ephemeralContainers", "sidecars", "steps"}


def doc_env(root: Node, doc: YamlDoc) -> dict[str, Value]:
    """Top-level variables a recipe's scripts see: SkyPilot `envs:`, dstack `env:`, GitLab `variables:`."""
    env: dict[str, Value] = {}
    for key in ("envs", "env", "variables"):
        node = get(root, key)
        if node is not None:
            env.update(env_mapping(node, doc, key))
    return env


def _is_argv_list(node: SequenceNode) -> bool:
    """`[vllm, serve, X]` (one word per item) as opposed to a list of scripts (`- vllm serve X`)."""
    items = node.value
    return bool(items) and all(isinstance(i, ScalarNode) for i in items) and not any(
        ch in items[0].value for ch in " \t\n")


def _sibling_image(parent: Node | None) -> str | None:
    """The image next to a command list: `image: x` or a Helm-style `repository:`/`tag:` pair."""
    image = text_of(get(parent, "image"))
    if image is None:
        repo, tag = text_of(get(parent, "repository")), text_of(get(parent, "tag"))
        image = f"{repo}:{tag}" if repo and tag else repo
    return None if is_templated(image) else image


def _runs_javascript(step: MappingNode) -> bool:
    """`uses: actions/github-script@…`: its `with: script:` is JavaScript (a bash parse of it fails on every
    line, and recovering statement by statement cost 0.15 s for one workflow of vLLM's)."""
    uses = get(step, "uses")
    return isinstance(uses, ScalarNode) and uses.value.strip().lower().startswith(_JAVASCRIPT_ACTIONS)


_JAVASCRIPT_ACTIONS = ("actions/github-script@",)


def generic(root: Node, doc: YamlDoc, env: Mapping[str, Value]) -> None:
    """Launches wherever they sit: container specs in any workload shape (Deployment, Job, Argo,
    Knative, LeaderWorkerSet…), argv lists, shell scripts under script-like keys, Ray LLM configs."""
    containers: list[MappingNode] = []
    argv_lists: list[tuple[SequenceNode, Node | None]] = []
    scripts: list[ScalarNode] = []
    ray_configs: list[MappingNode] = []
    argv_ids: set[int] = set()
    not_shell: set[int] = set()  # the `with:` of a step whose action runs its `script:` as JavaScript
    for key, node, parent in walk(root):
        if isinstance(node, MappingNode):
            if _runs_javascript(node) and isinstance(inputs := get(node, "with"), MappingNode):
                not_shell.add(id(inputs))
            if key in _CONTAINER_LIST_KEYS and isinstance(parent, (SequenceNode, MappingNode)) and (
                    get(node, "image") is not None or get(node, "command") is not None
                    or get(node, "args") is not None):
                containers.append(node)
            elif key == "container" and get(node, "image") is not None:
                containers.append(node)
            if get(node, "model_loading_config") is not None:
                ray_configs.append(node)
        elif isinstance(node, SequenceNode) and key in _ARGV_KEYS and _is_argv_list(node):
            argv_lists.append((node, parent))
            argv_ids.add(id(node))
        elif isinstance(node, ScalarNode) and key in _SHELL_KEYS and id(parent) not in argv_ids \
                and id(parent) not in not_shell and mentions_launch(node.value):
            scripts.append(node)
    for container in containers:
        k8s_container(container, doc)
    for config in ray_configs:
        ray_llm_config(config, doc)
    for argv, parent in argv_lists:
        if id(argv) not in doc.handled:
            doc.handled.add(id(argv))
            doc.handled.update(id(item) for item in argv.value)
            run_argv(doc, argv_tokens(argv, doc), env, _sibling_image(parent))
    for script in scripts:
        if id(script) not in doc.handled and not (script.tag or "").endswith((":int", ":float", ":bool")):
            doc.shell(script, env)
