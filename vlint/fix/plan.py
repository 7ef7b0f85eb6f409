"""Planning fixes: which places change together, into what, and whether they may.

A finding's model may be named in several places that must agree: the client's literal and the launch
serving that model, a constant shared by several calls, the clients of one launch. These places form one
group (a connected part of the graph requests <-> launches <-> written names), and a group is changed
everywhere or nowhere. Nowhere, with a note, when: no sibling is known, the group names different models
(an alias served by several models), a finding in it is suppressed (somebody chose it), or one of its
places cannot be edited exactly (an environment variable, a computed or templated value).

Planning reads the files it would edit (to check each place and make its exact edit) and writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from vlint.findings import Autofix, Edit, Finding
from vlint.fix.edits import plan_file_edits
from vlint.fix.siblings import SAFE_ID, find_sibling
from vlint.fix.sites import NameSite, request_site, serve_site
from vlint.link import LinkedRequest, LinkedServe, Project

FIXABLE_RULES = frozenset({"VL001", "VL002", "VL003"})
_SHOWN = 3  # places named in a note before "and N more"


@dataclass
class _Group:
    """One connected set of requests, launches and the places their model is written."""

    requests: list[LinkedRequest] = field(default_factory=list)
    serves: list[LinkedServe] = field(default_factory=list)
    sites: dict[tuple[str, int, int], NameSite] = field(default_factory=dict)


class _Graph:
    """The project's requests and launches, joined by the launches a request goes through and by the places
    their model names share. Built once per scan; groups are found on demand."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.serve_of = {id(ls.serve): ls for ls in project.serves}
        self.requests_of_serve: dict[int, list[LinkedRequest]] = {}
        self.by_site: dict[tuple[str, int, int], list[LinkedRequest | LinkedServe]] = {}
        self.request_sites: dict[int, NameSite | None] = {}
        self.serve_sites: dict[int, NameSite | None] = {}
        self._components: dict[int, _Group] = {}
        for linked in project.requests:
            for serve in linked.via:
                self.requests_of_serve.setdefault(id(serve), []).append(linked)
            site = self.request_sites[id(linked)] = request_site(linked)
            if site is not None:
                self.by_site.setdefault(site.key, []).append(linked)
        for ls in project.serves:
            site = self.serve_sites[id(ls)] = serve_site(ls)
            if site is not None:
                self.by_site.setdefault(site.key, []).append(ls)

    def subjects(self, finding: Finding) -> list[LinkedRequest | LinkedServe]:
        """The requests or launches a finding is about: same place, same model."""
        where = (finding.path, finding.line, finding.column)
        model = finding.model.lower()
        found: list[LinkedRequest | LinkedServe] = [
            r for r in self.project.requests
            if (r.request.location.path, r.request.location.line, r.request.location.column) == where
            and r.model.lower() == model]
        found.extend(s for s in self.project.serves
                     if (s.serve.location.path, s.serve.location.line, s.serve.location.column) == where
                     and s.model.lower() == model)
        return found

    def group(self, start: Iterable[LinkedRequest | LinkedServe]) -> _Group:
        """Everything joined to `start`: the union of its nodes' components (the links go both ways, so a
        component found once serves every finding in it; vLLM's docs hold one of sixty launches)."""
        groups = list({id(g): g for g in map(self._component, start)}.values())
        if len(groups) == 1:
            return groups[0]
        union = _Group()
        for g in groups:
            union.requests.extend(g.requests)
            union.serves.extend(g.serves)
            for key, site in g.sites.items():
                union.sites.setdefault(key, site)
        return union

    def _component(self, first: LinkedRequest | LinkedServe) -> _Group:
        if id(first) in self._components:
            return self._components[id(first)]
        group = _Group()
        todo = [first]
        while todo:
            node = todo.pop()
            if id(node) in self._components:
                continue
            self._components[id(node)] = group
            if isinstance(node, LinkedRequest):
                group.requests.append(node)
                site = self.request_sites[id(node)]
                todo.extend(self.serve_of[id(s)] for s in node.via if id(s) in self.serve_of)
            else:
                group.serves.append(node)
                site = self.serve_sites[id(node)]
                todo.extend(self.requests_of_serve.get(id(node.serve), ()))
            if site is not None:
                group.sites.setdefault(site.key, site)
                todo.extend(self.by_site.get(site.key, ()))
        return group


def plan_fixes(project: Project, findings: list[Finding], suppressed: list[Finding], *, cwd: Path,
               online: bool = False) -> None:
    """Give each fixable finding its `autofix` (an edit plan, or a note saying why there is none)."""
    candidates = [f for f in findings if f.rule in FIXABLE_RULES and f.model and f.fix is not None]  # None: nothing to fix
    if not candidates:
        return
    graph = _Graph(project)
    held = {(f.path, f.line, f.column, f.model.lower()): f for f in suppressed}
    planned: dict[frozenset[int], Autofix] = {}
    for finding in candidates:
        subjects = graph.subjects(finding)
        if not subjects:
            continue
        group = graph.group(subjects)
        key = frozenset(id(n) for n in (*group.requests, *group.serves))
        if key not in planned:
            try:
                planned[key] = _plan_group(group, held, cwd, online)
            except Exception as exc:  # noqa: BLE001 - a fix that cannot be planned must not lose the scan
                planned[key] = Autofix(finding.model, None, "",
                                       note=f"internal error while planning: {type(exc).__name__}: {exc}")
        finding.autofix = planned[key]


def _plan_group(group: _Group, held: dict[tuple[str, int, int, str], Finding], cwd: Path,
                online: bool) -> Autofix:
    models = {m.lower(): m for m in [*(r.model for r in group.requests), *(s.model for s in group.serves)]}
    model = next(iter(models.values()))
    if len(models) > 1:
        return Autofix(model, None, "", note="the places linked to this finding name different models ("
                       + ", ".join(f"`{m}`" for m in models.values()) + "); choose by hand")
    sibling, why_not = find_sibling(model, online=online)
    if sibling is None:
        return Autofix(model, None, "", note=why_not)
    if not SAFE_ID.fullmatch(sibling.model):
        return Autofix(model, sibling.model, sibling.source, note=f"`{sibling.model}` is not a plain Hub id")
    for linked in group.requests:
        loc = linked.request.location
        hit = held.get((loc.path, loc.line, loc.column, model.lower()))
        if hit is not None:
            return Autofix(model, sibling.model, sibling.source,
                           note=f"the finding at {hit.path}:{hit.line}:{hit.column} uses the same model and is "
                                f"suppressed ({hit.suppressed}); change it by hand")
    sites = list(group.sites.values())
    blocked = [s for s in sites if s.problem]
    if blocked:
        return Autofix(model, sibling.model, sibling.source, note=_places_note(blocked))
    edits, problems, digests = plan_file_edits(sites, sibling.model, cwd)
    if problems:
        return Autofix(model, sibling.model, sibling.source, note=_places_note(problems))
    if not edits:
        return Autofix(model, sibling.model, sibling.source, note="vlint does not know where the model is written")
    return Autofix(model, sibling.model, sibling.source, edits=tuple(sorted(edits, key=_edit_order)),
                   digests=tuple(sorted(digests.items())))


def _places_note(blocked: list[NameSite]) -> str:
    first = blocked[0]
    more = f" (and {len(blocked) - 1} more place{'s' if len(blocked) > 2 else ''})" if len(blocked) > 1 else ""
    where = f" at {first.where}" if first.path else ""
    return f"the model{where} is left alone: {first.problem}{more}"


def _edit_order(edit: Edit) -> tuple[str, int, int]:
    return (edit.path, edit.line, edit.column)
