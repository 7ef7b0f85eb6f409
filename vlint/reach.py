"""Which launches a request reaches, and how sure that is.

A request that asks the server for its model (`client.models.list().data[0].id`) chats with whatever the
launches it reaches serve; a request that names a model gets that model's chat template and server defaults
only from the launches it reaches (not from every launch of the model in the repository). Reaching is
decided, in order, by:

1. its URL (`base_url="http://localhost:8000/v1"`, `http://vllm-svc/v1/...`): the launches listening on that
   port, or answering to that name (a compose service, a container name, a Kubernetes Service selecting
   the pod). A local or public URL that names a port no launch listens on (and every launch's port is
   known) reaches none: the request goes to another server. An internal name the project does not show
   (`http://qwen:8000`) may map its port anywhere: place decides;
2. where it is written: the launches in the same file, else in its folder, else in the nearest folder above
   that holds some;
3. otherwise every launch in the project.

Confidence says how it linked: high for one launch found by its port or name, or the only launch in the
project; medium for several by port or name, or the launches of the same file or folder; low for any
launch in the project.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from posixpath import dirname

from vlint.extract.cmdline.servers import server_data
from vlint.facts import Request, Route, Serve
from vlint.findings import Confidence

_URL = re.compile(r"^(?:(?P<scheme>[a-z][a-z0-9+.-]*)://)?(?P<host>\[[^\]]*\]|[^/:?#]*)(?::(?P<port>[^/?#]*))?",
                  re.IGNORECASE)
_UNKNOWN = re.compile(r"[\x00$<>{}‹›`]")  # an unresolved piece, a variable or a placeholder in a URL
_IP = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_INTERNAL_SUFFIXES = (".svc", ".cluster.local", ".internal", ".local", ".lan")


@dataclass(frozen=True)
class Endpoint:
    """The host and port a request's URL names; None where the URL leaves them unknown."""

    host: str | None
    port: int | None

    @property
    def local(self) -> bool:
        """A loopback or any-address host, or an IP address: any launch may listen there."""
        return self.host is not None and (self.host in server_data().local_hosts or bool(_IP.match(self.host)))

    @property
    def internal(self) -> bool:
        """A name inside a cluster or a compose network (`vllm`, `qwen-svc.ns.svc.cluster.local`), whose port
        may be mapped where the project does not show it; a public name (`api.together.xyz`) is not."""
        host = self.host or ""
        return bool(host) and not self.local and ("." not in host or host.endswith(_INTERNAL_SUFFIXES))


def parse_endpoint(url: str | None) -> Endpoint | None:
    """`http://localhost:8000/v1` -> (localhost, 8000); `https://api.example.com/v1` -> (api.example.com, 443);
    unknown pieces (`http://{host}:8000`, `$URL`, `<service-ip>`) give None for that part."""
    if not url:
        return None
    match = _URL.match(url.strip())
    if match is None:
        return None
    scheme = (match.group("scheme") or "").lower()
    host_text, port_text = match.group("host") or "", match.group("port")
    host = None if not host_text or _UNKNOWN.search(host_text) else host_text.lower()
    if port_text is None:
        port = {"http": 80, "https": 443}.get(scheme) if host is not None else None
    else:
        port = int(port_text) if port_text.isdigit() and 0 < int(port_text) < 65536 else None
    if host is None and port is None:
        return None
    return Endpoint(host, port)


@dataclass(frozen=True)
class Reach:
    """The launches a request reaches, how that was decided, and how sure it is."""

    launches: tuple[Serve, ...]
    how: str
    confidence: Confidence


