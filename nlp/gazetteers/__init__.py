"""The entity layer's editable vocabularies (YAML beside this file), validated on load.

A mistake names file, line and field:
    GazetteerError: nlp/gazetteers/titles.yaml line 9, field titles[3].kind: Input should be 'post', …
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from jinnang.config import ConfigFileError, load_yaml_model
from jinnang.records import ROLES

HERE = Path(__file__).resolve().parent


class GazetteerError(ConfigFileError):
    """A gazetteer file that does not validate; the message names file, line and field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Title(_Strict):
    written: str = Field(min_length=1)
    bare: str = Field(min_length=1)
    kind: Literal["post", "professional", "address"]
    after_surname_only: bool = False
    own_staff: bool = False


class Titles(_Strict):
    titles: list[Title]
    title_modifiers: list[str] = []


class OwnCompany(_Strict):
    cues: list[str]
    window: int = Field(8, ge=1, le=40)
    clause_breaks: str


class Departments(_Strict):
    units: list[str]
    clinical_prefixes: list[str]
    clinical_cores: list[str]


class Organizations(_Strict):
    hospital_suffixes: list[str]
    trailing_words: list[str] = []
    leading_stops: list[str] = []
    min_name_chars: int = Field(2, ge=1)


def _role(value: str) -> str:
    if value not in ROLES:
        raise ValueError(f"unknown role {value!r}; one of {', '.join(ROLES)}")
    return value


class DepartmentRole(_Strict):
    words: list[str] = Field(min_length=1)
    role: str

    _check = field_validator("role")(classmethod(lambda cls, v: _role(v)))


class Roles(_Strict):
    committee_cues: list[str]
    leader_titles: dict[str, str]
    department_roles: list[DepartmentRole]
    title_roles: dict[str, str]

    @field_validator("leader_titles", "title_roles")
    @classmethod
    def _known_roles(cls, v: dict[str, str]) -> dict[str, str]:
        for role in v.values():
            _role(role)
        return v


class Surnames(_Strict):
    single: str
    compound: list[str] = []

    @field_validator("single")
    @classmethod
    def _no_spaces(cls, v: str) -> str:
        return "".join(v.split())


def load(model: type[BaseModel], path: Path) -> Any:
    return load_yaml_model(path, model, GazetteerError)


@lru_cache(maxsize=None)
def gazetteers(directory: str = str(HERE)) -> dict[str, Any]:
    """All vocabularies of `directory`, validated: {"titles", "own_company", "departments", …}."""
    d = Path(directory)
    return {
        "titles": load(Titles, d / "titles.yaml"),
        "own_company": load(OwnCompany, d / "own_company.yaml"),
        "departments": load(Departments, d / "departments.yaml"),
        "organizations": load(Organizations, d / "organizations.yaml"),
        "roles": load(Roles, d / "roles.yaml"),
        "surnames": load(Surnames, d / "surnames.yaml"),
    }
