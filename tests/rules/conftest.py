"""Builders for rule tests: a healthy, fully evidenced account that each test bends one way."""
from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest

from jinnang.rules.models import AccountSnapshot
from jinnang.rules.next_action import suggest_payload

HEALTHY = json.loads((Path(__file__).parent / "data" / "healthy_account.json").read_text(encoding="utf-8"))
NOW = dt.datetime.fromisoformat(HEALTHY["now"])


@pytest.fixture
def account() -> dict:
    """A dict snapshot: committee_scheduled, all evidence, 5 roles, weekly visits, on-time orders."""
    return copy.deepcopy(HEALTHY["account"])


@pytest.fixture
def now() -> dt.datetime:
    return NOW


def actions(account: dict, now: dt.datetime = NOW, rules=None, talk_tracks=None) -> list[str]:
    return [s.action for s in suggest_payload(account, now, rules, talk_tracks).suggestions]


def response(account: dict, now: dt.datetime = NOW, rules=None, talk_tracks=None):
    return suggest_payload(account, now, rules, talk_tracks)


def snapshot(account: dict) -> AccountSnapshot:
    return AccountSnapshot.model_validate(account)


def in_node(account: dict, node: str, entered: dt.datetime, updated: dt.datetime | None = None) -> dict:
    account["journey_node"] = node
    account["node_entered_at"] = entered.isoformat()
    account["last_updated_at"] = (updated or entered).isoformat()
    account["visits"] = [v for v in account["visits"] if v["date"] <= entered.date().isoformat()]
    before = (entered - dt.timedelta(days=1)).isoformat()
    for d in account["documents"]:   # evidence on file from before the node, so it is not "activity"
        d["uploaded_at"] = min(d["uploaded_at"], before)
    return account


@pytest.fixture
def h():
    """Helpers as a fixture (test folders are not importable packages under importlib mode)."""
    from types import SimpleNamespace
    return SimpleNamespace(actions=actions, response=response, snapshot=snapshot, in_node=in_node, now=NOW)
