"""Evidence checks: what a node asks for before an account may enter it, and what is missing."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from jinnang.rules.models import AccountSnapshot, Contact
from jinnang.rules.rule_files import ContactRequirement, FieldRule, Node


@dataclass(frozen=True)
class Missing:
    """One piece of evidence a node asks for that the account does not have (or has wrong)."""

    kind: str      # document | field | contact | invalid_field
    key: str
    label: str
    detail: str = ""

    def text(self) -> str:
        return f"{self.label}（{self.detail}）" if self.detail else self.label


def satisfies(person: Contact, need: ContactRequirement) -> bool:
    """A contact with the required role and/or the required attribute filled in."""
    return (need.role is None or person.role == need.role) and (
        need.with_field is None or bool(getattr(person, need.with_field, None)))


def missing_for_node(account: AccountSnapshot, node: Node) -> list[Missing]:
    """What `account` lacks to be in `node` (documents, fields, contacts), in rule-file order."""
    missing: list[Missing] = []
    need = node.evidence
    for doc in need.documents:
        have = sum(1 for d in account.documents if d.type == doc.type)
        if have < doc.min_count:
            detail = f"需 {doc.min_count} 份，现有 {have} 份" if doc.min_count > 1 else ""
            missing.append(Missing("document", doc.type, doc.label or doc.type, detail))
    for f in need.fields:
        if account.fields.get(f.key) is None:
            missing.append(Missing("field", f.key, f.label))
    for c in need.contacts:
        if not any(satisfies(p, c) for p in account.contacts):
            missing.append(Missing("contact", c.role or c.with_field or "contact", c.label))
    return missing


def field_problems(account: AccountSnapshot, field_rules: Iterable[FieldRule]) -> list[Missing]:
    """Cross-node field rules (e.g. 预算批复文号 for public hospitals)."""
    out: list[Missing] = []
    for rule in field_rules:
        out += rule.function()(account, rule)
    return out
