"""`.env` files -> EnvBindings."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from vlint.extract.dotenv import extract_dotenv
from vlint.facts import Location

ENV_FILE = """\
# served model for the compose stack
MODEL_NAME=Qwen/Qwen2.5-7B
export SERVED_NAME="qwen-prod"
TEMPERATURE=0.1   # low on purpose
SINGLE='${NOT_EXPANDED}'
DOUBLE="line1\\nline2"
FROM_OTHER=${MODEL_NAME}
WITH_DEFAULT=${UNSET_VAR:-meta-llama/Llama-3.1-8B}
EMPTY=
ESCAPED="\\$HOME"
MULTI="first
second"
not an assignment
  INDENTED = spaced
"""


def bindings():
    return {b.name: b for b in extract_dotenv(ENV_FILE, ".env").env}


def test_plain_export_and_quoted_values():
    b = bindings()
    assert b["MODEL_NAME"].value.literal == "Qwen/Qwen2.5-7B"
    assert b["MODEL_NAME"].value.location == Location(".env", 2, 1)
    assert b["MODEL_NAME"].scope == "project"
    assert b["SERVED_NAME"].value.literal == "qwen-prod"
    assert b["SERVED_NAME"].value.location == Location(".env", 3, 8)
    assert b["TEMPERATURE"].value.literal == "0.1"  # inline comment stripped
    assert b["DOUBLE"].value.literal == "line1\nline2"
    assert b["EMPTY"].value.literal == ""
    assert b["INDENTED"].value.literal == "spaced"


def test_single_quotes_and_escaped_dollar_are_literal():
    b = bindings()
    assert b["SINGLE"].value.literal == "${NOT_EXPANDED}" and b["SINGLE"].value.env is None
    assert b["ESCAPED"].value.literal == "$HOME" and b["ESCAPED"].value.env is None


def test_references_resolve_within_the_file_or_stay_symbolic():
    b = bindings()
    assert b["FROM_OTHER"].value.literal == "Qwen/Qwen2.5-7B"
    assert "MODEL_NAME" in b["FROM_OTHER"].value.note
    d = b["WITH_DEFAULT"].value
    assert d.env == "UNSET_VAR" and d.literal == "meta-llama/Llama-3.1-8B" and d.is_default


def test_multi_line_value_and_skipped_lines():
    b = bindings()
    assert b["MULTI"].value.literal == "first\nsecond"
    assert "not" not in b and len(b) == 11


def test_comments_and_blank_lines_only():
    assert extract_dotenv("# MODEL=x\n\n   # y=1\n", ".env").env == []


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_random_text_never_raises(text):
    extract_dotenv(text, ".env")