class Reachability:
    """The project's launches with the ports and names they are reached at (their own, and those of the
    Kubernetes Services that select their pods), answering `reach` for each request."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self.routes = tuple(routes)
        self._names: dict[int, tuple[frozenset[str], frozenset[int]]] = {}
        self._cache: dict[tuple[object, ...], Reach] = {}

    def addresses(self, serve: Serve) -> tuple[frozenset[str], frozenset[int]]:
        """The names and ports a launch answers at."""
        found = self._names.get(id(serve))
        if found is None:
            names = {h.lower() for h in serve.hosts}
            ports = set(serve.ports)
            labels = set(serve.labels)
            for route in self.routes:
                if route.selector and labels and set(route.selector) <= labels:
                    names.add(route.name.lower())
                    ports.update(route.ports)
            found = self._names[id(serve)] = (frozenset(names), frozenset(ports))
        return found

    def reach(self, request: Request, candidates: Sequence[Serve], *, scope: str = "project") -> Reach:
        """The launches of `candidates` that `request` reaches (see the module's docstring). `scope` names
        what the candidates are in the evidence ("project": every launch; else e.g. "of this model")."""
        key = (request.location.path, request.context, request.endpoint, id(candidates), scope)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._reach(request, candidates, scope)
        return found

    def by_endpoint(self, request: Request, candidates: Sequence[Serve]) -> tuple[Serve, ...] | None:
        """The candidates the request's URL picks out, when it picks out some; None when it says nothing."""
        endpoint = parse_endpoint(request.endpoint)
        if endpoint is None:
            return None
        picked, _how = self._by_endpoint(endpoint, candidates)
        return picked or None

    def _reach(self, request: Request, candidates: Sequence[Serve], scope: str) -> Reach:
        pool = [c for c in candidates if c.context == request.context] or list(candidates)
        if not pool:
            return Reach((), "no launch", "low")
        endpoint = parse_endpoint(request.endpoint)
        if endpoint is not None:
            picked, how = self._by_endpoint(endpoint, pool)
            if len(picked) > 1:  # a docs tree documents one server per page, all on the default port
                near, where = self._near(request.location.path, picked)
                if near:
                    picked, how = near, f"{how} and {where}"
            if picked:
                sure: Confidence = "high" if len(picked) == 1 and (endpoint.local or how.startswith("by host")) \
                    else "medium"
                return Reach(picked, how, sure)
            unknown = [c for c in pool if not self.addresses(c)[1]]
            if scope == "project" and endpoint.port is not None and not unknown and not endpoint.internal:
                return Reach((), f"no launch listens on port {endpoint.port}", "low")
            if scope == "project":  # an internal name may map its port (a Service, a proxy): place decides
                pool = unknown or pool
            # A request naming its model may go through a router the project starts some other way: the
            # model's launches stay candidates, by place.
        return self._by_place(request.location.path, pool, scope)

    def _by_endpoint(self, endpoint: Endpoint, pool: Sequence[Serve]) -> tuple[tuple[Serve, ...], str]:
        if endpoint.host is not None and not endpoint.local:
            label = endpoint.host.split(".", 1)[0]
            named = [c for c in pool if endpoint.host in self.addresses(c)[0] or label in self.addresses(c)[0]]
            if named:
                ported = [c for c in named if endpoint.port is None or endpoint.port in self.addresses(c)[1]]
                return tuple(ported or named), f"by host `{endpoint.host}`"
        if endpoint.port is None:
            return (), ""
        by_port = tuple(c for c in pool if endpoint.port in self.addresses(c)[1])
        return by_port, f"by port {endpoint.port}"

    @staticmethod
    def _near(path: str, pool: Sequence[Serve], *, above: bool = False) -> tuple[tuple[Serve, ...], str]:
        """The launches of `pool` in the request's file, else under its folder, else (`above`) under the
        nearest folder above that holds some; and where that is."""
        same_file = tuple(c for c in pool if c.location.path == path)
        if same_file:
            return same_file, "as a launch in the same file"
        folder = dirname(path)
        while folder:
            inside = tuple(c for c in pool if c.location.path.startswith(folder + "/"))
            if inside:
                where = "as a launch in the same folder" if folder == dirname(path) else \
                    f"as a launch in `{folder}/`, a folder above it"
                return inside, where
            if not above:
                break
            folder = dirname(folder)
        return (), ""

    def _by_place(self, path: str, pool: Sequence[Serve], scope: str) -> Reach:
        if len(pool) == 1 and scope == "project":
            return Reach(tuple(pool), "as the only launch in the project", "high")
        near, where = self._near(path, pool, above=True)
        if near:
            return Reach(near, where, "medium")
        what = "as any launch in the project" if scope == "project" else f"as any launch {scope}"
        return Reach(tuple(pool), what, "low" if scope == "project" else "medium")
