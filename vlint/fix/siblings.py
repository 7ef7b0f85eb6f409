"""Which chat model replaces a base model: the curated map in `rules/siblings.yaml`, or, with `--online`, the
classifier's suggestion once the Hub confirms it. Never a guess: a name rewrite that nothing confirms is a
suggestion in a finding's message, not an edit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

# What a replacement may look like: a Hub id's characters only, so an edit never needs quoting or escaping
# in any format it lands in (a Python string, a YAML plain scalar, a shell word, a JSON string).
SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?")


@dataclass(frozen=True)
class Sibling:
    model: str
    source: str  # said in the fix: where the pairing comes from


@cache
def curated() -> dict[str, Sibling]:
    """The curated pairs, keyed by the base id in lower case."""
    from vlint.knowledge import load_data

    table: dict[str, Sibling] = {}
    for family, pairs in (load_data("siblings.yaml").get("families") or {}).items():
        for base, sibling in (pairs or {}).items():
            table[str(base).lower()] = Sibling(str(sibling), f"rules/siblings.yaml, {family}")
    return table


def find_sibling(model: str, *, online: bool) -> tuple[Sibling | None, str]:
    """The chat sibling of base model `model`, or None and why not."""
    found = curated().get(model.strip().lower())
    if found is not None:
        return found, ""
    from vlint.classify import classify_name

    suggestion = classify_name(model).sibling
    if suggestion is None:
        return None, f"no chat sibling of `{model}` is known"
    if not online:
        return None, (f"`{suggestion}` is only suggested by a naming rule; it is not in rules/siblings.yaml "
                      "(with --online, vlint confirms it on the Hub)")
    return _confirmed_on_hub(model, suggestion)


def _confirmed_on_hub(model: str, suggestion: str) -> tuple[Sibling | None, str]:
    """The suggestion, when the Hub has the repository, its name says chat, and the base model it declares
    (if it declares one) is `model`. Answers are cached with the classifier's (`vlint.cache`)."""
    from vlint.classify import CHAT_KINDS, classify_name
    from vlint.classify.hub import HubUnavailable, fetch_record

    try:
        record = fetch_record(suggestion)
    except HubUnavailable as exc:
        return None, f"`{suggestion}` could not be confirmed on the Hub ({exc})"
    if record.status != "ok":
        return None, f"the Hub has no usable `{suggestion}` ({record.status})"
    if classify_name(suggestion).kind not in CHAT_KINDS:
        return None, f"`{suggestion}` does not name a chat model"
    if record.parents and model.strip().lower() not in {p.lower() for p in record.parents}:
        return None, f"`{suggestion}` declares another base model ({', '.join(record.parents)})"
    return Sibling(suggestion, "confirmed on the Hub (--online)"), ""
