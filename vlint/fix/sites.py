"""Where a finding's model is written, read from the linked facts: the place an edit would go, and why it
must not go there (the value comes from the environment, or vlint does not know where it is written).

A request that names its model through a served alias has no place of its own: its launch changes, never
the client. Whether the text at a place really is the model, written plainly, is checked against the file
itself when the edit is made (`spans`, `pyliteral`): a computed or templated value fails that check and
is left alone with a note.
"""

from __future__ import annotations

from dataclasses import dataclass

from vlint.facts import Value
from vlint.link import LinkedRequest, LinkedServe


@dataclass(frozen=True)
class NameSite:
    path: str
    line: int
    column: int
    text: str          # the model as the facts say it is written there
    problem: str = ""  # why this place must not be edited ("" when it may be, once the text is checked)
    origin: str = ""   # what the facts say about the value, for notes

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.path, self.line, self.column)

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


def request_site(linked: LinkedRequest) -> NameSite | None:
    """The place a request names its model, or None when it names a served alias (the launch holds the
    model)."""
    if linked.candidates:  # resolved through `--served-model-name` and friends
        return None
    return _site(linked.request.model, linked.model_value)


def serve_site(linked: LinkedServe) -> NameSite | None:
    return _site(linked.serve.model, linked.model_value)


def _site(written: Value | None, resolved: Value) -> NameSite | None:
    """`written` is the fact's own value, `resolved` the linker's (an environment variable or an imported
    constant replaced by what it is set to)."""
    location = resolved.location
    text = str(resolved.literal)
    if location is None:
        return NameSite("", 0, 0, text, "vlint does not know where the model is written")
    problem = ""
    if written is not None and written.env is not None:
        problem = f"the model comes from the environment (${written.env}); change it where that is set"
    return NameSite(location.path, location.line, location.column, text, problem, resolved.origin())
