"""A small JSON-over-HTTP client for `vlint probe`: bounded, and careful with the API key.

Why the standard library: a handful of JSON requests need nothing more than urllib, and the HTTP client
huggingface_hub brings along (httpx2) is its dependency, not one vlint can count on.

What careful means here:
- the key travels only as `Authorization: Bearer`, only to the endpoint's own host, and never appears in
  a message, a report or a repr (`Secret`); server text quoted in errors has it masked;
- every request has a timeout for connecting and for each read, and a deadline for the whole body;
- bodies are read up to a size limit, and compressed bodies are never asked for (no decompression bomb);
- TLS certificates are verified (the system's trust store, or `--ca-bundle` for a private CA);
- redirects are followed only on the same host and port (or from http up to https on the same host), at
  most `MAX_REDIRECTS` times: urllib's own redirect handler would carry Authorization to any host;
- each client sends at most `max_requests` requests, redirects included;
- proxies come from the environment (`https_proxy`, `no_proxy`, ...), as for any urllib client.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from vlint import __version__

MAX_REDIRECTS = 3
READ_CHUNK = 64 * 1024
SNIPPET_CHARS = 160
"""How much of a server's error text a message quotes."""

REJECTED_STATUSES = frozenset({400, 404, 405, 422, 501})
"""Answers to a POST that mean "not this request" (no chat template, no such route), not a broken endpoint."""


class ProbeHTTPError(Exception):
    """Base of the client's errors. Messages are one line and never contain the API key."""


class EndpointError(ProbeHTTPError):
    """The endpoint cannot be probed at all (refused, timed out, 401, 5xx, not JSON, too large...)."""


class RequestRejected(ProbeHTTPError):
    """The server answered one POST with a status in `REJECTED_STATUSES`: this request shape is refused."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class BudgetSpent(ProbeHTTPError):
    """The client has sent its `max_requests`."""


class Secret:
    """An API key that cannot leak through `repr`, `str` or f-strings; `reveal()` is the one way out."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def mask(self, text: str) -> str:
        """`text` with every copy of the key replaced (as is, and as a JSON string spells it): servers may
        quote request headers back, and reports quote servers."""
        if not self._value:
            return text
        for form in dict.fromkeys((self._value, json.dumps(self._value)[1:-1])):
            text = text.replace(form, "<redacted>")
        return text

    def __repr__(self) -> str:
        return "Secret(<redacted>)"

    __str__ = __repr__


def check_header_safe(key: str) -> bool:
    """True when the key can be sent in a header. http.client's own check raises ValueError with the
    header value in the message, which would print the key: keys are checked here first."""
    return bool(key) and all(0x21 <= ord(c) <= 0x7E for c in key)


@dataclass(frozen=True)
class ClientSettings:
    timeout_s: float = 30.0
    max_bytes: int = 4 * 1024 * 1024
    max_requests: int = 200
    ca_bundle: Path | None = None


