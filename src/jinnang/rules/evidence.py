"""Evidence checks: what a node asks for before an account may enter it."""
from __future__ import annotations

from jinnang.rules.config import Node
from jinnang.rules.context import AccountContext, Missing
from jinnang.rules.models import AccountSnapshot


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
        if not any((c.role is None or p.role == c.role) and (c.with_field is None or getattr(p, c.with_field, None))
                   for p in account.contacts):
            missing.append(Missing("contact", c.role or c.with_field or "contact", c.label))
    return missing


def field_problems(ctx: AccountContext) -> list[Missing]:
    """Cross-node field rules (e.g. 预算批复文号 for public hospitals)."""
    out: list[Missing] = []
    for rule in ctx.rules.journey.field_rules:
        out += rule.function()(ctx.account, rule)
    return out


def current_problems(ctx: AccountContext) -> list[Missing]:
    """Only the current node is re-checked; nodes already passed are not."""
    return missing_for_node(ctx.account, ctx.node) + field_problems(ctx)
