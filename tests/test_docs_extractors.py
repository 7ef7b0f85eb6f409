"""Code inside documentation (issue 9): Markdown/MDX/rST code blocks, notebooks, command notes in `.txt`.

Every behaviour is asserted end to end through `vlint.api.scan` on fixtures in `tests/fixtures/docs/`,
at the line of the host file; expected lines are found by searching the fixture for a needle, so the
assertions say which line is meant.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import rule_lines, scan_dir
from vlint.extract import get_extractor
from vlint.extract.embed import RELEVANT_WORDS, Snippet, extract_snippet, remap_facts
from vlint.extract.markdown import extract_markdown, extract_rst
from vlint.extract.notebook import extract_notebook
from vlint.extract.positions import PositionMap
from vlint.extract.text import extract_text

FIXTURES = Path(__file__).parent / "fixtures" / "docs"


def scan_fixture(name: str, **config):
    return scan_dir((FIXTURES / name).resolve(), **config)


def line_of(relpath: str, needle: str, nth: int = 0) -> int:
    """The 1-based line of the `nth` line containing `needle` in a fixture file."""
    lines = (FIXTURES / relpath).read_text(encoding="utf-8").split("\n")
    hits = [i + 1 for i, line in enumerate(lines) if needle in line]
    assert len(hits) > nth, f"{needle!r} not in {relpath}"
    return hits[nth]


def test_registry_resolves_the_docs_extractors() -> None:
    assert get_extractor("markdown") is extract_markdown
    assert get_extractor("rst") is extract_rst
    assert get_extractor("notebook") is extract_notebook
    assert get_extractor("text") is extract_text


# --- Markdown ------------------------------------------------------------------------------------------


def test_instruct_model_in_a_readme_is_clean() -> None:
    result = scan_fixture("readme_instruct")
    assert result.findings == [] and result.errors == []


def test_base_model_chat_in_a_readme_curl_points_at_the_markdown_line() -> None:
    result = scan_fixture("readme_base")
    assert rule_lines(result) == [("VL001", "README.md", line_of("readme_base/README.md", "curl http"))]
    (finding,) = result.findings
    assert finding.context == "docs" and finding.severity == "warning"
    assert finding.model == "Qwen/Qwen2.5-7B"


def test_console_block_reads_prompted_commands_and_skips_output() -> None:
    result = scan_fixture("console")
    # Only the `$ curl` chat call: the unprompted curl is output, the shell-session one is a completion at 0.8.
    assert rule_lines(result) == [("VL001", "README.md", line_of("console/README.md", "$ curl"))]
    assert result.findings[0].column == 3  # after the `$ ` prompt
    assert all(f.model != "Qwen/Qwen2.5-14B" for f in result.findings)


def test_every_fence_form_is_read_and_unsupported_or_commented_blocks_are_not() -> None:
    result = scan_fixture("forms")
    readme = "forms/README.md"
    expected = sorted(
        ("VL001", "README.md", line_of(readme, needle))
        for needle in (
            "# tilde",
            "# in a list",
            "# pandoc",
            "# attributes",
            "# blockquote",
            ">>> client.chat",
            "# untagged curl",
            "# untagged python",
            '  "model": "Qwen/Qwen2.5-7B",',
        )
    )
    assert rule_lines(result) == expected
    columns = {f.line: f.column for f in result.findings}
    assert columns[line_of(readme, "# in a list")] == 4  # list indentation kept in the column
    assert columns[line_of(readme, "# blockquote")] == 3  # after `> `
    assert columns[line_of(readme, ">>> client.chat")] == 5  # after the `>>> ` prompt
    assert result.errors == []


def test_mdx_fence_inside_jsx_is_read() -> None:
    result = scan_fixture("mdx")
    assert rule_lines(result) == [("VL001", "page.mdx", line_of("mdx/page.mdx", "client.chat"))]


def test_crlf_markdown_keeps_line_numbers(project) -> None:
    root = project({})
    text = '# t\r\n\r\n```bash\r\ncurl http://h:8000/v1/chat/completions -d \'{"model": "Qwen/Qwen2.5-7B", "messages": []}\'\r\n```\r\n'
    (root / "README.md").write_bytes(text.encode())
    assert rule_lines(scan_dir(root)) == [("VL001", "README.md", 4)]


def test_an_unclosed_fence_runs_to_the_end_and_python_that_does_not_parse_is_no_error(project) -> None:
    root = project(
        {
            "README.md": """\
            ```python
            client.chat.completions.create(model="Qwen/Qwen2.5-7B", messages=[...]
            ```

            ```bash
            curl http://h:8000/v1/chat/completions -d '{"model": "Qwen/Qwen2.5-7B", "messages": []}'
        """,
        }
    )
    result = scan_dir(root)
    assert rule_lines(result) == [("VL001", "README.md", 6)]
    assert result.errors == []  # pseudo-code in docs is normal, not a defect of the page


def test_a_placeholder_line_does_not_hide_the_call_below_it() -> None:
    text = (
        "```python\n"
        "from openai import OpenAI\n"
        "client = OpenAI(\n"
        "    api_key=<YOUR_API_KEY>,\n"
        '    base_url="http://localhost:8000/v1",\n'
        ")\n"
        "$ pip install openai\n"
        'reply = await client.chat.completions.create(model="Qwen/Qwen2.5-7B", messages=[])\n'
        "```\n"
    )
    facts = extract_markdown(text, "README.md")
    assert [(r.location.line, r.api) for r in facts.requests] == [(8, "chat")]
    assert facts.errors == []


