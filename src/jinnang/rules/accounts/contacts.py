"""One person, one contact: at one hospital the notes' 王主任 / 王建国主任 / Dr. Wang are one contact.

    same_person(Contact(name="王", title="主任", department="骨科"),
                Contact(name="Wang", title="主任", department="orthopedics"))   # True
    merge_into(contacts, new)   # → (contacts with `new` merged into its person or appended, index)

Two contacts are one person when their surnames match (in characters, or through the pinyin table
of rules/config/contacts.yaml), their given names do not contradict (王 and 王建国 agree, 王建国 and
王建华 do not; a pinyin given name cannot be checked and is taken as agreeing), they are not of two
different organizations, and they share a department (aliases counted as one) or, where a department
is unknown, a title, a role or the very name. A name that fits several contacts merges with none:
a wrong merge loses a person.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, field_validator

from jinnang.core.config import ConfigFile
from jinnang.rules.config import CONFIG_DIR
from jinnang.rules.models import Contact

_CJK = re.compile(r"[\u4e00-\u9fff]")
_WORD = re.compile(r"[A-Za-z]+")


class ContactNamesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    surname_pinyin: dict[str, str] = Field(min_length=1)  # pinyin → the surnames it may stand for
    honorifics: list[str] = []
    familiar_prefixes: list[str] = []
    department_aliases: dict[str, list[str]] = {}
    title_aliases: dict[str, list[str]] = {}

    @field_validator("surname_pinyin")
    @classmethod
    def _pinyin_keys(cls, value: dict[str, str]) -> dict[str, str]:
        for key, surnames in value.items():
            if not key.isascii() or not key.isalpha() or key != key.lower():
                raise ValueError(f"{key!r} must be lower-case pinyin letters [at {key}]")
            if not surnames.strip() or not all(_CJK.match(c) for c in surnames.strip()):
                raise ValueError(f"{surnames!r} must be Chinese surnames [at {key}]")
        return value


@dataclass(frozen=True)
class NameRules:
    pinyin: dict[str, tuple[str, ...]]  # pinyin → surnames (a compound surname is one entry)
    honorifics: frozenset[str]
    familiar_prefixes: tuple[str, ...]
    departments: dict[str, str]  # any written form (lower-cased) → the canonical one
    titles: dict[str, str]

    @classmethod
    def build(cls, file: ContactNamesFile) -> NameRules:
        def canonical(table: dict[str, list[str]]) -> dict[str, str]:
            return {alias.lower(): main for main, aliases in table.items() for alias in [main, *aliases]}

        compound = {s for s in file.surname_pinyin.values() if len(s) == 2 and s in _compound_surnames()}
        return cls(pinyin={k: ((v,) if v in compound else tuple(v)) for k, v in file.surname_pinyin.items()},
                   honorifics=frozenset(h.lower() for h in file.honorifics),
                   familiar_prefixes=tuple(file.familiar_prefixes),
                   departments=canonical(file.department_aliases), titles=canonical(file.title_aliases))


@lru_cache(maxsize=1)
def _compound_surnames() -> frozenset[str]:
    from jinnang.nlp.gazetteers import gazetteers

    return frozenset(gazetteers()["surnames"].compound)


NAME_RULES: ConfigFile[NameRules] = ConfigFile(CONFIG_DIR / "contacts.yaml", ContactNamesFile, NameRules.build)


@dataclass(frozen=True)
class PersonName:
    surnames: frozenset[str]  # the Chinese surnames it may be (one when written in characters)
    given: str | None  # the given name, None when unknown
    chinese: bool

    @property
    def known(self) -> bool:
        return bool(self.surnames)


def parse_name(name: str, rules: NameRules | None = None) -> PersonName:
    """王建国 → 王 + 建国; 欧阳明 → 欧阳 + 明; 老王 → 王; Dr. Wang → 王 or 汪; Wang Jianguo → 王/汪 + jianguo."""
    rules = rules or NAME_RULES()
    name = name.strip()
    if _CJK.match(name):
        for prefix in rules.familiar_prefixes:
            if name.startswith(prefix) and len(name) == len(prefix) + 1:
                return PersonName(frozenset({name[len(prefix):]}), None, True)
        surname = name[:2] if name[:2] in _compound_surnames() else name[:1]
        return PersonName(frozenset({surname}), name[len(surname):] or None, True)
    words = [w.lower() for w in _WORD.findall(name) if w.lower() not in rules.honorifics]
    known = [w for w in words if w in rules.pinyin]
    if not known:
        return PersonName(frozenset(), None, False)
    # Chinese order (Wang Jianguo) first; Western order (Jianguo Wang) when only the last is a surname
    surname = known[0] if words[0] in rules.pinyin else known[-1]
    given = " ".join(w for w in words if w != surname) or None
    return PersonName(frozenset(rules.pinyin[surname]), given, False)


def _department(contact: Contact, rules: NameRules) -> str | None:
    """The contact's department in its canonical form; an organization standing in for a missing
    department (extraction's contact_from) is no department."""
    department = contact.department
    if not department or department == contact.organization:
        return None
    return rules.departments.get(department.lower(), department)


def _title(contact: Contact, rules: NameRules) -> str | None:
    return rules.titles.get(contact.title.lower(), contact.title) if contact.title else None


def same_person(a: Contact, b: Contact, rules: NameRules | None = None) -> bool:
    rules = rules or NAME_RULES()
    if a.organization and b.organization and a.organization != b.organization:
        return False
    if a.name == b.name and _department(a, rules) == _department(b, rules):
        return True
    name_a, name_b = parse_name(a.name, rules), parse_name(b.name, rules)
    if not (name_a.known and name_b.known and name_a.surnames & name_b.surnames):
        return False
    if name_a.given and name_b.given and name_a.chinese == name_b.chinese and name_a.given != name_b.given:
        return False
    dept_a, dept_b = _department(a, rules), _department(b, rules)
    if dept_a and dept_b:
        return dept_a == dept_b
    # a department unknown on one side: the same post, the same role or the very same name
    title_a, title_b = _title(a, rules), _title(b, rules)
    return bool(title_a and title_a == title_b) or a.role == b.role != "other" or a.name == b.name


def _name_rank(name: str, rules: NameRules) -> tuple[int, int]:
    parsed = parse_name(name, rules)
    return (2 if parsed.chinese else 1 if parsed.known else 0, 1 if parsed.given else 0)


def merge_pair(old: Contact, new: Contact, rules: NameRules | None = None) -> Contact:
    """The contact both describe: the fullest name (王建国 over 王 over Wang), what the newer says over
    what is known except blanks, an unspecific `other` role, an organization standing in for a department
    and an English alias of a department already known; evidence spans accumulate, best confidence kept."""
    rules = rules or NAME_RULES()
    update = {k: v for k, v in new.model_dump(exclude={"evidence", "confidence", "name"}).items()
              if v and (k != "role" or v != "other")}
    old_department = _department(old, rules)
    if old_department and (_department(new, rules) in (None, old_department)):
        update.pop("department", None)  # a stand-in or another spelling of the known department
    name = max([old.name, new.name], key=lambda n: _name_rank(n, rules))  # max keeps the first of equals
    evidence = [*old.evidence, *(e for e in new.evidence if e not in old.evidence)]
    return old.model_copy(update={**update, "name": name, "evidence": evidence,
                                  "confidence": max(old.confidence, new.confidence)})


def find_person(contacts: list[Contact], new: Contact, rules: NameRules | None = None,
                skip: int | None = None) -> int | None:
    """The index of the one contact that is `new`'s person (an exact name match wins), else None."""
    rules = rules or NAME_RULES()
    candidates = [i for i, c in enumerate(contacts) if i != skip and same_person(c, new, rules)]
    exact = [i for i in candidates if contacts[i].name == new.name]
    if len(exact) == 1:
        return exact[0]
    return candidates[0] if len(candidates) == 1 else None


def merge_into(contacts: list[Contact], new: Contact, rules: NameRules | None = None) -> tuple[list[Contact], int,
                                                                                                bool]:
    """(contacts with `new` merged into its person or appended, its index, whether it was appended)."""
    rules = rules or NAME_RULES()
    contacts = list(contacts)
    same = find_person(contacts, new, rules)
    if same is None:
        contacts.append(new)
        return contacts, len(contacts) - 1, True
    contacts[same] = merge_pair(contacts[same], new, rules)
    return contacts, same, False


def deduplicate(contacts: list[Contact], rules: NameRules | None = None) -> list[Contact]:
    """Merge the contacts that turn out to be one person (after a correction gave one a full name)."""
    rules = rules or NAME_RULES()
    merged: list[Contact] = []
    for contact in contacts:
        merged, _, _ = merge_into(merged, contact, rules)
    return merged
