"""Rules as units: one module per rule, an explicit registry, one context of shared helpers.

- `meta.py`: what a rule is to the outside (code, name, default severity, summary), importing nothing
  of vlint, so configuration, suppressions and reports can read it at import time.
- one module per rule (`base_model_chat.py` is VL001, ...): its `RULE` metadata and a `check(ctx)` that
  yields findings over the linked project.
- `registry.py`: the explicit list of rule modules, one line each, and lookups by code, name and prefix.
- `context.py`: what rules share (a classification cache, the base-model uses with their evidence, the
  finding builder), so no rule reaches into another's branches.
- `run.py`: runs the registry over a project and applies configuration and suppressions.

Adding a rule: one module here, its line in `registry.py`, and its document in `rules/docs/` (whose
examples run as tests).
"""