def test_python_blocks_of_a_page_run_in_order_like_a_reader_runs_them(project) -> None:
    root = project(
        {
            "docs/guide.md": """\
                Pick the model:

                ```python
                MODEL_NAME = "Qwen/Qwen2.5-7B"
                ```

                Then call it:

                ```python
                from openai import OpenAI
                client = OpenAI(base_url="http://localhost:8000/v1")
                client.chat.completions.create(model=MODEL_NAME, messages=[])
                ```

                ```python
                this block is not Python (
                ```
            """,
        }
    )
    result = scan_dir(root)
    assert rule_lines(result) == [("VL001", "docs/guide.md", 12)]
    assert any("docs/guide.md:4" in str(e) for e in result.findings[0].evidence)  # where the name was set
    assert result.errors == []


def test_myst_code_fences_and_http_request_blocks() -> None:
    text = (
        "```{code-block} python\n"
        'client.chat.completions.create(model="Qwen/Qwen2.5-7B", messages=[])\n'
        "```\n"
        "\n"
        "```http\n"
        "POST http://localhost:8000/v1/chat/completions\n"
        "Content-Type: application/json\n"
        "\n"
        '{"model": "Qwen/Qwen2.5-7B", "messages": [{"role": "user", "content": "hi"}]}\n'
        "```\n"
        "\n"
        "```{code-block} javascript\n"
        'client.chat.completions.create({model: "Qwen/Qwen2.5-7B", messages: []})\n'
        "```\n"
    )
    facts = extract_markdown(text, "docs/page.md")
    assert sorted((r.location.line, r.api) for r in facts.requests) == [(2, "chat"), (9, "chat")]


def test_yaml_fence_is_read_with_lines_in_the_readme(project) -> None:
    root = project(
        {
            "README.md": """\
            Deploy it:

            ```yaml
            services:
              llm:
                image: vllm/vllm-openai:latest
                command: ["--model", "Qwen/Qwen2.5-7B", "--served-model-name", "assistant"]
            ```

            ```python
            client.chat.completions.create(model="assistant", messages=[])
            ```
        """,
        }
    )
    result = scan_dir(root)
    assert ("VL001", "README.md", 11) in rule_lines(result)


def test_dockerfile_fence_yields_a_launch_at_the_readme_line() -> None:
    pytest.importorskip("vlint.extract.dockerfile")
    text = '# Image\n\n```dockerfile\nFROM vllm/vllm-openai:latest\nCMD ["--model", "Qwen/Qwen2.5-7B"]\n```\n'
    facts = extract_markdown(text, "README.md")
    assert [s.model.literal for s in facts.serves if s.model] == ["Qwen/Qwen2.5-7B"]
    assert all(
        s.context == "docs" and s.location.path == "README.md" and s.location.line in (4, 5)
        for s in facts.serves
    )


