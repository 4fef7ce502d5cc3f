"""`jinnang alerts …` (the stall check, delivery, the outbox) and `jinnang jobs …` (the scheduled jobs).

The service runs these itself on its schedule; the commands are for a first check, a retry after a
channel was fixed, and deployments that prefer their own timer.
"""
from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from jinnang.cli.app import alerts_app, jobs_app
from jinnang.core.errors import InputError
from jinnang.core.settings import get_settings


def _print(data: Any, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, default=str))
    else:
        typer.echo("  ".join(f"{k}={v}" for k, v in data.items()) if isinstance(data, dict) else str(data))


def _fail(exc: InputError) -> typer.Exit:
    typer.echo(f"error: {exc.field}: {exc.message}", err=True)
    return typer.Exit(2)


@alerts_app.command("check")
def check(as_json: Annotated[bool, typer.Option("--json")] = False,
          now: Annotated[str | None, typer.Option(help="the moment to check at (ISO, e.g. 2026-03-01T02:00)")]
          = None) -> None:
    """Run the stall check and queue the messages of every stall and trigger (each once)."""
    import datetime as dt

    from jinnang.service.alerts import check_and_queue

    try:
        at = dt.datetime.fromisoformat(now) if now else None
        if at is not None and at.tzinfo is not None:  # stored times are local and naive
            at = at.astimezone().replace(tzinfo=None)
    except ValueError:
        raise _fail(InputError("now", f"not an ISO date and time: {now!r}")) from None
    _print(check_and_queue(get_settings(), at), as_json)


@alerts_app.command("deliver")
def deliver(as_json: Annotated[bool, typer.Option("--json")] = False,
            retry_failed: Annotated[bool, typer.Option("--retry-failed", help="queue given-up messages again first")]
            = False) -> None:
    """Send the queued messages whose time has come; exit 1 when some could not be sent."""
    from jinnang.service.alerts import deliver_due
    from jinnang.service.alerts import retry_failed as requeue

    settings = get_settings()
    requeued = requeue(settings) if retry_failed else 0
    report = deliver_due(settings).as_dict() | ({"requeued": requeued} if retry_failed else {})
    _print(report, as_json)
    if report["retrying"] or report["gave_up"]:
        raise typer.Exit(1)


@alerts_app.command("status")
def status(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Messages in the outbox by state (pending, sent, failed)."""
    from jinnang.core.db import open_engine
    from jinnang.service.alerts import outbox_counts

    _print(outbox_counts(open_engine(get_settings().db_url)), as_json)


@jobs_app.command("list")
def list_jobs(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Each job with its schedule, next run and last run."""
    from jinnang.service.scheduler import job_states

    states = job_states(get_settings())
    if as_json:
        for s in states:
            last = s.last
            typer.echo(json.dumps({"name": s.name, "schedule": s.schedule, "enabled": s.enabled, "next_at": s.next_at,
                                   "last": None if last is None else {
                                       "trigger": last.trigger, "started_at": last.started_at,
                                       "finished_at": last.finished_at, "ok": last.ok, "error": last.error,
                                       "summary": last.summary}}, ensure_ascii=False, default=str))
        return
    for s in states:
        last = s.last
        outcome = "never run" if last is None else (
            f"last {last.started_at:%Y-%m-%d %H:%M} " + ("ok" if last.ok else "running" if last.ok is None
                                                          else f"FAILED: {last.error}"))
        when = f"next {s.next_at:%Y-%m-%d %H:%M}" if s.next_at else "disabled"
        typer.echo(f"{s.name:<17} {s.schedule:<16} {when:<22} {outcome}")


@jobs_app.command("run")
def run(name: Annotated[str, typer.Argument(help="stall_check, deliver, playbook_refresh, monthly_phi or learn")],
        as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Run one job now (recorded as a manual run); exit 1 when it failed."""
    from jinnang.service.scheduler import run_job_now

    try:
        result = run_job_now(get_settings(), name)
    except InputError as exc:
        raise _fail(exc) from None
    _print({"name": result.name, "ok": result.ok, "error": result.error, **(result.summary or {})}, as_json)
    if not result.ok:
        raise typer.Exit(1)