def endpoint_base(url: str) -> str:
    """The API base (`.../v1`) of a server URL given with or without `/v1`; ValueError when unusable.

    Credentials in the URL, a query and a fragment are refused: a base URL has none, and a URL is printed
    in every report (`--api-key-env` is how a key is given).
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        raise ValueError("expected an http:// or https:// URL")
    if not parts.hostname:
        raise ValueError("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("credentials in the URL are not supported; give the key with --api-key-env")
    if parts.query or parts.fragment:
        raise ValueError("a base URL has no query or fragment")
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise ValueError(f"bad port: {exc}") from None
    path = parts.path.rstrip("/")
    if not path.endswith("/v1"):
        path += "/v1"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def display_url(url: str) -> str:
    """A URL as reports show it: scheme, host, port and path only (never credentials or a query)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"{host}:{port}" if port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def tls_context(ca_bundle: Path | None) -> ssl.SSLContext:
    """Certificate and host name verification on; `ca_bundle` replaces the system's trust store."""
    try:
        return ssl.create_default_context(cafile=str(ca_bundle) if ca_bundle else None)
    except (OSError, ssl.SSLError) as exc:
        raise EndpointError(f"--ca-bundle {ca_bundle}: cannot load it: {exc}") from None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """3xx answers come back as errors; `Client` decides which to follow."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    default = 443 if parts.scheme == "https" else 80
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default


def _same_host(current: str, target: str) -> bool:
    scheme, host, port = _origin(current)
    new_scheme, new_host, new_port = _origin(target)
    if new_host != host or (scheme == "https" and new_scheme != "https"):
        return False
    return new_port == port or (scheme, new_scheme) == ("http", "https")


def _snippet(body: bytes) -> str:
    """A short, one-line excerpt of a server's answer: its JSON error message when it has one."""
    text = body[: 4 * SNIPPET_CHARS].decode("utf-8", errors="replace")
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        data = None
    if isinstance(data, dict):
        error = data.get("error", data)
        message = error.get("message") or error.get("detail") if isinstance(error, dict) else error
        if isinstance(message, str) and message.strip():
            text = message
    text = " ".join(text.split())
    return text if len(text) <= SNIPPET_CHARS else text[: SNIPPET_CHARS - 1] + "…"


