"""The entity layer's editable vocabularies (YAML beside this file), validated on load.

A mistake names file, line and field:
    ConfigError: nlp/gazetteers/titles.yaml line 9, field titles[3].kind: Input should be 'post', …
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from jinnang.core.config import ConfigFile, RegexPattern, load_yaml_model
from jinnang.core.records import ROLES, Role

HERE = Path(__file__).resolve().parent


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Title(_Strict):
    written: str = Field(min_length=1)
    bare: str = Field(min_length=1)
    kind: Literal["post", "professional", "address"]
    after_surname_only: bool = False
    own_staff: bool = False
    # what must follow a short written form for it to count (杨科 说… / 贺处: but not 科室, 处理)
    followed_by: RegexPattern | None = None
    # a post hospitals seldom give without a unit (经理: more often our own manager, a distributor
    # or a report's addressee): the person is listed only where a department is read with them
    needs_department: bool = False
    # professional titles this post is also a form of address for, after a surname alone: a
    # person named in full with one of them and elsewhere as 邵主任 keeps the professional title
    addresses: list[str] = []


class Titles(_Strict):
    titles: list[Title]
    title_modifiers: list[str] = []
    # what makes a title part of a body's name, no person's (院长办公会 is a meeting)
    body_words: list[str] = []


class OwnCompany(_Strict):
    cues: list[str]
    window: int = Field(8, ge=1, le=40)
    clause_breaks: str
    # words between a cue and a person showing we go to meet them (我们先找ICU的褚护士长)
    contact_words: list[str] = []
    # a person @-mentioned in a chat message is a member of the rep's own group
    chat_mentions: list[str] = []


class DepartmentFamily(_Strict):
    """Units named by a specialty and a unit word: 消化内镜+中心, 导管+室 (kept apart from the
    clinical prefixes so that 心+室 or 体检+中心 are not read as departments)."""
    prefixes: list[str] = Field(min_length=1)
    cores: list[str] = Field(min_length=1)


class Departments(_Strict):
    units: list[str]
    clinical_prefixes: list[str]
    clinical_cores: list[str]
    families: list[DepartmentFamily] = []
    # units that are also everyday words (带量采购): a department only right before a person
    adjacent_only: list[str] = []
    # form fields whose value is the note's own (using) department: 试用科室：脊柱外科
    department_fields: list[str] = []
    # a department heading a form section: 设备科意见（科长 殷志强）, 信息科评价：…
    section_words: list[str] = []
    # fields on the line after such a section that name its signer: 经办人：方晓（工程师）
    signer_fields: list[str] = []
    # how many characters back in the same sentence a department still belongs to a person
    # (去设备科找龚科长, 器械科了，戴科长收的)
    sentence_window: int = Field(14, ge=0, le=60)


class ChainOrganizations(_Strict):
    """Private groups written by brand, with an optional city before and a branch after:
    美年大健康西安高新分院, 北京瑞尔齿科, 爱尔眼科沈阳分院, 瑞尔齿科华东区."""
    brands: list[str] = []
    branch_suffixes: list[str] = []
    max_branch_chars: int = Field(default=8, ge=0, le=20)
    max_city_chars: int = Field(default=4, ge=0, le=10)


class Organizations(_Strict):
    hospital_suffixes: list[str]
    trailing_words: list[str] = []
    # campus words kept as part of the name (青岛市市立医院东院)
    campus_words: list[str] = []
    leading_stops: list[str] = []
    # a suffix is no organization's end when one of these follows it (口腔 + 科 is 口腔科)
    suffix_blockers: dict[str, list[str]] = {}
    # names of one character allowed before a suffix (省口腔, 市一院)
    short_names: list[str] = []
    # verbs glued to the front of a name by speech (今儿上大连医科大学附属二院): cut when a
    # place name follows them
    verb_prefixes: list[str] = []
    # spoken words that end the text before a name (老周说自治区人民医院)
    cut_after: list[str] = []
    max_name_chars: int = Field(20, ge=4, le=40)
    min_name_chars: int = Field(2, ge=1)
    chains: ChainOrganizations = ChainOrganizations()


def _role(value: Any) -> Any:
    """Checked before the type, so that the message lists the roles."""
    if value not in ROLES:
        raise ValueError(f"unknown role {value!r}; one of {', '.join(ROLES)}")
    return value


class DepartmentRole(_Strict):
    words: list[str] = Field(min_length=1)
    role: Role

    _check = field_validator("role", mode="before")(classmethod(lambda cls, v: _role(v)))


class Roles(_Strict):
    committee_cues: list[str]
    leader_titles: dict[str, Role]
    department_roles: list[DepartmentRole]
    title_roles: dict[str, Role]

    @field_validator("leader_titles", "title_roles", mode="before")
    @classmethod
    def _known_roles(cls, v: Any) -> Any:
        for role in v.values() if isinstance(v, dict) else ():
            _role(role)
        return v


class Surnames(_Strict):
    single: str
    compound: list[str] = []
    # characters of names written by sound (Uyghur, Kazakh, Mongolian, Tibetan, Yi …), which have
    # no Han surname: 古丽娜尔, 额尔敦, 努尔兰·阿合买提
    transliteration: str = ""

    @field_validator("single", "transliteration")
    @classmethod
    def _chinese_characters_only(cls, v: str) -> str:
        v = "".join(v.split())
        # a '# comment' inside the folded block would otherwise make '#', '(' … surnames
        stray = sorted({c for c in v if not "\u4e00" <= c <= "\u9fff"})
        if stray:
            raise ValueError(f"only Chinese characters belong here, not {' '.join(stray)} (a comment goes above the field)")
        return v


def load(model: type[BaseModel], path: Path) -> Any:
    return load_yaml_model(path, model)


# read once (the compiled patterns built from them are cached too); `jinnang config check` sees them
_FILES: dict[str, ConfigFile[Any]] = {
    name: ConfigFile(HERE / f"{name}.yaml", model, reload=False)
    for name, model in (("titles", Titles), ("own_company", OwnCompany), ("departments", Departments),
                        ("organizations", Organizations), ("roles", Roles), ("surnames", Surnames))
}


@lru_cache(maxsize=1)
def gazetteers() -> dict[str, Any]:
    """All vocabularies beside this file, validated: {"titles", "own_company", "departments", …}."""
    return {name: file() for name, file in _FILES.items()}
