"""Named, versioned rule functions that the YAML rule files refer to (the spaCy registry idea).

A new kind of stall rule, trigger, score formula, field check or suggestion is a function
registered here under a versioned name, e.g.::

    @stall_rules.register("jinnang.stall.node_and_time.v1")
    def node_and_time(ctx, stall): ...

and a rule file names it (`rule: jinnang.stall.node_and_time.v1`). The engine never
branches on rule kinds. This module imports none of the rule modules; the loader fills the
registries through `rules.registrations.populate_registry()` before it validates a file.
"""
from __future__ import annotations

from typing import Any

import catalogue

stall_rules = catalogue.create("jinnang", "stall")
triggers = catalogue.create("jinnang", "trigger")
score_formulas = catalogue.create("jinnang", "score")
field_checks = catalogue.create("jinnang", "field")
action_rules = catalogue.create("jinnang", "action")

REGISTRIES: dict[str, catalogue.Registry] = {
    "stall": stall_rules,
    "trigger": triggers,
    "score": score_formulas,
    "field": field_checks,
    "action": action_rules,
}

UnknownRule = catalogue.RegistryError


def resolve(kind: str, name: str) -> Any:
    """The function registered as `name`; UnknownRule when there is none."""
    return REGISTRIES[kind].get(name)


def known(kind: str) -> list[str]:
    return sorted(REGISTRIES[kind].get_all())
