"""The delivery worker: sends the outbox's pending messages, retrying with exponential back-off.

A message is claimed (pending → sending) by one conditional UPDATE before it is sent, so two workers
— the service's scheduler and a `jinnang alerts deliver` — never send the same row. A row left in
`sending` by a process that died mid-send is not sent again: it may have arrived, and a message
delivered twice is worse than one reported as interrupted (the admin page shows it).
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from jinnang.core.db import open_engine
from jinnang.core.settings import Settings
from jinnang.service.alerts.channels import ChannelError, send
from jinnang.service.alerts.config import channels_config
from jinnang.service.alerts.outbox import FAILED, PENDING, SENDING, SENT, OutboxRow, changed, ready

log = logging.getLogger(__name__)
SENDING_LEASE = dt.timedelta(minutes=15)
INTERRUPTED = "interrupted while sending; not sent again so that it never arrives twice"


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    gave_up: int = 0
    interrupted: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"sent": self.sent, "retrying": self.retrying, "gave_up": self.gave_up,
                "interrupted": self.interrupted, "errors": self.errors[:10]}


def _claim(engine: Engine, row_id: int, now: dt.datetime) -> bool:
    with Session(engine) as session:
        claimed = changed(session, update(OutboxRow).where(OutboxRow.id == row_id, OutboxRow.status == PENDING)
                          .values(status=SENDING, next_attempt_at=now))
        session.commit()
        return claimed == 1


def _finish(engine: Engine, row_id: int, **values) -> None:
    with Session(engine) as session:
        session.execute(update(OutboxRow).where(OutboxRow.id == row_id).values(**values))
        session.commit()


def _give_up_interrupted(engine: Engine, now: dt.datetime) -> int:
    with Session(engine) as session:
        count = changed(session, update(OutboxRow).where(OutboxRow.status == SENDING,
                                                         OutboxRow.next_attempt_at < now - SENDING_LEASE)
                        .values(status=FAILED, last_error=INTERRUPTED))
        session.commit()
        return count


def deliver_due(settings: Settings, now: dt.datetime | None = None, limit: int = 500) -> DeliveryReport:
    """Send every pending message whose time has come; failures wait first_retry × 2^(n−1)."""
    now = now or dt.datetime.now()
    engine = ready(open_engine(settings.db_url))
    config = channels_config(settings)
    report = DeliveryReport(interrupted=_give_up_interrupted(engine, now))
    with Session(engine) as session:
        due = session.scalars(select(OutboxRow).where(OutboxRow.status == PENDING, OutboxRow.next_attempt_at <= now)
                              .order_by(OutboxRow.id).limit(limit)).all()
    for row in due:
        if not _claim(engine, row.id, now):
            continue  # another worker took it
        attempts = row.attempts + 1
        channel = config.channel(row.channel)
        try:
            if channel is None:
                raise ChannelError(f"channel {row.channel!r} is no longer in the channels file")
            send(channel, title=row.title, text=row.text, link=row.link, address=row.address,
                 timeout=config.delivery.timeout_seconds)
        except ChannelError as exc:
            error = str(exc)[:1000]
            report.errors.append(f"{row.key}: {error}")
            if attempts >= config.delivery.max_attempts or channel is None:
                report.gave_up += 1
                log.warning("alert %s given up after %d attempts: %s", row.key, attempts, error)
                _finish(engine, row.id, status=FAILED, attempts=attempts, last_error=error)
            else:
                report.retrying += 1
                _finish(engine, row.id, status=PENDING, attempts=attempts, last_error=error,
                        next_attempt_at=now + config.delivery.backoff(attempts))
            continue
        except Exception as exc:  # a bug in a sender must not stop the others; the row is kept to retry
            log.exception("alert %s: unexpected error while sending", row.key)
            report.retrying += 1
            _finish(engine, row.id, status=PENDING, attempts=attempts, last_error=f"internal error: {exc}"[:1000],
                    next_attempt_at=now + config.delivery.backoff(attempts))
            continue
        report.sent += 1
        _finish(engine, row.id, status=SENT, attempts=attempts, sent_at=dt.datetime.now(), last_error=None)
    return report


def retry_failed(settings: Settings, now: dt.datetime | None = None) -> int:
    """Put given-up messages back in the queue (after a channel was fixed); how many."""
    engine = ready(open_engine(settings.db_url))
    with Session(engine) as session:
        count = changed(session, update(OutboxRow).where(OutboxRow.status == FAILED)
                        .values(status=PENDING, attempts=0, next_attempt_at=now or dt.datetime.now()))
        session.commit()
        return count
