"""The words of the pages, in Chinese and English: `web/config/ui/*.yaml`, one file per page area.

They live here, under the shells, so that `jinnang config check` validates them with every other
configuration file; `web/templating.py` reads them through `words(lang)`.
"""
from __future__ import annotations

from pydantic import BaseModel, RootModel, field_validator, model_validator

from jinnang.core.config import ConfigFile
from jinnang.core.paths import PACKAGE

UI_DIR = PACKAGE / "web" / "config" / "ui"
LANGUAGES = ("zh", "en")


class Phrase(BaseModel):
    zh: str
    en: str

    @field_validator("zh", "en", mode="before")
    @classmethod
    def _words_not_yaml_values(cls, value: object) -> object:
        # YAML reads a bare Yes, No, On, Off as true/false and 1.0 as a number
        if not isinstance(value, str):
            raise ValueError(f"YAML read this as {value!r}, not as words; put it in quotes")
        return value


class UiWords(RootModel[dict[str, Phrase]]):
    @model_validator(mode="after")
    def _keys_are_names(self) -> UiWords:
        for key in self.root:
            if not key.replace("_", "").isalnum():
                raise ValueError(f"key {key!r} must be letters, digits and _ [at {key}]")
        return self


WORD_FILES: list[ConfigFile[UiWords]] = [ConfigFile(path, UiWords) for path in sorted(UI_DIR.glob("*.yaml"))]


def words(lang: str) -> dict[str, str]:
    """Every key of every area's file in `lang` (the files share one table, so keys are unique across areas)."""
    merged: dict[str, str] = {}
    for file in WORD_FILES:
        merged.update({k: getattr(v, lang) for k, v in file().root.items()})
    return merged
