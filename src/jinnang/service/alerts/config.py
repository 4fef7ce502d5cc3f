"""The alerts' two configuration files: where messages go and when the nightly jobs run (the channels
file, `settings.alerts_file` or the packaged in-app-only one), and the Chinese message templates a
sales-operations person edits. Both load through the one config loader, so a broken edit names its
file, line and field and the last good version stays in use.
"""
from __future__ import annotations

import datetime as dt
import re
import string
import threading
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from jinnang.core.config import ConfigFile
from jinnang.core.settings import Settings

CONFIG_DIR = Path(__file__).resolve().parent / "config"
PACKAGED_CHANNELS = CONFIG_DIR / "alerts.yaml"
MESSAGES_PATH = CONFIG_DIR / "messages.yaml"

ChannelKind = Literal["in_app", "wecom", "dingtalk", "email"]
JOB_NAMES = ("stall_check", "deliver", "playbook_refresh", "monthly_phi", "learn")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def seconds_of(value: str) -> float:
    """'90s' → 90, '5m' → 300, '6h' → 21600, '1d' → 86400."""
    found = _DURATION.match(str(value))
    if not found:
        raise ValueError(f"{value!r} is not a duration like 90s, 5m, 6h or 1d")
    return float(found.group(1)) * _UNIT_SECONDS[found.group(2)]


class Channel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    kind: ChannelKind
    roles: list[Literal["rep", "manager"]] = ["rep", "manager"]  # whom it reaches
    teams: list[str] = []                                         # empty: every team
    url: str | None = None                                        # wecom, dingtalk
    secret: str | None = None                                     # dingtalk's 加签 secret
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    sender: str | None = None
    addresses: dict[str, str] = {}                                # user name → e-mail address

    @model_validator(mode="after")
    def _complete(self) -> Channel:
        if self.kind in ("wecom", "dingtalk") and not (self.url or "").startswith(("http://", "https://")):
            raise ValueError(f"a {self.kind} channel needs the robot's webhook address (http… or https…) [at url]")
        if self.kind == "email":
            if not self.smtp_host:
                raise ValueError("an email channel needs smtp_host [at smtp_host]")
            if not self.sender or "@" not in self.sender:
                raise ValueError("an email channel needs a sender address [at sender]")
        return self

    @property
    def personal(self) -> bool:
        """In-app and e-mail reach one person; a group robot posts once per alert to its group."""
        return self.kind in ("in_app", "email")


class Delivery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_attempts: int = Field(default=6, ge=1, le=50)
    first_retry: str = "1m"
    max_retry: str = "6h"
    timeout_seconds: float = Field(default=10, gt=0, le=120)

    @field_validator("first_retry", "max_retry")
    @classmethod
    def _duration(cls, value: str) -> str:
        seconds_of(value)
        return value

    def backoff(self, attempts: int) -> dt.timedelta:
        """The wait after the `attempts`-th failure: first_retry × 2^(attempts−1), at most max_retry."""
        wait = seconds_of(self.first_retry) * 2 ** max(attempts - 1, 0)
        return dt.timedelta(seconds=min(wait, seconds_of(self.max_retry)))