def test_prose_that_names_a_base_model_yields_nothing() -> None:
    text = (
        "We chat with Qwen/Qwen2.5-7B through `/v1/chat/completions` and it echoes.\n"
        "vllm serve Qwen/Qwen2.5-7B is how we ran it; curl http://h/v1/chat/completions failed.\n"
    )
    for extractor in (extract_markdown, extract_rst):
        facts = extractor(text, "doc")
        assert facts.requests == [] and facts.serves == [] and facts.errors == []


# --- reStructuredText -----------------------------------------------------------------------------------


def test_rst_directives_and_literal_blocks() -> None:
    result = scan_fixture("rst")
    rst = "rst/guide.rst"
    in_note = line_of(rst, "curl http://localhost:8000/v1/chat/completions -d")
    literal = line_of(rst, "curl http://localhost:8000/v1/chat/completions \\")
    directive = line_of(rst, "client.chat.completions.create")
    expected = sorted(("VL001", "guide.rst", line) for line in (directive, in_note, literal))
    # The prose literal block, the `text` block of prose and the completion at 0.9 yield nothing.
    assert rule_lines(result) == expected


def test_rst_sourcecode_prompt_ipython_and_console_directives() -> None:
    text = (
        "Title\n"
        "=====\n"
        "\n"
        ".. sourcecode:: python\n"
        "\n"
        '   client.chat.completions.create(model="Qwen/Qwen2.5-7B", messages=[])\n'
        "\n"
        ".. prompt:: bash $\n"
        "\n"
        '   curl http://h/v1/chat/completions -d \'{"model": "Qwen/Qwen2.5-7B", "messages": []}\'\n'
        "\n"
        ".. ipython::\n"
        "\n"
        "   In [1]: from openai import OpenAI\n"
        "\n"
        '   In [2]: OpenAI().chat.completions.create(model="Qwen/Qwen2.5-7B",\n'
        "      ...:     messages=[])\n"
        "   Out[2]: ChatCompletion(...)\n"
        "\n"
        ".. code-block:: console\n"
        "\n"
        '   $ curl http://h/v1/chat/completions -d \'{"model": "Qwen/Qwen2.5-7B", "messages": []}\'\n'
        '   {"choices": [], "model": "Qwen/Qwen2.5-7B", "note": "output: curl /v1/chat/completions"}\n'
    )
    facts = extract_rst(text, "guide.rst")
    found = sorted((r.location.line, r.location.column, r.api) for r in facts.requests)
    assert found == [(6, 4, "chat"), (10, 4, "chat"), (16, 12, "chat"), (22, 6, "chat")]
    assert facts.errors == []


# --- Notebooks ------------------------------------------------------------------------------------------


def test_base_model_with_completions_at_sampling_temperature_in_a_notebook_is_clean() -> None:
    result = scan_fixture("nb_completion")
    assert result.findings == [] and result.errors == []


def test_chat_in_a_notebook_points_at_the_json_line_of_the_source() -> None:
    result = scan_fixture("nb_chat")
    nb = "nb_chat/demo.ipynb"
    vl001 = sorted(f.line for f in result.findings if f.rule == "VL001")
    assert vl001 == sorted(
        [
            line_of(nb, "resp = client.chat.completions.create("),  # MODEL comes from the cell before
            line_of(nb, "!curl"),  # an IPython shell line
            line_of(nb, "%%bash"),  # a %%bash cell given as one string
        ]
    )
    chat = next(f for f in result.findings if f.line == line_of(nb, "resp = client"))
    assert chat.model == "Qwen/Qwen2.5-7B" and chat.context == "code" and chat.severity == "error"
    assert any(f"demo.ipynb:{line_of(nb, 'MODEL = ')}" in str(e) for e in chat.evidence)
    # The saved output names Llama in a chat call: outputs are never read.
    assert line_of(nb, "meta-llama/Llama-3.1-8B") not in vl001
    assert result.errors == []


