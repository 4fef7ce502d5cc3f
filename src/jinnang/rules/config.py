"""Loading the rule files (YAML under rules/config/) into a RuleSet.

    >>> default_ruleset().node_order[:2]
    ('first_contact', 'tender_monitoring')
    >>> load_ruleset(journey=CONFIG_DIR / "variants" / "private_specialty_seven_stage.yaml").name
    'private_specialty_seven_stage'

`default_ruleset()` follows edits of the shipped files while the service runs; an edit that
does not validate is logged with file, line and field and the last good rule set stays in use
(`jinnang.core.config.ConfigFile`). The first load of a broken file raises ConfigError.
"""
from __future__ import annotations

from pathlib import Path
from typing import cast

from pydantic import BaseModel

from jinnang.core.config import ConfigError, ConfigFile, load_yaml_model
from jinnang.rules.registrations import populate_registry
from jinnang.rules.rule_files import AccountsFile, JourneyFile, NextActionsFile, RuleSet, ScoresFile

__all__ = ["CONFIG_DIR", "ConfigError", "RuleFiles", "RuleSet", "default_ruleset", "load_ruleset"]

CONFIG_DIR = Path(__file__).resolve().parent / "config"

# rule-set part → (its file under CONFIG_DIR, the model that validates it)
_PARTS: dict[str, tuple[str, type[BaseModel]]] = {
    "journey": ("journey.yaml", JourneyFile),
    "scores": ("scores.yaml", ScoresFile),
    "next_actions": ("next_actions.yaml", NextActionsFile),
    "accounts": ("accounts.yaml", AccountsFile),
}


def _sources(journey: Path | str | None, scores: Path | str | None, next_actions: Path | str | None,
             accounts: Path | str | None) -> dict[str, Path]:
    given = {"journey": journey, "scores": scores, "next_actions": next_actions, "accounts": accounts}
    return {part: Path(path) if path else CONFIG_DIR / _PARTS[part][0] for part, path in given.items()}


def _ruleset(parts: dict[str, BaseModel], sources: dict[str, Path]) -> RuleSet:
    # each part was validated by the model _PARTS names for it
    return RuleSet(journey=cast(JourneyFile, parts["journey"]), scores=cast(ScoresFile, parts["scores"]),
                   next_actions=cast(NextActionsFile, parts["next_actions"]),
                   accounts=cast(AccountsFile, parts["accounts"]), sources=sources)


def load_ruleset(journey: Path | str | None = None, scores: Path | str | None = None,
                 next_actions: Path | str | None = None, accounts: Path | str | None = None) -> RuleSet:
    """Read the rule files once: `load_ruleset()` is the default journey,
    `load_ruleset(journey="variants/x.yaml")` swaps the journey only. A mistake raises ConfigError."""
    populate_registry()
    sources = _sources(journey, scores, next_actions, accounts)
    return _ruleset({part: load_yaml_model(path, _PARTS[part][1]) for part, path in sources.items()}, sources)


class RuleFiles:
    """The four rule files kept loaded: calling it gives the current RuleSet.

    Each file is a reloading ConfigFile, so an edit is picked up on the next call and a broken
    edit keeps the last good version of that file; the RuleSet is rebuilt only when a file changed.
    """

    def __init__(self, journey: Path | str | None = None, scores: Path | str | None = None,
                 next_actions: Path | str | None = None, accounts: Path | str | None = None):
        populate_registry()
        self.sources = _sources(journey, scores, next_actions, accounts)
        self.files: dict[str, ConfigFile[BaseModel]] = {
            part: ConfigFile(path, _PARTS[part][1]) for part, path in self.sources.items()}
        self._parts: dict[str, BaseModel] | None = None
        self._ruleset: RuleSet | None = None

    def __call__(self) -> RuleSet:
        parts = {part: file() for part, file in self.files.items()}
        if self._ruleset is None or self._parts is None or any(parts[p] is not self._parts[p] for p in parts):
            self._ruleset, self._parts = _ruleset(parts, self.sources), parts
        return self._ruleset

    @property
    def errors(self) -> list[ConfigError]:
        """Broken edits currently ignored (the last good version of those files is in use)."""
        return [f.last_error for f in self.files.values() if f.last_error is not None]

    def cache_clear(self) -> None:
        for file in self.files.values():
            file.cache_clear()
        self._parts = self._ruleset = None


_shipped = RuleFiles()


def default_ruleset() -> RuleSet:
    """The shipped rule files, following edits made while running."""
    return _shipped()
