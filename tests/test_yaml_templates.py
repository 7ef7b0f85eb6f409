"""Templated YAML (GitHub/GitLab expressions, Helm/Go templates, Jinja) is read whenever it is valid once
rendered: masking keeps block structure, lines stay true, and Helm documents whose structure depends on
their `{{- if }}` blocks are read per branch (issue 18). The shapes are modelled on public charts and
workflows (KServe's e2e workflows and LLMInferenceService configs, lm-evaluation-harness task files, an
Airflow chart's `define` blocks); the property tests generate documents and insert templates.
"""

from __future__ import annotations

import re
import textwrap

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vlint.extract.yaml import extract_yaml
from vlint.extract.yaml.branches import choices
from vlint.extract.yaml.masking import PLACEHOLDER, is_templated, mask_templates
from vlint.facts import FileFacts

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _loads(text: str) -> bool:
    try:
        for _ in yaml.compose_all(text, Loader=_LOADER):
            pass
    except yaml.YAMLError:
        return False
    return True


def _doc(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def _extract(text: str, path: str = "deploy/x.yaml") -> FileFacts:
    return extract_yaml(_doc(text), path)


def _line_of(text: str, needle: str) -> int:
    hits = [i for i, line in enumerate(_doc(text).splitlines(), start=1) if needle in line]
    assert len(hits) == 1, needle
    return hits[0]


def _serves(facts: FileFacts) -> list[tuple[object, int]]:
    return sorted((s.model.literal if s.model else None, s.location.line) for s in facts.serves)


# --- block scalars -------------------------------------------------------------------------------------------

GITHUB_RUN_FIRST_LINE = """
    name: e2e
    on: [push]
    jobs:
      test:
        runs-on: ubuntu-latest
        strategy:
          matrix:
            install-method: [helm, kustomize]
        steps:
          - name: Start the server
            run: |
              ${{ matrix.install-method == 'helm' && 'export INSTALL_METHOD="helm"' || '' }}
              vllm serve facebook/opt-125m --port 8000 &
              ./test/scripts/wait-for-server.sh
    """


def test_github_expression_as_the_first_line_of_a_run_block_keeps_the_block() -> None:
    """The expression line is wider than the block's indentation; blanked to spaces it made the block deeper
    than its next line and the whole workflow was lost."""
    facts = _extract(GITHUB_RUN_FIRST_LINE, ".github/workflows/e2e.yaml")
    assert not facts.errors
    assert _serves(facts) == [("facebook/opt-125m", _line_of(GITHUB_RUN_FIRST_LINE, "vllm serve"))]


def test_jinja_lines_in_a_block_scalar_keep_its_indentation() -> None:
    text = _doc("""
        task: piqa_bn
        output_type: multiple_choice
        doc_to_text: |-
          {{goal.strip()}}
          A. {{sol1.strip()}}
          Answer:
        doc_to_choice: ["A", "B"]
        """)
    masked = mask_templates(text)
    assert _loads(masked)
    value = yaml.safe_load(masked)["doc_to_text"]
    assert value.splitlines()[0] == PLACEHOLDER * len("{{goal.strip()}}")
    assert value.splitlines()[2] == "Answer:"


def test_helm_directive_at_column_0_inside_a_block_scalar_keeps_the_script() -> None:
    """`{{- if }}` at column 0 inside `- |` (Helm's `{{-` trims it away when rendered): an empty line in the
    masked block, and the launch after it is still read, at its own line."""
    text = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{ .Release.Name }}
        spec:
          template:
            spec:
              containers:
                - name: vllm
                  image: vllm/vllm-openai:v0.9.0
                  command: ["/bin/sh", "-c"]
                  args:
                    - |
        {{- if .Values.download }}
                      huggingface-cli download {{ .Values.model }}
        {{- end }}
                      vllm serve Qwen/Qwen2.5-7B --port 8000
        """
    facts = _extract(text)
    assert not facts.errors
    assert _serves(facts) == [("Qwen/Qwen2.5-7B", _line_of(text, "vllm serve"))]


def test_an_expression_line_deeper_than_the_block_content_comes_first_at_the_content_indentation() -> None:
    text = _doc("""
        script: |
              {{ .Values.preamble }}
          vllm serve Qwen/Qwen2.5-7B
        other: 1
        """)
    masked = mask_templates(text)
    assert _loads(masked)
    assert yaml.safe_load(masked)["script"].splitlines()[1] == "vllm serve Qwen/Qwen2.5-7B"
    assert masked.splitlines()[1] == "  " + PLACEHOLDER * len("{{ .Values.preamble }}")


def test_a_block_of_only_template_lines_stays_a_block() -> None:
    text = _doc("""
        data:
          config.yaml: |
            {{- toYaml .Values.config | nindent 4 }}
          other.yaml: |
        {{ .Values.other | indent 4 }}
        kind: ConfigMap
        """)
    masked = mask_templates(text)
    assert _loads(masked)
    data = yaml.safe_load(masked)["data"]
    assert is_templated(data["config.yaml"]) and is_templated(data["other.yaml"])


def test_toyaml_lines_outside_blocks_are_blank() -> None:
    text = _doc("""
        metadata:
          labels:
            app: vllm
            {{- include "chart.labels" . | nindent 4 }}
          {{- with .Values.annotations }}
          annotations:
            {{- toYaml . | nindent 4 }}
          {{- end }}
        """)
    masked = mask_templates(text)
    assert _loads(masked)
    assert yaml.safe_load(masked)["metadata"] == {"labels": {"app": "vllm"}, "annotations": None}
    assert masked.count("\n") == text.count("\n")


# --- expressions across lines --------------------------------------------------------------------------------

def test_an_expression_broken_across_lines_keeps_the_indentation_of_its_continuation() -> None:
    """A long `{{ … }}` wrapped by a YAML dumper (KServe's LLMInferenceServiceConfig routes): the continuation
    is deeper than the key, so the plain scalar goes on and the next keys keep their lines and columns."""
    text = _doc("""
        matches:
        - path:
            type: PathPrefix
            value: /publishers/{{ .ObjectMeta.Namespace }}/models/{{ .Spec.Model.Name
              }}/v1/completions
          name: v1-completions-publisher-path
        """)
    masked = mask_templates(text)
    assert _loads(masked)
    lines = masked.splitlines()
    assert lines[4] == "      " + PLACEHOLDER * 2 + "/v1/completions"
    assert lines[5] == text.splitlines()[5]
    assert is_templated(yaml.safe_load(masked)["matches"][0]["path"]["value"])


def test_an_expression_continued_at_a_shallower_line_is_joined_and_the_line_count_kept() -> None:
    text = _doc("""
        env:
          - name: MODEL
            value: {{ include "chart.model" (dict "model" .Values.model
        "default" "facebook/opt-125m") }}
          - name: PORT
            value: "8000"
        """)
    masked = mask_templates(text)
    assert _loads(masked)
    assert masked.count("\n") == text.count("\n")
    assert masked.splitlines()[3] == ""
    env = yaml.safe_load(masked)["env"]
    assert is_templated(env[0]["value"]) and env[1] == {"name": "PORT", "value": "8000"}


def test_an_expression_that_is_a_key_across_lines_is_joined() -> None:
    text = _doc("""
        labels:
          {{ include "chart.labelKey"
            . }}: vllm
          tier: serving
        """)
    masked = mask_templates(text)
    assert _loads(masked)
    assert yaml.safe_load(masked)["labels"]["tier"] == "serving"


# --- per branch ----------------------------------------------------------------------------------------------

ALTERNATIVE_CONTAINERS = """
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: {{ .Release.Name }}-vllm
    spec:
      template:
        spec:
          containers:
            {{- if .Values.shell }}
            - name: vllm
              image: vllm/vllm-openai:v0.9.0
              command: ["/bin/sh", "-c"]
              args:
                - vllm serve Qwen/Qwen2.5-7B --port 8000
            {{- else }}
          - name: vllm
            image: vllm/vllm-openai:v0.9.0
            args: ["--model", "Qwen/Qwen2.5-7B-Instruct", "--port", "8000"]
            {{- end }}
    """


def test_alternative_branches_that_do_not_fit_together_are_each_read() -> None:
    """The two branches list the container at different indentations: with both kept the document does not
    load; each rendering does, so each branch is read and both launches are found at their own lines."""
    assert not _loads(mask_templates(_doc(ALTERNATIVE_CONTAINERS)))
    facts = _extract(ALTERNATIVE_CONTAINERS)
    assert not facts.errors
    assert _serves(facts) == [("Qwen/Qwen2.5-7B", _line_of(ALTERNATIVE_CONTAINERS, "vllm serve")),
                              ("Qwen/Qwen2.5-7B-Instruct", _line_of(ALTERNATIVE_CONTAINERS, '"--model"'))]


IF_AT_ANOTHER_INDENTATION = """
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: {{ include "chart.fullname" . }}
    spec:
      template:
        spec:
          containers:
            - name: vllm
              image: vllm/vllm-openai:latest
              command:
              {{- if .Values.shell }}
                - /bin/sh
                - -c
                - vllm serve meta-llama/Llama-3.1-8B --port 8000
              {{- else }}
              - vllm
              - serve
              - meta-llama/Llama-3.1-8B
              {{- end }}
    """


def test_an_if_whose_branches_sit_at_other_indentations_is_read_per_branch() -> None:
    """The `if` branch indents the list under `command:`, the `else` branch does not (both are valid YAML):
    with both kept the list breaks off, so each branch is read, and each gives its launch."""
    assert not _loads(mask_templates(_doc(IF_AT_ANOTHER_INDENTATION)))
    facts = _extract(IF_AT_ANOTHER_INDENTATION)
    assert not facts.errors
    assert _serves(facts) == [("meta-llama/Llama-3.1-8B", _line_of(IF_AT_ANOTHER_INDENTATION, "- vllm serve")),
                              ("meta-llama/Llama-3.1-8B", _line_of(IF_AT_ANOTHER_INDENTATION, "- serve") - 1)]


DEFINE_THEN_DOCUMENT = """
    {{- define "chart.certVolumes" }}
    {{- if .Values.tls.existingSecret }}
    - secret:
        name: {{ .Values.tls.existingSecret }}
    {{- end }}
    {{- end }}

    {{- if .Values.enabled }}
    apiVersion: apps/v1
    kind: Deployment
    spec:
      template:
        spec:
          containers:
            - name: vllm
              image: vllm/vllm-openai:latest
              args: ["--model", "mistralai/Mistral-7B-v0.1"]
    {{- end }}
    """


def test_a_define_block_is_read_apart_from_the_document_around_it() -> None:
    """A `define` prints nothing where it stands: its body (a list) and the Deployment (a mapping) are two
    pieces, each read on its own."""
    assert not _loads(mask_templates(_doc(DEFINE_THEN_DOCUMENT)))
    labels = [c.label for c in choices(_doc(DEFINE_THEN_DOCUMENT))]
    assert labels[0] == "definitions apart"
    facts = _extract(DEFINE_THEN_DOCUMENT)
    assert not facts.errors
    assert _serves(facts) == [("mistralai/Mistral-7B-v0.1", _line_of(DEFINE_THEN_DOCUMENT, '"--model"'))]


def test_a_document_that_no_choice_of_branches_makes_valid_stays_an_error_at_its_line() -> None:
    text = """
        model: facebook/opt-125m
        {{- if .Values.x }}
        port: 8000
        {{- end }}
        args: [unclosed
        """
    facts = _extract(text)
    (error,) = facts.errors
    assert error.line is not None and error.line >= _line_of(text, "[unclosed")


def test_unbalanced_directives_give_no_choices() -> None:
    assert list(choices("{{- if .a }}\nx: 1\n")) == []
    assert list(choices("x: 1\n{{- end }}\n")) == []


def test_valid_documents_are_read_once() -> None:
    """Branch reading is only for documents that do not load: a loadable one is read as masked, once."""
    text = """
        {{- if .Values.a }}
        command: ["vllm", "serve", "facebook/opt-125m"]
        {{- else }}
        command: ["vllm", "serve", "facebook/opt-350m"]
        {{- end }}
        """
    assert _serves(_extract(text)) == [("facebook/opt-125m", 2), ("facebook/opt-350m", 4)]


# --- properties ----------------------------------------------------------------------------------------------

_WORDS = st.sampled_from(["a", "model", "vllm", "x1", "port", "serve", "name", "args"])
_SCALARS = st.sampled_from(["1", "true", "text here", "'quoted: yes'", '"dq"', "facebook/opt-125m", "--port"])
_INLINE = st.sampled_from(["{{ .Values.x }}", "${{ matrix.m }}", "{{ include \"c\" . | quote }}",
                           "{% if a %}b{% endif %}", "$[[ inputs.stage ]]"])
_LINE_ONLY = st.sampled_from(["{{- if .Values.x }}", "{{- end }}", "{{ toYaml .Values.y | nindent 4 }}",
                              "${{ matrix.setup }}", "{% for m in models %}", "{# note #}",
                              "{{- $v := .Values.v }}", "{{- include \"labels\" . | nindent 6 }}"])


@st.composite
def _documents(draw: st.DrawFn, indent: int = 0, depth: int = 0) -> list[str]:
    """A block mapping at `indent`: scalars, block scalars, sequences and nested mappings."""
    lines: list[str] = []
    pad = " " * indent
    for key in draw(st.lists(_WORDS, min_size=1, max_size=4, unique=True)):
        kind = draw(st.sampled_from(["scalar", "block", "seq", "map"] if depth < 2 else ["scalar", "block"]))
        if kind == "scalar":
            lines.append(f"{pad}{key}: {draw(_SCALARS)}")
        elif kind == "block":
            lines.append(f"{pad}{key}: {draw(st.sampled_from(['|', '|-', '>', '|+']))}")
            step = draw(st.integers(1, 4))
            for extra in draw(st.lists(st.integers(0, 2), min_size=1, max_size=4)):
                lines.append(" " * (indent + step + extra) + draw(st.sampled_from(["echo hi", "vllm serve m \\",
                                                                                   "--port 8000", "x: y"])))
        elif kind == "seq":
            lines.append(f"{pad}{key}:")
            inner = indent + draw(st.sampled_from([0, 2]))
            lines += [f"{' ' * inner}- {draw(_SCALARS)}" for _ in range(draw(st.integers(1, 3)))]
        else:
            lines.append(f"{pad}{key}:")
            lines += draw(_documents(indent + 2, depth + 1))
    return lines


@st.composite
def _templated(draw: st.DrawFn) -> tuple[str, str]:
    """(a document with templates inserted, the same with every template replaced by the scalar `x`)."""
    lines = draw(_documents())
    with_templates, with_scalars = [], []
    for line in lines:
        if draw(st.integers(0, 4)) == 0:  # a line of its own, at some indentation
            template = " " * draw(st.integers(0, 10)) + draw(_LINE_ONLY)
            with_templates.append(template)
            with_scalars.append(re.sub(r"\S.*", "x", template))
        if line.rstrip().endswith((": 1", ": text here", "--port", "echo hi")) and draw(st.booleans()):
            template = draw(_INLINE)
            if draw(st.integers(0, 3)) == 0:  # broken across lines, continued at some indentation
                template = template.replace(" ", "\n" + " " * draw(st.integers(0, 12)), 1)
            word = line.rstrip().rsplit(" ", 1)[1]
            with_templates.append(line.rstrip()[: -len(word)] + template)
            with_scalars.append(line.rstrip()[: -len(word)] + "x")
            continue
        with_templates.append(line)
        with_scalars.append(line)
    return "\n".join(with_templates) + "\n", "\n".join(with_scalars) + "\n"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_templated())
def test_masked_text_loads_whenever_the_document_with_scalars_for_templates_loads(case: tuple[str, str]) -> None:
    templated, with_scalars = case
    masked = mask_templates(templated)
    assert masked.count("\n") == templated.count("\n")
    if _loads(with_scalars):
        assert _loads(masked), masked


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_templated())
def test_masking_never_turns_valid_yaml_into_invalid_yaml(case: tuple[str, str]) -> None:
    templated, _ = case
    if _loads(templated):
        assert _loads(mask_templates(templated)), templated


@pytest.mark.parametrize("text", [
    "a: 1\n", "key: |\n  echo {{ x }}\n", "a: {{ b }}\n  c: 1\n", "{{ if }}\n{{ end }}\n", "${{\n}}\n" * 3,
])
def test_masking_keeps_the_line_count(text: str) -> None:
    assert mask_templates(text).count("\n") == text.count("\n")