class Client:
    """Requests to one endpoint's API base. `requests_sent` counts every request, redirects included."""

    def __init__(
        self,
        base: str,
        settings: ClientSettings,
        api_key: Secret | None = None,
        *,
        context: ssl.SSLContext | None = None,
        key_source: str = "the API key",
    ) -> None:
        self.base = base.rstrip("/")
        self.settings = settings
        self.requests_sent = 0
        self._key = api_key
        self._key_source = key_source
        self._opener = urllib.request.build_opener(
            _NoRedirect(), urllib.request.HTTPSHandler(context=context or tls_context(settings.ca_bundle))
        )

    def __repr__(self) -> str:
        return f"Client({display_url(self.base)!r}, requests_sent={self.requests_sent})"

    @property
    def remaining(self) -> int:
        return self.settings.max_requests - self.requests_sent

    def get_json(self, path: str) -> Any:
        return self._request("GET", path, None)

    def post_json(self, path: str, body: dict[str, Any]) -> Any:
        return self._request("POST", path, json.dumps(body).encode())

    # ------------------------------------------------------------------------------------------------

    def _request(self, method: str, path: str, body: bytes | None) -> Any:
        url = self.base + path
        for _hop in range(MAX_REDIRECTS + 1):
            status, headers, data = self._send(method, url, body)
            if status in (301, 302, 303, 307, 308):
                url = self._redirect_target(method, url, status, headers.get("Location"))
                continue
            return self._decode(method, path, status, data)
        raise EndpointError(f"{path}: more than {MAX_REDIRECTS} redirects")

    def _redirect_target(self, method: str, url: str, status: int, location: str | None) -> str:
        if not location:
            raise EndpointError(f"HTTP {status} redirect without a Location")
        target = urljoin(url, location)
        if not _same_host(url, target):
            raise EndpointError(
                f"HTTP {status} redirect to another host ({display_url(target)}): not followed, so that "
                "the API key stays with the endpoint's host"
            )
        if method == "POST" and status not in (307, 308):
            raise EndpointError(f"HTTP {status} redirect of a POST request ({display_url(target)}): not followed")
        return target

    def _headers(self, body: bytes | None) -> dict[str, str]:
        headers = {
            "User-Agent": f"vlint/{__version__} (probe)",
            "Accept": "application/json",
            "Accept-Encoding": "identity",
        }
        if body is not None:
            headers["Content-Type"] = "application/json"
        if self._key is not None:
            headers["Authorization"] = "Bearer " + self._key.reveal()
        return headers

    def _send(self, method: str, url: str, body: bytes | None) -> tuple[int, Any, bytes]:
        if self.requests_sent >= self.settings.max_requests:
            raise BudgetSpent(f"the request budget ({self.settings.max_requests}, --max-requests) is spent")
        self.requests_sent += 1
        request = urllib.request.Request(url, data=body, headers=self._headers(body), method=method)
        deadline = time.monotonic() + self.settings.timeout_s
        try:
            response = self._opener.open(request, timeout=self.settings.timeout_s)
        except urllib.error.HTTPError as exc:  # a status outside 2xx is still an answer: read it
            response = exc
        except urllib.error.URLError as exc:
            raise EndpointError(self._connection_problem(exc.reason)) from None
        except (http.client.HTTPException, OSError) as exc:
            raise EndpointError(self._connection_problem(exc)) from None
        try:
            with response:
                return response.status, response.headers, self._read(response, deadline)
        except (http.client.HTTPException, OSError) as exc:
            raise EndpointError(self._connection_problem(exc)) from None

    def _read(self, response: Any, deadline: float) -> bytes:
        limit = self.settings.max_bytes
        declared = response.headers.get("Content-Length")
        if declared and declared.strip().isdigit() and int(declared) > limit:
            raise EndpointError(f"the answer is {int(declared)} bytes, over the {limit}-byte limit")
        chunks: list[bytes] = []
        size = 0
        while True:
            if time.monotonic() > deadline:
                raise EndpointError(f"timed out after {self.settings.timeout_s:g} s reading the answer")
            chunk = response.read1(READ_CHUNK) if hasattr(response, "read1") else response.read(READ_CHUNK)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > limit:
                raise EndpointError(f"the answer is over the {limit}-byte limit")
            chunks.append(chunk)

    def _connection_problem(self, reason: object) -> str:
        if isinstance(reason, ssl.SSLCertVerificationError):
            why = reason.verify_message or reason.reason or "verification failed"
            return f"TLS certificate verification failed ({why}); for a private CA, pass --ca-bundle"
        if isinstance(reason, ssl.SSLError):
            return f"TLS error: {reason.reason or reason}"
        if isinstance(reason, (TimeoutError, socket.timeout)):
            return f"timed out after {self.settings.timeout_s:g} s"
        if isinstance(reason, ConnectionRefusedError):
            return "connection refused (is the server running, on this host and port?)"
        if isinstance(reason, socket.gaierror):
            return f"cannot resolve the host name: {reason.strerror or reason}"
        if isinstance(reason, http.client.HTTPException):
            return f"not a valid HTTP answer ({type(reason).__name__})"
        if isinstance(reason, OSError):
            return f"cannot connect: {reason.strerror or reason}"
        return f"cannot connect: {reason}"

    def _decode(self, method: str, path: str, status: int, data: bytes) -> Any:
        if 200 <= status < 300:
            try:
                return json.loads(data.decode("utf-8"))
            except (ValueError, RecursionError):  # RecursionError: nested deeper than Python's stack
                raise EndpointError(
                    f"{path}: HTTP {status} but the answer is not JSON: {self._quote(data)}"
                ) from None
        quoted = self._quote(data)
        if status in (401, 403):
            hint = (
                f"{self._key_source} was refused"
                if self._key is not None
                else f"no API key was sent ({self._key_source} is not set)"
            )
            raise EndpointError(f"{path}: HTTP {status}: {hint}: {quoted}")
        if method == "POST" and status in REJECTED_STATUSES:
            raise RequestRejected(status, f"{path}: HTTP {status}: {quoted}")
        if status == 404:
            raise EndpointError(f"{path}: HTTP 404 (not an OpenAI-compatible API at this URL?): {quoted}")
        raise EndpointError(f"{path}: HTTP {status}: {quoted}")

    def _quote(self, data: bytes) -> str:
        text = _snippet(data) or "(empty)"
        return self._key.mask(text) if self._key is not None else text
