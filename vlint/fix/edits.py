"""From places to edits, and from edits to new file texts: Python through the libcst codemod
(`pyliteral`), every other format by exact span (`spans`). Files are read as UTF-8 (a byte-order mark is
kept); a file that is not UTF-8, or is reached through a symbolic link, is never edited.
"""

from __future__ import annotations

import hashlib
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


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def plan_file_edits(sites: Iterable[NameSite], new: str, cwd: Path
                    ) -> tuple[list[Edit], list[NameSite], dict[str, str]]:
    """The exact edits that write `new` at every site, the sites where that is impossible (with why), and
    the digest of each file's text as planned on (a patch is refused once the file differs)."""
    by_path: dict[str, list[NameSite]] = {}
    for site in sites:
        by_path.setdefault(site.path, []).append(site)
    edits: list[Edit] = []
    problems: list[NameSite] = []
    digests: dict[str, str] = {}
    for path, path_sites in sorted(by_path.items()):
        text, _, why = read_for_edit(cwd / path)
        if text is None:
            problems.extend(replace(s, problem=why) for s in path_sites)
            continue
        made, missed = (_python_edits if is_python(path) else _span_edits)(text, path, path_sites, new)
        edits.extend(made)
        problems.extend(missed)
        digests[path] = digest(text)
    return edits, problems, digests


def _python_edits(text: str, path: str, sites: list[NameSite], new: str) -> tuple[list[Edit], list[NameSite]]:
    """Planned on the text first (a plain `"name"` literal where the facts point: no parse, no libcst
    import, which a warm run would otherwise pay for); the rest through the codemod, which also knows string
    prefixes and escapes. The file itself is always changed by the codemod (`build_patches`)."""
    made, rest = _span_edits(text, path, sites, new)
    if not rest:
        return made, []
    import libcst as cst

    from vlint.fix.pyliteral import swap_literals

    try:
        _, by_tree = swap_literals(text, path, {(s.line, s.column): (s.text, new) for s in rest})
    except cst.ParserSyntaxError:
        return made, [replace(s, problem="the file does not parse as Python") for s in rest]
    found = {(e.line, e.column) for e in by_tree}
    missed = [replace(s, problem=f"it is not one plain string literal ({s.origin}): computed or templated")
              for s in rest if (s.line, s.column) not in found]
    return made + by_tree, missed


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
    planned_on: dict[str, str] = {}
    for fix in fixes:
        if fix.applicable:
            planned_on.update(fix.digests)
            for edit in fix.edits:
                by_path.setdefault(edit.path, {})[(edit.line, edit.column)] = (edit, fix)
    patches = []
    for path, planned in sorted(by_path.items()):
        text, bom, why = read_for_edit(cwd / path)
        if text is None:
            raise ValueError(f"{path}: {why}")
        if planned_on.get(path) != digest(text):
            raise ValueError(f"{path}: the file changed since it was scanned")
        edits = [edit for edit, _ in planned.values()]
        from vlint.fix.spans import splice

        after = splice(text, edits)  # raises when an edit no longer finds its text
        if is_python(path) and not _codemod_agrees(text, path, planned, after):
            raise ValueError(f"{path}: the file changed since it was scanned")
        patches.append(FilePatch(path, text, after, tuple(sorted(edits, key=_order)), bom))
    return patches


def _codemod_agrees(text: str, path: str, planned: dict[tuple[int, int], tuple[Edit, Autofix]], after: str) -> bool:
    """Python is changed by the codemod, which must come to the same text. A file libcst cannot parse (a
    notebook export with `%magic` lines, one broken statement: read in part, `extract/python/recover.py`)
    has only plain literals planned on its text, each checked by the splice: those spans are the change."""
    import libcst as cst

    from vlint.fix.pyliteral import swap_literals

    targets = {key: (fix.model, fix.replacement or "") for key, (_, fix) in planned.items()}
    try:
        return swap_literals(text, path, targets)[0] == after
    except cst.ParserSyntaxError:
        return True


def write_patches(patches: Iterable[FilePatch], cwd: Path) -> None:
    """Write each patched file in place (its permissions and links stay as they are)."""
    for patch in patches:
        data = patch.after.encode("utf-8")
        (cwd / patch.path).write_bytes(_BOM + data if patch.bom else data)


def _order(edit: Edit) -> tuple[int, int]:
    return (edit.line, edit.column)