def test_notebook_findings_are_valid_regions_of_the_json_file() -> None:
    result = scan_fixture("nb_chat")
    lines = (FIXTURES / "nb_chat/demo.ipynb").read_text(encoding="utf-8").split("\n")
    assert result.findings
    for finding in result.findings:
        assert 1 <= finding.line <= len(lines)
        assert 1 <= finding.column <= len(lines[finding.line - 1]) + 1


def test_bad_notebook_json_is_an_error_with_path_and_reason() -> None:
    result = scan_fixture("nb_bad")
    assert result.findings == []
    (error,) = result.errors
    assert error.path == "broken.ipynb" and "not valid JSON" in error.reason and error.line == 4


def _notebook(*sources: object) -> str:
    cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "source": s} for s in sources]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)


def test_a_cell_that_does_not_parse_does_not_hide_the_others(project) -> None:
    root = project({})
    (root / "nb.ipynb").write_text(
        _notebook(
            ["from openai import OpenAI\n", "client = OpenAI()\n", "def broken(:\n", "    pass\n"],
            [
                "from openai import OpenAI\n",
                'OpenAI().chat.completions.create(model="Qwen/Qwen2.5-7B", messages=[])\n',
            ],
        )
    )
    result = scan_dir(root)
    text = (root / "nb.ipynb").read_text().split("\n")
    chat_line = next(i + 1 for i, line in enumerate(text) if "chat.completions" in line)
    assert rule_lines(result) == [("VL001", "nb.ipynb", chat_line)]
    # The syntax error is reported once, inside the broken cell's source lines.
    first_cell = [i + 1 for i, line in enumerate(text) if "broken" in line or "    pass" in line]
    (error,) = result.errors
    assert error.path == "nb.ipynb" and "syntax" in error.reason and error.line in first_cell


def test_writefile_and_assigned_shell_lines_in_a_notebook(project) -> None:
    root = project({})
    (root / "nb.ipynb").write_text(
        _notebook(
            ["%%writefile serve.sh\n", "vllm serve Qwen/Qwen2.5-7B --served-model-name tiny\n"],
            ['out = !curl http://h:8000/v1/chat/completions -d \'{"model": "tiny", "messages": []}\'\n'],
            ["%%html\n", '<p>client.chat.completions.create(model="Qwen/Qwen2.5-7B")</p>\n'],
        )
    )
    result = scan_dir(root)
    text = (root / "nb.ipynb").read_text().split("\n")
    curl_line = next(i + 1 for i, line in enumerate(text) if "!curl" in line)
    assert rule_lines(result) == [("VL001", "nb.ipynb", curl_line)]  # alias linked to the %%writefile launch


def test_markdown_cells_of_a_notebook_are_docs() -> None:
    nb = json.dumps(
        {
            "cells": [
                {
                    "cell_type": "markdown",
                    "metadata": {},
                    "source": [
                        "Run:\n",
                        "```bash\n",
                        'curl http://h/v1/chat/completions -d \'{"model": "Qwen/Qwen2.5-7B"}\'\n',
                        "```",
                    ],
                }
            ],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 5,
        },
        indent=1,
    )
    facts = extract_notebook(nb, "nb.ipynb")
    (request,) = facts.requests
    assert request.context == "docs"
    assert nb.split("\n")[request.location.line - 1].lstrip().startswith('"curl')


# --- Text notes -----------------------------------------------------------------------------------------


def test_a_curl_command_in_a_text_note_counts_and_its_prose_does_not() -> None:
    result = scan_fixture("notes")
    note = "notes/commands.txt"
    curl_line = line_of(note, "curl http://localhost:8000/v1/chat/completions -H")
    assert [(r, p, line) for r, p, line in rule_lines(result) if r == "VL001"] == [
        ("VL001", "commands.txt", curl_line)
    ]
    assert all(f.path == "commands.txt" for f in result.findings)  # prose.txt: nothing
    assert all(f.context == "docs" for f in result.findings)


