"""YAML files -> facts: split into documents, each composed safely and read by the dialects it is written in.

Two passes: every document is composed first, so a ConfigMap can resolve `valueFrom`/`envFrom` in a
Deployment that comes before it; then each document is read. A document that cannot be read (bad YAML, too
many nodes, nesting too deep) becomes an error entry, and the other documents are still read.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from vlint.extract.cmdline.heads import launch_words
from vlint.extract.expansion import bounded
from vlint.extract.yaml import branches
from vlint.extract.yaml.compose import compose_service
from vlint.extract.yaml.context import YamlDoc
from vlint.extract.yaml.generic import doc_env, generic
from vlint.extract.yaml.helm import production_stack
from vlint.extract.yaml.k8s import collect_config_map, label_launches, service_route
from vlint.extract.yaml.kserve import kserve
from vlint.extract.yaml.kubeai import kubeai
from vlint.extract.yaml.litellm import litellm
from vlint.extract.yaml.masking import mask_templates
from vlint.extract.yaml.nodes import (
    MAX_NODES,
    DocumentTooLarge,
    check_expanded_size,
    get,
    mapping_items,
    text_of,
)
from vlint.extract.yaml.vllm_config import is_vllm_config, vllm_config
from vlint.extract.yaml.workflow import workflow, workflow_jobs
from vlint.facts import FileFacts, ParseError, Value

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Every fact the YAML dialects emit needs one of these words in the raw text (case-insensitive):
#  * a vLLM launch: `vllm` (command, module, image, KServe backend, kubeai engine) or `model`
#    (`--model`, `model:`, `modelURL`, `served-model-name`, `model_list`, `model_loading_config`,
#    `--model_id`, kubeai `kind: Model`, KServe `model:`/`modelFormat`);
#  * a vLLM config without a model key that still matters: `chat`(-template) or `generation`(-config);
#  * a request: `curl`, `/v1` or `completions` (the endpoint path or the tool);
#  * LiteLLM / Ray / served aliases: `litellm`, `llm_config`, `served`;
#  * an environment binding: `env` (`env:`, `envs:`, `environment:`) or GitLab's `variables:`.
# Template masking only removes text, so it cannot create these words. The one blind spot is a key
# spelled with YAML escapes ("mod\x65l"), which no real configuration does.
RELEVANT_WORDS = ("vllm", "model", "chat", "generation", "curl", "/v1", "completions", "litellm",
                  "llm_config", "served", "env", "variables")
# A Kubernetes Service holds none of them, but it says which launches a request to its name reaches.
_SERVICE_RE = re.compile(r"^kind:[ \t]*[\"']?Service[\"']?[ \t]*(?:#.*)?$", re.MULTILINE)


def may_matter(text: str) -> bool:
    """Can this text hold a fact? (the cheap rejection: no false negatives, see `RELEVANT_WORDS` and the
    Services of `_SERVICE_RE`; other servers' programs count too: `launch_words`)"""
    low = text.lower()
    return (any(word in low for word in RELEVANT_WORDS) or any(word in low for word in launch_words())
            or ("service" in low and _SERVICE_RE.search(text) is not None))


_DOC_MARKER_RE = re.compile(r"^(?:---|\.\.\.)(?=[ \t]|$)", re.MULTILINE)
_PREAMBLE_RE = re.compile(r"(?:[ \t]*(?:[%#][^\n]*)?(?:\n|\Z))*\Z")


def _documents(text: str) -> Iterator[tuple[int, int, str]]:
    """Split at document markers so one broken document does not hide the others.

    A `---` at column 0 always ends a document (block scalars must be indented), so the split is exact.
    A chunk of only directives and comments (`%YAML 1.2`) stays with the document it introduces.
    Yields (0-based line offset, character offset, chunk text).
    """
    starts = [0] + [m.start() for m in _DOC_MARKER_RE.finditer(text) if m.start() > 0]
    line = 0
    pending_line, pending_start, pending = 0, 0, ""
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        chunk = text[start:end]
        if not pending:
            pending_line, pending_start = line, start
        pending += chunk
        line += chunk.count("\n")
        if end < len(text) and _PREAMBLE_RE.fullmatch(pending):
            continue
        yield pending_line, pending_start, pending
        pending = ""


def _config_map(root: MappingNode, doc: YamlDoc) -> None:
    """A ConfigMap's `config.yaml: |` (a vLLM --config file, a LiteLLM config) read as its own YAML,
    with lines and columns mapped into the manifest. Only literal blocks: their lines are exact."""
    for key, _key_node, value in mapping_items(get(root, "data")):
        if not (key.endswith((".yaml", ".yml")) and isinstance(value, ScalarNode) and value.style == "|"
                and may_matter(value.value)):
            continue
        inner = YamlDoc(doc.path, value.value.splitlines(), doc.line_offset + value.start_mark.line + 1,
                        doc.facts, column_offset=doc.column_offset + doc.block_indent(value), config_name=key,
                        config_maps=doc.config_maps)
        try:
            for embedded in yaml.compose_all(value.value, Loader=_LOADER):
                if embedded is not None:
                    check_expanded_size(embedded)
                    document(embedded, inner, nested=True)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = inner.line_offset + mark.line + 1 if mark is not None else inner.line_offset
            doc.facts.errors.append(ParseError(doc.path, f"YAML in ConfigMap key {key}: {exc.problem}", line))
        except yaml.YAMLError as exc:
            doc.facts.errors.append(ParseError(doc.path, f"YAML in ConfigMap key {key}: {exc}", inner.line_offset))


def document(root: Node, doc: YamlDoc, nested: bool = False) -> None:
    if not isinstance(root, MappingNode):
        if isinstance(root, SequenceNode):  # e.g. an Ansible playbook or a list of manifests
            generic(root, doc, {})
        return
    kind = text_of(get(root, "kind")) or ""
    api = text_of(get(root, "apiVersion")) or ""
    if kind == "Service" and api == "v1":
        service_route(root, doc)
        return
    before = len(doc.facts.serves)
    _dialects(root, doc, kind, api, nested)
    if api:  # a Kubernetes object: its launches get its pods' labels
        doc.facts.serves[before:] = label_launches(root, doc, doc.facts.serves[before:], kind)


def _dialects(root: MappingNode, doc: YamlDoc, kind: str, api: str, nested: bool) -> None:
    """Hand a document to every dialect it is written in."""
    if kind == "ConfigMap" and not nested:
        _config_map(root, doc)
    if kind == "InferenceService":
        kserve(root, doc)
    elif kind == "Model" and api.startswith("kubeai"):
        kubeai(root, doc)
    services = get(root, "services")
    if isinstance(services, MappingNode) and not api:
        for sname, _k, service in mapping_items(services):
            if isinstance(service, MappingNode) and (
                    get(service, "image") is not None or get(service, "build") is not None):
                compose_service(sname, service, doc)
    jobs = workflow_jobs(root)
    if jobs:
        workflow(root, doc, jobs)
    engine = get(root, "servingEngineSpec")
    if engine is not None:
        production_stack(engine, doc)
    model_list = get(root, "model_list")
    if model_list is not None:
        litellm(model_list, doc)
    elif not api and not jobs and is_vllm_config(root):
        vllm_config(root, doc)
    generic(root, doc, doc_env(root, doc) if not api and not jobs else {})


@bounded
def extract_yaml(text: str, path: str) -> FileFacts:
    """Facts from one YAML file. Never raises: what cannot be read goes to `FileFacts.errors`.

    Two passes: every document is composed first, so a ConfigMap can resolve `valueFrom`/`envFrom`
    in a Deployment that comes before it; then each document is read. A templated document whose masked
    text does not load is read per choice of branches (`branches`), and what its readings say is merged.
    """
    facts = FileFacts(path=path, kind="yaml")
    if not may_matter(text):
        return facts
    config_maps: dict[str, dict[str, Value]] = {}
    composed: list[list[tuple[YamlDoc, Node]]] = []
    for offset, _start, chunk in _documents(text):
        if not chunk.strip() or not (may_matter(chunk) or "configmap" in chunk.lower()):
            continue  # the file-level argument holds per document (a Service, a Secret …)
        with _reported(facts, path, offset):
            readings = _readings(chunk)
            group = []
            for reading in readings:
                doc = YamlDoc(path, reading.masked.splitlines(), offset,
                              facts if len(readings) == 1 else FileFacts(path, "yaml"),
                              config_maps=config_maps, original=chunk)
                for root in reading.roots:
                    collect_config_map(root, doc)
                    group.append((doc, root))
            composed.append(group)
    for group in composed:
        for doc, root in group:
            with _reported(doc.facts, path, doc.line_offset):
                document(root, doc)
        merge_readings(facts, [doc.facts for doc, _root in group if doc.facts is not facts])
    return facts


def _compose(masked: str) -> list[Node]:
    roots = [root for root in yaml.compose_all(masked, Loader=_LOADER) if root is not None]
    for root in roots:
        check_expanded_size(root)
    return roots


@dataclass(frozen=True)
class Reading:
    """One way a document loads: its masked text, its composed documents, and which choice of branches."""

    masked: str
    roots: list[Node]
    label: str = "as written"


def _readings(chunk: str) -> list[Reading]:
    """The readings of a document: as masked, or, when that does not load, per choice of branches (the masked
    document's error when none loads)."""
    masked = mask_templates(chunk)
    try:
        return [Reading(masked, _compose(masked))]
    except yaml.YAMLError:
        readings = _branch_readings(chunk)
        if not readings:
            raise
        return readings


def _branch_readings(chunk: str) -> list[Reading]:
    """Every branch kept with the definitions apart; else the first and the last branches; else the first
    choice that loads. The definitions' bodies are read as fragments of their own, when they load."""
    readings: list[Reading] = []
    for choice in branches.choices(chunk):
        switched = choice.label.endswith("switched")
        if readings and (switched or readings[0].label == "definitions apart"):
            break
        if (reading := _reading(chunk, choice)) is not None:
            readings.append(reading)
            if switched:
                break
    if readings:
        fragments = itertools.islice(branches.fragments(chunk), branches.MAX_CHOICES)
        readings += [r for fragment in fragments if (r := _reading(chunk, fragment)) is not None]
    return readings


def _reading(chunk: str, choice: branches.Choice) -> Reading | None:
    masked = mask_templates(branches.emptied(chunk, choice.empty))
    try:
        return Reading(masked, _compose(masked), choice.label)
    except yaml.YAMLError:
        return None


def merge_readings(facts: FileFacts, readings: list[FileFacts]) -> None:
    """What several readings of one document say, each fact once (the lines they share say the same)."""
    for name in ("serves", "requests", "env", "errors", "routes"):
        merged: list[object] = getattr(facts, name)
        seen: set[object] = set()
        for reading in readings:
            for fact in getattr(reading, name):
                if fact not in seen:
                    seen.add(fact)
                    merged.append(fact)


@contextmanager
def _reported(facts: FileFacts, path: str, offset: int) -> Iterator[None]:
    """Turn what stops one document (bad YAML, a bomb, deep nesting) into an error entry."""
    try:
        yield
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = offset + mark.line + 1 if mark is not None else offset + 1
        reason = " ".join(str(p) for p in (exc.context, exc.problem) if p) or "invalid YAML"
        facts.errors.append(ParseError(path, f"YAML: {reason}", line))
    except yaml.YAMLError as exc:
        facts.errors.append(ParseError(path, f"YAML: {exc}", offset + 1))
    except DocumentTooLarge:
        facts.errors.append(ParseError(path, f"YAML document too large to analyse (over {MAX_NODES} nodes)",
                                       offset + 1))
    except RecursionError:
        facts.errors.append(ParseError(path, "YAML nesting too deep to analyse", offset + 1))
    except Exception as exc:  # noqa: BLE001 - one odd document must not stop the scan; say so instead
        facts.errors.append(ParseError(path, f"vlint could not read this YAML document: "
                                             f"{type(exc).__name__}: {exc}", offset + 1))
