"""From places to edits, and from edits to new file texts: Python through the libcst codemod
(`pyliteral`), every other format by exact span (`spans`). Files are read as UTF-8 (a byte-order mark is
kept); a file that is not UTF-8, or is reached through a symbolic link, is never edited.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from vlint.findings import Autofix, Edit
from vlint.fix.sites import NameSite

_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class FilePatch:
    """One file's text before and after its edits."""

    path: str
    before: str
    after: str
    edits: tuple[Edit, ...]
    bom: bool = False


def read_for_edit(path: Path) -> tuple[str | None, bool, str]:
    """(text, has a byte-order mark, why it must not be edited)."""
    if os.path.realpath(path) != os.path.abspath(path):
        return None, False, "the file is reached through a symbolic link; vlint does not edit through links"
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, False, f"cannot read the file ({exc.strerror or exc})"
    try:
        return data.decode("utf-8-sig"), data.startswith(_BOM), ""
    except UnicodeDecodeError:
        return None, False, "the file is not UTF-8 text"


def is_python(path: str) -> bool:
    return path.endswith((".py", ".pyi"))


def plan_file_edits(sites: Iterable[NameSite], new: str, cwd: Path) -> tuple[list[Edit], list[NameSite]]:
    """The exact edits that write `new` at every site, and the sites where that is impossible (with why)."""
    by_path: dict[str, list[NameSite]] = {}
    for site in sites:
        by_path.setdefault(site.path, []).append(site)
    edits: list[Edit] = []
    problems: list[NameSite] = []
    for path, path_sites in sorted(by_path.items()):
        text, _, why = read_for_edit(cwd / path)
        if text is None:
            problems.extend(replace(s, problem=why) for s in path_sites)
            continue
        made, missed = (_python_edits if is_python(path) else _span_edits)(text, path, path_sites, new)
        edits.extend(made)
        problems.extend(missed)
    return edits, problems


def _python_edits(text: str, path: str, sites: list[NameSite], new: str) -> tuple[list[Edit], list[NameSite]]:
    import libcst as cst

    from vlint.fix.pyliteral import swap_literals

    try:
        _, made = swap_literals(text, path, {(s.line, s.column): (s.text, new) for s in sites})
    except cst.ParserSyntaxError:
        return [], [replace(s, problem="the file does not parse as Python") for s in sites]
    found = {(e.line, e.column) for e in made}
    missed = [replace(s, problem=f"it is not one plain string literal ({s.origin}): computed or templated")
              for s in sites if (s.line, s.column) not in found]
    return made, missed


def _span_edits(text: str, path: str, sites: list[NameSite], new: str) -> tuple[list[Edit], list[NameSite]]:
    from vlint.fix.spans import span_edit

    made, missed = [], []
    for site in sites:
        edit = span_edit(text, path, site.line, site.column, site.text, new)
        if edit is None:
            missed.append(replace(site, problem=f"the text there is not the name `{site.text}` itself ({site.origin}): "
                                                "it is computed, templated or set elsewhere"))
        else:
            made.append(edit)
    return made, missed


def build_patches(fixes: Iterable[Autofix], cwd: Path) -> list[FilePatch]:
    """The new text of every file the applicable `fixes` touch, each edit checked again against the file
    as it is now. Raises `ValueError` naming the file when one changed since it was scanned."""
    by_path: dict[str, dict[tuple[int, int], tuple[Edit, Autofix]]] = {}
    for fix in fixes:
        if fix.applicable:
            for edit in fix.edits:
                by_path.setdefault(edit.path, {})[(edit.line, edit.column)] = (edit, fix)
    patches = []
    for path, planned in sorted(by_path.items()):
        text, bom, why = read_for_edit(cwd / path)
        if text is None:
            raise ValueError(f"{path}: {why}")
        edits = [edit for edit, _ in planned.values()]
        if is_python(path):
            from vlint.fix.pyliteral import swap_literals

            targets = {key: (fix.model, fix.replacement or "") for key, (_, fix) in planned.items()}
            after, made = swap_literals(text, path, targets)
            if sorted(made, key=_order) != sorted(edits, key=_order):
                raise ValueError(f"{path}: the file changed since it was scanned")
        else:
            from vlint.fix.spans import splice

            after = splice(text, edits)
        patches.append(FilePatch(path, text, after, tuple(sorted(edits, key=_order)), bom))
    return patches


def write_patches(patches: Iterable[FilePatch], cwd: Path) -> None:
    """Write each patched file in place (its permissions and links stay as they are)."""
    for patch in patches:
        data = patch.after.encode("utf-8")
        (cwd / patch.path).write_bytes(_BOM + data if patch.bom else data)


def _order(edit: Edit) -> tuple[int, int]:
    return (edit.line, edit.column)