def test_only_command_lines_of_a_note_reach_the_shell_extractor() -> None:
    facts = extract_text((FIXTURES / "notes/prose.txt").read_text(), "prose.txt")
    assert facts.requests == [] and facts.serves == [] and facts.errors == []
    facts = extract_text((FIXTURES / "notes/commands.txt").read_text(), "commands.txt")
    assert [s.location.line for s in facts.serves] == [line_of("notes/commands.txt", "$ vllm serve")]
    assert facts.env == []


def test_note_command_forms_list_markers_backticks_wrappers_and_logs() -> None:
    text = (
        "1. `vllm serve Qwen/Qwen2.5-7B --served-model-name q`\n"
        '2. CUDA_VISIBLE_DEVICES=0 curl http://h/v1/chat/completions -d \'{"model": "q", "messages": []}\'\n'
        "- python -m vllm.entrypoints.openai.api_server --model Qwen/Qwen2.5-14B\n"
        "vllm==0.6.3\n"
        "INFO 06-01 api_server.py:123 vllm serve started with model Qwen/Qwen2.5-3B\n"
        "docker run --gpus all vllm/vllm-openai:latest --model Qwen/Qwen2.5-1.5B\n"
    )
    facts = extract_text(text, "notes.txt")
    served = [(s.location.line, s.model.literal if s.model else None) for s in facts.serves]
    assert served == [(1, "Qwen/Qwen2.5-7B"), (3, "Qwen/Qwen2.5-14B"), (6, "Qwen/Qwen2.5-1.5B")]
    assert [(r.location.line, r.api) for r in facts.requests] == [(2, "chat")]


def test_a_console_block_of_bare_commands_is_read_as_a_script() -> None:
    text = (
        "```console\n"
        "vllm serve Qwen/Qwen2.5-7B --served-model-name q\n"
        'curl localhost:8000/v1/chat/completions -d \'{"model": "q", "messages": []}\'\n'
        "```\n"
    )
    facts = extract_markdown(text, "README.md")
    assert [(r.location.line, r.api) for r in facts.requests] == [(3, "chat")]
    assert [s.location.line for s in facts.serves] == [2]


# --- Suppressions, severity, linking -------------------------------------------------------------------


def test_suppressions_before_a_fence_and_inside_it() -> None:
    result = scan_fixture("suppressed")
    assert result.findings == []  # and no VL100: every suppression was used
    readme = "suppressed/README.md"
    by_html_comment = line_of(readme, "curl http://localhost:8000/v1/chat/completions \\")
    by_comment_in_fence = line_of(readme, "curl http://localhost:8000/v1/chat/completions -d")
    by_end_of_line_comment = line_of(readme, "client.chat.completions.create")
    assert sorted(f.line for f in result.suppressed) == sorted(
        [by_html_comment, by_comment_in_fence, by_end_of_line_comment]
    )


def test_docs_findings_take_the_configured_docs_severity() -> None:
    assert [f.severity for f in scan_fixture("readme_base").findings] == ["warning"]
    assert [f.severity for f in scan_fixture("readme_base", docs_severity="info").findings] == ["info"]
    # Notebook code is code: its VL001 keeps the rule's severity whatever docs-severity says.
    notebook = scan_fixture("nb_chat", docs_severity="info")
    assert {f.severity for f in notebook.findings if f.rule == "VL001"} == {"error"}


def test_a_readme_alias_resolves_through_a_launch_script() -> None:
    result = scan_fixture("linked")
    assert rule_lines(result) == [
        ("VL001", "README.md", line_of("linked/README.md", "client.chat.completions"))
    ]
    assert result.findings[0].model == "Qwen/Qwen2.5-7B"
    assert any("serve.sh" in str(e) for e in result.findings[0].evidence)
    assert scan_fixture("linked_unserved").findings == []  # the alias alone is not guessed


# --- The helper and the pre-check -----------------------------------------------------------------------