class JobSchedule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    every: str | None = None
    at: str | None = None                      # HH:MM, local time
    day: int | None = Field(default=None, ge=1, le=28)  # day of the month (with `at`)

    @model_validator(mode="after")
    def _one_way(self) -> JobSchedule:
        if (self.every is None) == (self.at is None):
            raise ValueError("give either every: (like 5m) or at: (like \"02:00\")")
        if self.every is not None:
            seconds_of(self.every)
            if self.day is not None:
                raise ValueError("day: goes with at:, not with every: [at day]")
        if self.at is not None and not re.match(r"^([01]\d|2[0-3]):[0-5]\d$", self.at):
            raise ValueError(f"{self.at!r} is not a time like 02:00 [at at]")
        return self

    def slot(self, now: dt.datetime) -> dt.datetime:
        """The latest scheduled moment at or before `now`: a job runs once per slot."""
        if self.every is not None:
            step = seconds_of(self.every)
            return dt.datetime.fromtimestamp((now.timestamp() // step) * step)
        assert self.at is not None
        hour, minute = (int(p) for p in self.at.split(":"))
        if self.day is None:
            point = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
            return point if point <= now else point - dt.timedelta(days=1)
        point = now.replace(day=self.day, hour=hour, minute=minute, second=0, microsecond=0)
        if point <= now:
            return point
        previous = now.replace(day=1) - dt.timedelta(days=1)
        return previous.replace(day=self.day, hour=hour, minute=minute, second=0, microsecond=0)


class ChannelsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channels: list[Channel] = [Channel(id="in_app", kind="in_app")]
    delivery: Delivery = Delivery()
    schedule: dict[str, JobSchedule] = {}
    tick_seconds: float = Field(default=30, ge=0.05, le=3600)  # how often the scheduler looks at the clock

    @field_validator("channels")
    @classmethod
    def _unique_ids(cls, channels: list[Channel]) -> list[Channel]:
        seen: set[str] = set()
        for i, channel in enumerate(channels):
            if channel.id in seen:
                raise ValueError(f"channel id {channel.id!r} is used twice [at {i}/id]")
            seen.add(channel.id)
        return channels

    @field_validator("schedule")
    @classmethod
    def _known_jobs(cls, schedule: dict[str, JobSchedule]) -> dict[str, JobSchedule]:
        for name in schedule:
            if name not in JOB_NAMES:
                raise ValueError(f"no job {name!r}; the jobs are {', '.join(JOB_NAMES)} [at {name}]")
        return schedule

    def channel(self, channel_id: str) -> Channel | None:
        return next((c for c in self.channels if c.id == channel_id), None)

    def job_schedule(self, name: str) -> JobSchedule:
        return self.schedule.get(name) or DEFAULT_SCHEDULE[name]


DEFAULT_SCHEDULE = {"stall_check": JobSchedule(at="02:00"), "deliver": JobSchedule(every="2m"),
                    "playbook_refresh": JobSchedule(at="02:30"), "monthly_phi": JobSchedule(day=1, at="06:00"),
                    "learn": JobSchedule(enabled=False, at="03:00")}  # service/team_learning.py: why off


# ------------------------------------------------------------------ message templates

PLACEHOLDERS = {
    "stall": {"customer", "node_label", "idle", "limit", "hours_over", "action", "next_step", "link", "recipient",
              "account_id"},
    "trigger": {"customer", "node_label", "message", "link", "recipient", "account_id"},
    "phi": {"team", "month", "value", "line", "diagnosis", "link", "recipient"},
}


class Template(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1)
    text: str = Field(min_length=1)


class MessagesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stall: Template
    trigger: Template
    phi: Template

    @model_validator(mode="after")
    def _known_placeholders(self) -> MessagesFile:
        for kind, allowed in PLACEHOLDERS.items():
            template: Template = getattr(self, kind)
            for part in ("title", "text"):
                try:
                    names = {name for _, name, _, _ in string.Formatter().parse(getattr(template, part)) if name}
                except ValueError as exc:
                    raise ValueError(f"{exc} (write {{{{ and }}}} for a literal brace) [at {kind}/{part}]") from None
                unknown = names - allowed
                if unknown:
                    raise ValueError(f"unknown placeholder {{{sorted(unknown)[0]}}}; this message knows "
                                     f"{', '.join(sorted(allowed))} [at {kind}/{part}]")
        return self


MESSAGES: ConfigFile[MessagesFile] = ConfigFile(MESSAGES_PATH, MessagesFile)
_PACKAGED: ConfigFile[ChannelsFile] = ConfigFile(PACKAGED_CHANNELS, ChannelsFile)
_BY_PATH: dict[Path, ConfigFile[ChannelsFile]] = {}
_lock = threading.Lock()


def channels_file(settings: Settings) -> ConfigFile[ChannelsFile]:
    """The channels file in use: `settings.alerts_file`, or the packaged one (in-app only)."""
    if settings.alerts_file is None:
        return _PACKAGED
    path = Path(settings.alerts_file).resolve()
    with _lock:
        if path not in _BY_PATH:
            _BY_PATH[path] = ConfigFile(path, ChannelsFile)
        return _BY_PATH[path]


def channels_config(settings: Settings) -> ChannelsFile:
    return channels_file(settings)()


def render_message(kind: str, values: dict[str, object]) -> tuple[str, str]:
    """(title, text) of a `kind` message with `values` filled in; lines left empty are dropped."""
    template: Template = getattr(MESSAGES(), kind)
    known = {name: values.get(name, "") for name in PLACEHOLDERS[kind]}
    text = "\n".join(line for line in template.text.format(**known).splitlines() if line.strip())
    return template.title.format(**known).strip(), text
