"""From an alert (a stall episode, a trigger, a low process-health month) to the outbox's messages:
one per recipient for personal channels (in-app, e-mail), one per alert for a group robot, each
with a key that names the alert, the channel and the person, so it is queued once.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from jinnang.core.users import User
from jinnang.service.alerts.config import Channel, ChannelsFile, render_message
from jinnang.service.alerts.outbox import Message

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recipient:
    user: User
    role: str  # "rep" or "manager": what the channels' `roles` filter on


@dataclass
class Alert:
    kind: str                      # stall, trigger, phi (the template's name)
    key: str                       # stall:<episode id>, trigger:<work order key>, phi:<team>:<month>
    recipients: list[Recipient]
    values: dict[str, object]
    link: str | None
    account_id: str | None = None
    teams: set[str] = field(default_factory=set)  # the teams the alert is about, for the channels' `teams`


def _address(channel: Channel, user: User) -> str | None:
    return channel.addresses.get(user.username) or (user.username if "@" in user.username else None)


def messages_for(alerts: list[Alert], config: ChannelsFile) -> list[Message]:
    messages: list[Message] = []
    for alert in alerts:
        for channel in config.channels:
            if channel.teams and not alert.teams & set(channel.teams):
                continue
            reached = [r for r in alert.recipients if r.role in channel.roles and r.user.active]
            if not reached:
                continue
            if not channel.personal:
                names = "、".join(dict.fromkeys(r.user.display_name for r in reached))
                title, text = render_message(alert.kind, {**alert.values, "recipient": names})
                messages.append(Message(key=f"{alert.key}:{channel.id}", kind=alert.kind, channel=channel.id,
                                        channel_kind=channel.kind, recipient="", title=title, text=text,
                                        link=alert.link, account_id=alert.account_id))
                continue
            for r in reached:
                address = _address(channel, r.user) if channel.kind == "email" else None
                if channel.kind == "email" and address is None:
                    log.warning("no e-mail address for %s in channel %s (addresses:)", r.user.username, channel.id)
                    continue
                title, text = render_message(alert.kind, {**alert.values, "recipient": r.user.display_name})
                messages.append(Message(key=f"{alert.key}:{channel.id}:{r.user.username}", kind=alert.kind,
                                        channel=channel.id, channel_kind=channel.kind, recipient=r.user.username,
                                        title=title, text=text, link=alert.link, account_id=alert.account_id,
                                        address=address))
    return messages
