"""Alerts that reach people: 站内信, 企业微信 and 钉钉 group robots, e-mail.

config (channels file + Chinese templates) → sources (stall episodes, triggers, low PHI) → routing
(one message per recipient and channel, keyed) → outbox (stored once) → delivery (retries, back-off).

    check_and_queue(settings)          # the nightly stall check and triggers → queued messages
    deliver_due(settings)              # send what is due; failures retried later
    inbox(engine, "demo-manager")      # the 站内信 of one person
"""
from __future__ import annotations

import datetime as dt

from jinnang.core.db import open_engine
from jinnang.core.settings import Settings
from jinnang.service.alerts.config import MESSAGES, channels_config, channels_file
from jinnang.service.alerts.delivery import DeliveryReport, deliver_due, retry_failed
from jinnang.service.alerts.outbox import InboxItem, enqueue, inbox, mark_read, outbox_counts, unread_count
from jinnang.service.alerts.routing import messages_for
from jinnang.service.alerts.sources import phi_alerts, previous_month, stall_alerts, trigger_alerts

__all__ = ["MESSAGES", "DeliveryReport", "InboxItem", "channels_config", "channels_file", "check_and_queue",
           "deliver_due", "inbox", "mark_read", "outbox_counts", "queue_phi", "retry_failed", "unread_count"]


def check_and_queue(settings: Settings, now: dt.datetime | None = None) -> dict[str, int]:
    """Run the stall check (recording each episode) and queue every stall's and trigger's messages."""
    now = now or dt.datetime.now()
    stalls = stall_alerts(settings, now)
    triggers = trigger_alerts(settings)
    messages = messages_for([*stalls, *triggers], channels_config(settings))
    queued = enqueue(open_engine(settings.db_url), messages, now)
    return {"stalls": len(stalls), "triggers": len(triggers), "messages": len(messages), "queued": queued}


def queue_phi(settings: Settings, now: dt.datetime | None = None, month: str | None = None) -> dict[str, object]:
    """Last month's process health index per team; managers of a team below the line are told."""
    now = now or dt.datetime.now()
    month = month or previous_month(now)
    alerts, values = phi_alerts(settings, month)
    queued = enqueue(open_engine(settings.db_url), messages_for(alerts, channels_config(settings)), now)
    return {"month": month, "teams": values, "below_line": len(alerts), "queued": queued}
