"""Malformed snapshots are refused naming the bare field and its path; never a 500."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from jinnang.core.errors import InputError, from_validation_error
from jinnang.rules.models import AccountSnapshot
from jinnang.rules.next_action import suggest_payload


def _refusal(account, now=None) -> dict:
    with pytest.raises(InputError) as err:
        suggest_payload(account, now)
    return err.value.as_dict()


def test_negative_count_in_a_visit_names_field_and_path(account):
    account["visits"][1]["questions_resolved"] = -2
    err = _refusal(account)
    assert (err["status"], err["field"], err["path"]) == (422, "questions_resolved", "visits[1].questions_resolved")


def test_from_validation_error_gives_bare_field_and_indexed_path(account):
    account["visits"][1]["questions_resolved"] = -2
    with pytest.raises(ValidationError) as exc:
        AccountSnapshot.model_validate(account)
    err = from_validation_error(exc.value)
    assert err.field == "questions_resolved" and err.path == "visits[1].questions_resolved"


def test_impossible_calendar_date_names_last_updated_at(account):
    account["last_updated_at"] = "2026-02-30T09:00:00"
    assert _refusal(account)["field"] == "last_updated_at"


def test_missing_account_id_names_account_id(account):
    del account["account_id"]
    assert _refusal(account)["field"] == "account_id"


@pytest.mark.parametrize("mutate,field", [
    (lambda a: a["visits"][0].update(sample_brought="yes"), "sample_brought"),
    (lambda a: a["visits"][0].update(questions_resolved="2"), "questions_resolved"),
    (lambda a: a.update(node_entered_at=1710000000), "node_entered_at"),
    (lambda a: a["open_objections"].append({"category": "weather"}), "category"),
    (lambda a: a["contacts"][0].update(role="boss"), "role"),
    (lambda a: a["fields"].update(demo_date="2026-13-01"), "demo_date"),
    (lambda a: a["documents"][0].pop("uploaded_at"), "uploaded_at"),
    (lambda a: a.update(journey_node="negotiation"), "journey_node"),
    (lambda a: a.update(hospital_tier="四甲"), "hospital_tier"),
])
def test_wrong_types_and_vocabulary_are_refused_by_name(mutate, field, account):
    mutate(account)
    assert _refusal(account)["field"] == field


def test_bad_now_and_non_object_snapshot_are_refused(account):
    assert _refusal(account, "yesterday")["field"] == "now"
    assert _refusal(["not", "an", "object"])["field"] == "account"


def test_budget_number_format_is_not_a_422(account):
    account["fields"]["budget_approval_no"] = "浙卫采(2026)31号"
    assert suggest_payload(account).suggestions   # a suggestion, not an error


def test_extra_keys_are_accepted(account):
    account["crm_owner_team"] = "华东一组"
    account["visits"][0]["duration_minutes"] = 40
    assert suggest_payload(account).account_id == "acc-t1"


def test_offset_aware_times_mix_with_naive_ones_as_china_time(account, h):
    account["node_entered_at"] = "2026-03-12T10:00:00+08:00"
    account["documents"].append({"type": "other", "uploaded_at": "2026-03-16T02:00:00Z"})
    response = suggest_payload(account, "2026-03-18T09:00:00+08:00")
    assert response.generated_at == h.now
    assert h.snapshot(account).documents[-1].uploaded_at.hour == 10     # 02:00 UTC = 10:00 China


@pytest.mark.parametrize("mutate,field", [
    (lambda a: a.update(last_updated_at="0001-01-01T00:00:00"), "last_updated_at"),
    (lambda a: a.update(node_entered_at="9999-12-31T23:59:59-12:00"), "node_entered_at"),
    (lambda a: a["visits"][0].update(date="9999-12-31"), "date"),
    (lambda a: a["orders"][0].update(due="0001-01-01"), "due"),
])
def test_dates_far_in_the_past_or_future_are_refused_by_name(mutate, field, account):
    mutate(account)
    assert _refusal(account)["field"] == field


@pytest.mark.parametrize("now", ["0001-01-01T00:00:00", "9999-12-31T23:59:59"])
def test_now_far_in_the_past_or_future_is_refused_not_overflowed(now, account):
    assert _refusal(account, now)["field"] == "now"
