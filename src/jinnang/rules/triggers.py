"""Registered triggers: what happens when an account enters a node (`on_enter`) or a document
arrives in it (`on_document`). Each knows how to fire (stateful store) and whether its outcome
is still pending on a snapshot (stateless next-action)."""
from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from jinnang.core.workdays import add_workdays
from jinnang.rules.context import AccountContext
from jinnang.rules.models import AccountSnapshot, Document, SigningDate
from jinnang.rules.registry import triggers


class WorkOrder(BaseModel):
    key: str                     # idempotency key: one work order per account, node entry and event
    account_id: str
    node: str
    customer: str
    device_model: str | None
    expected_start: dt.date
    engineer_id: str
    engineer_name: str
    engineer_phone: str
    due: dt.date
    rep_message: str


class ServiceWorkOrderParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    open_statuses: list[str] = ["open", "in_progress", "assigned"]
    close_within_days: int = Field(default=5, ge=0)


def pick_engineer(account: AccountSnapshot, engineers) -> Any:
    """The first engineer covering the province; stable per account so re-runs agree."""
    if not engineers:
        raise ValueError("no service engineers configured in the journey file (`engineers`)")
    local = [e for e in engineers if not e.provinces or (account.province or "") in e.provinces]
    pool = local or list(engineers)
    digest = int(hashlib.sha1(account.account_id.encode()).hexdigest(), 16)
    return pool[digest % len(pool)]


class ServiceWorkOrder:
    """Entering the node creates one service work order and tells the rep 服务已就绪."""

    Params = ServiceWorkOrderParams

    @staticmethod
    def fire(account: AccountSnapshot, cfg, rules, at: dt.datetime, event_id: str) -> WorkOrder:
        engineer = pick_engineer(account, rules.journey.engineers)
        start = account.fields.get("trial_start") or at.date()
        values = {"engineer_name": engineer.name, "engineer_phone": engineer.phone,
                  "engineer": f"{engineer.name}（{engineer.phone}）", "hospital": account.hospital or account.account_id,
                  "device_model": account.fields.get("device_model") or "设备", "date": start.isoformat(),
                  "node_label": rules.node_by_id[account.journey_node].label if account.journey_node in rules.node_by_id else ""}
        return WorkOrder(key=f"{account.account_id}:{cfg.rule}:{event_id}", account_id=account.account_id,
                         node=account.journey_node, customer=account.hospital or account.account_id,
                         device_model=account.fields.get("device_model"), expected_start=start,
                         engineer_id=engineer.id, engineer_name=engineer.name, engineer_phone=engineer.phone,
                         due=at.date() + dt.timedelta(days=cfg.params["close_within_days"]),
                         rep_message=cfg.message.format(**values))

    @staticmethod
    def pending(ctx: AccountContext, cfg) -> dict[str, Any] | None:
        """No open ticket on the account → the work order still has to be created."""
        open_statuses = set(cfg.params["open_statuses"])
        if any(t.status in open_statuses for t in ctx.account.service_tickets):
            return None
        engineer = pick_engineer(ctx.account, ctx.rules.journey.engineers)
        return {"engineer_name": engineer.name, "engineer_phone": engineer.phone,
                "engineer": f"{engineer.name}（{engineer.phone}）",
                "date": (ctx.account.fields.get("trial_start") or ctx.today).isoformat(),
                "details": {"engineer_id": engineer.id, "engineer_name": engineer.name,
                            "engineer_phone": engineer.phone,
                            "expected_start": (ctx.account.fields.get("trial_start") or ctx.today).isoformat(),
                            "device_model": ctx.account.fields.get("device_model")}}


triggers.register("jinnang.trigger.service_work_order.v1", func=ServiceWorkOrder)


class LockSigningDateParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    document_type: str
    stamped_by_both: bool = True
    working_days: int = Field(ge=0)
    adjust_days: int = Field(ge=0)


class LockSigningDate:
    """A draft stamped by both parties locks the signing date to upload + N working days."""

    Params = LockSigningDateParams

    @staticmethod
    def matching(documents: list[Document], cfg) -> Document | None:
        p = cfg.params
        hits = [d for d in documents if d.type == p["document_type"] and (d.stamped_by_both or not p["stamped_by_both"])]
        return max(hits, key=lambda d: d.uploaded_at) if hits else None

    @staticmethod
    def predict(document: Document, cfg) -> tuple[dt.date, list[str]]:
        warnings: list[str] = []
        return add_workdays(document.uploaded_at.date(), cfg.params["working_days"], warnings), warnings

    @classmethod
    def fire(cls, account: AccountSnapshot, cfg, rules, at: dt.datetime, event_id: str) -> SigningDate | None:
        doc = cls.matching(account.documents, cfg)
        if doc is None:
            return None
        predicted, _ = cls.predict(doc, cfg)
        return SigningDate(predicted=predicted, base=predicted, locked_at=at, adjusted_by=None)

    @classmethod
    def pending(cls, ctx: AccountContext, cfg) -> dict[str, Any] | None:
        doc = cls.matching(ctx.account.documents, cfg)
        if doc is None:
            return None
        locked = ctx.account.signing_date
        predicted, warnings = cls.predict(doc, cfg)
        if locked is not None and locked.base == predicted:
            return None   # already locked from this draft
        ctx.warnings.extend(w for w in warnings if w not in ctx.warnings)
        return {"date": predicted.isoformat(), "upload_date": doc.uploaded_at.date().isoformat(),
                "workdays": cfg.params["working_days"], "warning": "；".join(warnings),
                "adjust_days": cfg.params["adjust_days"],
                "details": {"predicted_signing_date": predicted.isoformat(),
                            "earliest": (predicted - dt.timedelta(days=cfg.params["adjust_days"])).isoformat(),
                            "latest": (predicted + dt.timedelta(days=cfg.params["adjust_days"])).isoformat(),
                            "draft_uploaded_at": doc.uploaded_at.isoformat(), "warnings": warnings}}


triggers.register("jinnang.trigger.lock_signing_date.v1", func=LockSigningDate)
