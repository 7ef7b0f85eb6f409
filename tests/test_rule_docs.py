"""Rule documents: one per registered rule and back, one template, and their examples run as tests."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from tests.conftest import scan_dir
from vlint.checks.registry import RULES
from vlint.ruledocs import SECTIONS, documented_codes, load_doc


def test_every_rule_has_a_document_and_every_document_a_rule():
    assert documented_codes() == sorted(rule.code for rule in RULES)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_document_follows_the_template(rule):
    doc = load_doc(rule.code)
    assert doc.text.splitlines()[0] == f"# {rule.code} {rule.name}"
    assert doc.sections == SECTIONS
    bad = [e for e in doc.examples if e.section == "Example"]
    good = [e for e in doc.examples if e.section == "Use instead"]
    assert bad and good, "a rule without examples fails CI"
    assert all(e.expected for e in bad if e.project is None), "every standalone bad example expects a finding"


def _example_groups():
    for rule in RULES:
        doc = load_doc(rule.code)
        groups: dict[tuple[str, str], list] = defaultdict(list)
        for index, example in enumerate(doc.examples):
            key = (example.section, example.project or f"#{index}")
            groups[key].append(example)
        for (section, name), examples in groups.items():
            yield pytest.param(rule.code, examples, id=f"{rule.code}-{section.replace(' ', '_')}-{name}")


@pytest.mark.parametrize("code, examples", list(_example_groups()))
def test_rule_document_examples(tmp_path: Path, code, examples):
    expected = set()
    for example in examples:
        (tmp_path / example.filename).write_text(example.body, encoding="utf-8")
        expected |= {(example.filename, line, rule) for line, rule in example.expected}
    result = scan_dir(tmp_path, extend_select=(code,))  # the rules on by default, and the one documented
    assert not result.errors, result.errors
    found = {(f.path, f.line, f.rule) for f in result.findings}
    assert found == expected, [f.message for f in result.findings]
