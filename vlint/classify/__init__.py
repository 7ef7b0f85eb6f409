"""Classify a model reference: base, instruct, reasoning, other or unknown, with evidence.

The stages, each a module, arrows one way: `classifier` (overrides, then local files, then the name, then
the Hub) -> `local` (a model folder's files: `folder`, `gguf`) -> `hub` (opt-in lineage) -> `names`
(curated ids, family rules, name tokens) -> `reference` (normalising what the user wrote) -> `data` (the
compiled `rules/models.yaml`). What the rest of vlint uses is re-exported here.
"""

from vlint.classify.classifier import ModelOverride, classify, clear_caches
from vlint.classify.data import DataError
from vlint.classify.names import CHAT_KINDS, CONFIDENCE_LEVELS, KINDS, Classification, classify_name
from vlint.classify.reference import Reference, parse_reference

__all__ = ["CHAT_KINDS", "CONFIDENCE_LEVELS", "KINDS", "Classification", "DataError", "ModelOverride", "Reference",
           "classify", "classify_name", "clear_caches", "parse_reference"]
