"""Fills the rule registries by importing the modules whose decorators register into them.

The registry itself imports none of its users (that was an import cycle); the loader in
`rules.config` calls `populate_registry()` once before validating any rule file.
"""
from __future__ import annotations

import threading

_lock = threading.Lock()
_populated = False


def populate_registry() -> None:
    """Import every built-in rule module (idempotent and thread-safe)."""
    global _populated
    if _populated:
        return
    with _lock:
        if _populated:
            return
        # imported for their @register decorators
        from jinnang.rules import actions, fields, scores, stall, triggers  # noqa: F401
        _populated = True
