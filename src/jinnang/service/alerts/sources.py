"""What alerts people: stall episodes (the nightly stall check), service work orders a trigger opened,
and a team's month whose process health index fell below the line. Each is turned into an Alert
naming its recipients: the account's rep, and the rep's managers where the node's rule says so.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from jinnang.core.db import open_engine
from jinnang.core.settings import Settings
from jinnang.core.users import User, list_teams, list_users, managers_of_rep
from jinnang.rules.accounts import load_account, process_health_index, scan_stalls
from jinnang.rules.accounts.tables import StallRow, WorkOrderRow
from jinnang.rules.config import default_ruleset
from jinnang.rules.context import human_hours
from jinnang.rules.next_action import suggest
from jinnang.rules.rule_files import RuleSet
from jinnang.service.alerts.routing import Alert, Recipient

log = logging.getLogger(__name__)
OPEN_WORK_ORDERS = ("open", "in_progress", "assigned")


class People:
    """The users once per run: reps by rep id, anyone by the person id the accounts carry."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.users = [u for u in list_users(engine) if u.active]
        self.reps: dict[str, list[User]] = defaultdict(list)
        for u in self.users:
            if u.role == "rep" and u.rep_id:
                self.reps[u.rep_id].append(u)

    def of_account(self, rep_id: str, manager_id: str | None, managers_too: bool) -> list[Recipient]:
        found = [Recipient(u, "rep") for u in self.reps.get(rep_id, [])]
        if managers_too:
            managers = managers_of_rep(self.engine, rep_id)
            managers += [u for u in self.users if u.role == "manager" and manager_id and u.subject == manager_id]
            found += [Recipient(u, "manager") for u in managers]
        unique: dict[str, Recipient] = {}
        for r in found:
            unique.setdefault(r.user.username, r)
        return list(unique.values())

    def teams_of_rep(self, rep_id: str) -> set[str]:
        return {t for u in self.reps.get(rep_id, []) for t in u.teams}


def account_link(settings: Settings, account_id: str) -> str:
    return f"{settings.public_url.rstrip('/')}/accounts/{account_id}"


def stall_alerts(settings: Settings, now: dt.datetime, rules: RuleSet | None = None) -> list[Alert]:
    """The nightly stall check (each episode recorded once), one Alert per stalled account's episode."""
    rules = rules or default_ruleset()
    engine = open_engine(settings.db_url)
    found = scan_stalls(engine, now, rules, record=True)
    people = People(engine)
    alerts: list[Alert] = []
    with Session(engine) as session:
        for item in found:
            episode = session.scalar(select(StallRow).where(
                StallRow.account_id == item["account_id"], StallRow.node == item["node"],
                StallRow.resolved_at.is_(None)).order_by(StallRow.since.desc()))
            if episode is None:
                continue
            account = load_account(session, item["account_id"])
            node = rules.node_by_id[item["node"]]
            managers_too = node.stall is not None and "manager" in node.stall.notify
            recipients = people.of_account(account.rep_id, account.manager_id, managers_too)
            if not recipients:
                log.info("stall of %s: no active user for rep %s", account.account_id, account.rep_id)
                continue
            try:
                top = suggest(account, now, rules).suggestions
            except Exception:  # a suggestion is a courtesy; the alert goes out without one
                log.exception("next actions for %s failed", account.account_id)
                top = []
            next_step = top[0].message if top and top[0].message != item["message"] else ""
            values = {"customer": account.hospital or account.account_id, "node_label": node.label,
                      "idle": human_hours(item["idle_hours"], item["limit_hours"]),
                      "limit": human_hours(item["limit_hours"]),
                      "hours_over": round(item["idle_hours"] - item["limit_hours"]), "action": item["message"],
                      "next_step": next_step, "link": account_link(settings, account.account_id),
                      "account_id": account.account_id}
            alerts.append(Alert(kind="stall", key=f"stall:{episode.id}", recipients=recipients, values=values,
                                link=str(values["link"]), account_id=account.account_id,
                                teams=people.teams_of_rep(account.rep_id)))
    return alerts


def _trigger_text(rules: RuleSet, order: WorkOrderRow, hospital: str) -> str:
    node = rules.node_by_id.get(order.node)
    template = next((t.message for t in (node.on_enter if node else []) if t.rule.startswith("jinnang.trigger.service")
                     and t.message), "")
    values = {"engineer_name": order.engineer_name, "engineer_phone": order.engineer_phone,
              "engineer": f"{order.engineer_name}（{order.engineer_phone}）", "hospital": hospital,
              "device_model": order.device_model or "设备", "date": order.expected_start.isoformat(),
              "node_label": node.label if node else order.node}
    try:
        return template.format(**values) if template else ""
    except (KeyError, IndexError, ValueError):
        log.exception("trigger message of node %s", order.node)
        return ""


def trigger_alerts(settings: Settings, rules: RuleSet | None = None) -> list[Alert]:
    """Each open service work order a trigger created tells the account's rep (服务已就绪)."""
    rules = rules or default_ruleset()
    engine = open_engine(settings.db_url)
    people = People(engine)
    alerts: list[Alert] = []
    with Session(engine) as session:
        orders = session.scalars(select(WorkOrderRow).where(WorkOrderRow.status.in_(OPEN_WORK_ORDERS))).all()
        for order in orders:
            account = load_account(session, order.account_id)
            recipients = people.of_account(account.rep_id, account.manager_id, managers_too=False)
            if not recipients:
                continue
            customer = account.hospital or order.customer or account.account_id
            node = rules.node_by_id.get(order.node)
            link = account_link(settings, account.account_id)
            values: dict[str, object] = {"customer": customer, "node_label": node.label if node else order.node,
                      "message": _trigger_text(rules, order, customer), "link": link,
                      "account_id": account.account_id}
            alerts.append(Alert(kind="trigger", key=f"trigger:{order.key}", recipients=recipients, values=values,
                                link=link, account_id=account.account_id, teams=people.teams_of_rep(account.rep_id)))
    return alerts


def previous_month(now: dt.datetime) -> str:
    return (now.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")


def phi_alerts(settings: Settings, month: str, rules: RuleSet | None = None) -> tuple[list[Alert], dict[str, float]]:
    """Each team's process health index for `month`; a team below the line alerts its managers."""
    rules = rules or default_ruleset()
    engine = open_engine(settings.db_url)
    line = rules.scores.process_health.params["diagnosis_below"]
    alerts: list[Alert] = []
    values_by_team: dict[str, float] = {}
    for team, members in list_teams(engine).items():
        reps = {u.rep_id for u in members if u.role == "rep" and u.rep_id}
        managers = [u for u in members if u.role == "manager" and u.active]
        if not reps:
            continue
        result = process_health_index(engine, team, reps, month, rules)
        if not any(c.scaled is not None for c in result.components):
            continue  # a month with no data is not a low month
        values_by_team[team] = float(result.value or 0)
        if "diagnosis" not in result.flags or not managers:
            continue
        link = f"{settings.public_url.rstrip('/')}/reports/process-health?month={month}"
        values: dict[str, object] = {"team": team, "month": month, "value": result.value, "line": f"{line:g}",
                  "diagnosis": result.details.get("diagnosis", ""), "link": link}
        alerts.append(Alert(kind="phi", key=f"phi:{team}:{month}", recipients=[Recipient(u, "manager") for u in managers],
                            values=values, link=link, teams={team}))
    return alerts, values_by_team
