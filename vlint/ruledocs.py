"""Rule documents in `rules/docs/`: one per rule, one fixed template, examples that run as tests.

Template (level-2 headings, in this order): What it does, Why it matters, Example, Use instead, Options,
References. Example and Use instead hold fenced blocks whose info string is `LANG FILENAME`; a line
in an Example block ending in a comment `expect: VL001[, VL002]` must get exactly those findings, and a
Use instead block must get none. Blocks that share a `project=NAME` attribute are scanned together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from vlint.knowledge import rules_dir

SECTIONS = ("What it does", "Why it matters", "Example", "Use instead", "Options", "References")
_FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```\s*$", re.MULTILINE | re.DOTALL)
_EXPECT = re.compile(r"expect:\s*(?P<codes>VL\d{3}(?:\s*,\s*VL\d{3})*)")


@dataclass(frozen=True)
class Example:
    section: str
    lang: str
    filename: str
    project: str | None
    body: str
    expected: tuple[tuple[int, str], ...]   # (line in the block, rule code)


@dataclass(frozen=True)
class RuleDoc:
    code: str
    name: str
    text: str
    sections: tuple[str, ...]
    examples: tuple[Example, ...]


@cache
def load_doc(code: str) -> RuleDoc:
    path = rules_dir() / "docs" / f"{code}.md"
    text = path.read_text(encoding="utf-8")
    title = text.splitlines()[0] if text else ""
    match = re.match(r"#\s*(VL\d{3})\s+(\S+)", title)
    name = match.group(2) if match else ""
    sections = tuple(m.group(1).strip() for m in re.finditer(r"^##\s+(.+)$", text, re.MULTILINE))
    examples = []
    for section_match in re.finditer(r"^##\s+(.+?)\n(.*?)(?=^##\s|\Z)", text, re.MULTILINE | re.DOTALL):
        section = section_match.group(1).strip()
        if section not in ("Example", "Use instead"):
            continue
        for fence in _FENCE.finditer(section_match.group(2)):
            words = fence.group("info").split()
            if len(words) < 2:
                continue
            attrs = dict(w.split("=", 1) for w in words[2:] if "=" in w)
            body = fence.group("body")
            expected = []
            for number, line in enumerate(body.splitlines(), start=1):
                for m in _EXPECT.finditer(line):
                    expected.extend((number, c.strip()) for c in m.group("codes").split(","))
            examples.append(Example(section, words[0], words[1], attrs.get("project"), body, tuple(expected)))
    return RuleDoc(code, name, text, sections, tuple(examples))


def documented_codes() -> list[str]:
    return sorted(p.stem for p in (rules_dir() / "docs").glob("VL*.md"))