def test_remap_facts_moves_every_location_and_sets_the_context() -> None:
    snippet = 'MODEL = "Qwen/Qwen2.5-7B"\nclient.chat.completions.create(model=MODEL, messages=[], temperature=0.1)\n'
    positions = PositionMap.from_lines([(30, 4), (31, 4)])
    facts = extract_snippet(Snippet("python", snippet, positions), "docs/guide.md", "docs")
    (request,) = facts.requests
    assert (request.location.path, request.location.line, request.location.column) == ("docs/guide.md", 31, 5)
    assert request.model is not None and request.model.location is not None
    assert (request.model.location.line, request.model.location.column) == (30, 13)
    assert "line 30" in request.model.note
    assert request.temperature is not None and request.temperature.location is not None
    assert request.temperature.location.line == 31 and request.context == "docs"

    from vlint.facts import FileFacts, ParseError

    raw = FileFacts("x.py", "python", errors=[ParseError("x.py", "bad", 2)])
    moved = remap_facts(raw, positions, "docs/guide.md", "docs")
    assert moved.errors == [ParseError("docs/guide.md", "bad", 31)]


def test_the_pre_check_words_cover_every_snippet_extractor() -> None:
    """If an extractor learns a new trigger word, the docs pre-check must learn it too."""
    from vlint.extract.cmdline.heads import launch_words
    from vlint.extract.python.catalogue import catalogue
    from vlint.extract.python.prefilter import clauses_by_path
    from vlint.extract.yaml.document import RELEVANT_WORDS as _RELEVANT_WORDS

    def covered(word: str) -> bool:
        return any(w in word.lower() for w in RELEVANT_WORDS)

    def clause_covered(clause: str) -> bool:  # some word of the Python prefilter's clause is covered
        terms = [[alt.strip().replace("\\b", "").removesuffix("(").removesuffix(" as") for alt in term.split("|")]
                 for term in clause.split("&")]
        return any(all(covered(alt) for alt in alternatives) for alternatives in terms)

    paths = clauses_by_path(catalogue())  # launches are covered by the shell extractor's triggers
    python_missing = [c for path in ("calls", "engine", "http") for c in paths[path] if not clause_covered(c)]
    missing = [
        w
        for w in (*launch_words(), *_RELEVANT_WORDS, '"model"')
        if w not in ("env", "variables") and not covered(w)
    ]
    assert missing == [] and python_missing == []


# --- Robustness -----------------------------------------------------------------------------------------

_PIECES = [
    "```",
    "```python\n",
    "```console\n",
    "~~~\n",
    "```bash\n",
    "$ ",
    "> ",
    "   ",
    "\n",
    "\\\n",
    "'",
    '"',
    ".. code-block:: python\n",
    "::\n\n    ",
    "<!--",
    "-->",
    "!curl ",
    "%%bash\n",
    "%env X=1\n",
    ">>> ",
    'curl http://h/v1/chat/completions -d \'{"model": "Qwen/Qwen2.5-7B"',
    "vllm serve Qwen/Qwen2.5-7B ",
    'client.chat.completions.create(model="Qwen/Qwen2.5-7B", messages=[])',
    "<<EOF\n",
    "EOF\n",
    "\t",
    "\r",
]
_EXTRACTORS = [extract_markdown, extract_rst, extract_notebook, extract_text]


def _never_escapes(text: str) -> None:
    for extractor in _EXTRACTORS:
        facts = extractor(text, "fuzz.doc")
        assert all(e.path == "fuzz.doc" and "internal error" not in e.reason for e in facts.errors), (
            facts.errors
        )
        for fact in (*facts.requests, *facts.serves):
            assert fact.location.path == "fuzz.doc" and fact.location.line >= 1


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_random_text_never_escapes_a_docs_extractor(text: str) -> None:
    _never_escapes(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_PIECES) | st.text(max_size=8), max_size=40))
def test_docs_shaped_soup_never_escapes_a_docs_extractor(parts: list[str]) -> None:
    text = "".join(parts)
    _never_escapes(text)
    _never_escapes(_notebook(text, text.splitlines(keepends=True), [text]))
