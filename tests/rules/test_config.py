"""Rule files: validated on load with file, line and field; swappable with no code change."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from jinnang.core.config import FILES, ConfigError
from jinnang.rules.config import CONFIG_DIR, RuleFiles, default_ruleset, load_ruleset
from jinnang.rules.models import ACTION_IDS
from jinnang.rules.registry import stall_rules

JOURNEY = (CONFIG_DIR / "journey.yaml").read_text(encoding="utf-8")
VARIANT = CONFIG_DIR / "variants" / "private_specialty_seven_stage.yaml"
D = dt.datetime


def _journey(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "journey.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _line_of(text: str, needle: str, occurrence: int = 1) -> int:
    at = -1
    for _ in range(occurrence):
        at = text.index(needle, at + 1)
    return text[:at].count("\n") + 1


def test_bad_duration_names_file_line_and_field(tmp_path):
    text = JOURNEY.replace("limit: 72h", "limit: 72 hours")
    with pytest.raises(ConfigError) as err:
        load_ruleset(journey=_journey(tmp_path, text))
    assert err.value.file.endswith("journey.yaml")
    assert err.value.field == "nodes[2].stall.limit"
    assert err.value.line == _line_of(text, "limit: 72 hours")


def test_unregistered_rule_name_is_refused_at_its_line(tmp_path):
    text = JOURNEY.replace("rule: jinnang.stall.node_and_no_visit.v1", "rule: jinnang.stall.no_visit.v9")
    with pytest.raises(ConfigError) as err:
        load_ruleset(journey=_journey(tmp_path, text))
    assert err.value.field == "nodes[5].stall.rule" and "jinnang.stall.no_visit.v9" in err.value.message
    assert err.value.line == _line_of(text, "rule: jinnang.stall.no_visit.v9")


def test_unknown_placeholder_in_a_message_fails_at_load(tmp_path):
    text = JOURNEY.replace("请确认演示时间是否变更？", "请确认{demo_time}是否变更？")
    with pytest.raises(ConfigError) as err:
        load_ruleset(journey=_journey(tmp_path, text))
    assert err.value.field == "nodes[2].stall.message" and "demo_time" in err.value.message


def test_duplicate_node_id_and_bad_regex_are_refused(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_ruleset(journey=_journey(tmp_path, JOURNEY.replace("- id: tender_monitoring", "- id: first_contact")))
    assert "appears twice" in err.value.message
    with pytest.raises(ConfigError) as err:
        load_ruleset(journey=_journey(tmp_path, JOURNEY.replace(r"^浙卫采〔20\d{2}〕\d+号$", "^浙卫采(20")))
    assert err.value.field == "field_rules[0].province_patterns" and "regular expression" in err.value.message


@pytest.fixture
def rule_files():
    """RuleFiles made by a test, taken out of the `jinnang config check` list afterwards."""
    made: list[RuleFiles] = []

    def make(**paths) -> RuleFiles:
        made.append(RuleFiles(**paths))
        return made[-1]

    yield make
    for files in made:
        for file in files.files.values():
            FILES.remove(file)


def test_a_broken_edit_keeps_the_last_good_rule_set_and_a_fix_is_picked_up(tmp_path, rule_files, caplog):
    path = _journey(tmp_path, JOURNEY)
    files = rule_files(journey=path)
    good = files()
    assert files() is good and good.node_by_id["demo_scheduled"].stall.limit == 72
    path.write_text(JOURNEY.replace("limit: 72h", "limit: 72 hours"), encoding="utf-8")
    assert files() is good                                                   # still in use
    assert [e.field for e in files.errors] == ["nodes[2].stall.limit"]
    assert "nodes[2].stall.limit" in caplog.text                             # logged with the field
    path.write_text(JOURNEY.replace("limit: 72h", "limit: 5d"), encoding="utf-8")
    fixed = files()
    assert fixed is not good and fixed.node_by_id["demo_scheduled"].stall.limit == 120 and files.errors == []


def test_a_rule_file_broken_from_the_start_fails_at_first_load(tmp_path, rule_files):
    files = rule_files(journey=_journey(tmp_path, JOURNEY.replace("limit: 72h", "limit: 72 hours")))
    with pytest.raises(ConfigError) as err:
        files()
    assert err.value.field == "nodes[2].stall.limit"


def test_default_rule_set_is_kept_loaded_and_knows_its_node_order():
    rules = default_ruleset()
    assert default_ruleset() is rules
    assert rules.node_order == tuple(n.id for n in rules.nodes) and rules.node_order[0] == "first_contact"
    assert sorted(r.action for r in rules.next_actions.suggestions) == sorted(ACTION_IDS)
    variant = load_ruleset(journey=VARIANT)
    assert len(variant.node_order) == 7 and variant.node_order != rules.node_order[:7]


def test_score_weights_must_add_up(tmp_path):
    scores = (CONFIG_DIR / "scores.yaml").read_text(encoding="utf-8").replace("stage_weight: 0.25", "stage_weight: 0.35")
    path = tmp_path / "scores.yaml"
    path.write_text(scores, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_ruleset(scores=path)
    assert err.value.field == "customer_health" and "add up to 1" in err.value.message


def test_changing_a_stall_limit_in_yaml_changes_behaviour(tmp_path, account, h):
    h.in_node(account, "demo_scheduled", D(2026, 3, 12, 10))
    assert "confirm_demo_time" in h.actions(account, D(2026, 3, 16, 10))            # 96 h > 72 h
    longer = load_ruleset(journey=_journey(tmp_path, JOURNEY.replace("limit: 72h", "limit: 5d")))
    assert "confirm_demo_time" not in h.actions(account, D(2026, 3, 16, 10), longer)  # 96 h < 5 d


def test_a_province_pattern_added_in_yaml_is_checked(tmp_path, account, h):
    account["province"] = "江苏"
    account["fields"]["budget_approval_no"] = "苏财〔2026〕58号"
    assert "upload_missing_evidence" not in h.actions(account)
    text = JOURNEY.replace("      浙江: '^浙卫采〔20\\d{2}〕\\d+号$'",
                           "      浙江: '^浙卫采〔20\\d{2}〕\\d+号$'\n      江苏: '^苏卫财〔20\\d{2}〕\\d+号$'")
    assert "江苏" in text
    rules = load_ruleset(journey=_journey(tmp_path, text))
    assert "upload_missing_evidence" in h.actions(account, rules=rules)


def test_seven_stage_private_variant_loads_from_its_own_file(account, h):
    rules = load_ruleset(journey=VARIANT)
    assert rules.name == "private_specialty_seven_stage" and len(rules.nodes) == 7
    account.update(is_public=False, hospital_tier="民营专科")
    h.in_node(account, "price_negotiation", D(2026, 3, 16, 10))
    account["documents"] += [{"type": "price_round", "uploaded_at": "2026-03-01T10:00:00"},
                             {"type": "price_round", "uploaded_at": "2026-03-08T10:00:00"}]
    found = [s for s in h.response(account, rules=rules).suggestions if s.action == "upload_missing_evidence"]
    assert found and "需 3 份，现有 2 份" in found[0].reason and "保密协议" in found[0].reason
    # the default journey has no such node: the snapshot is refused naming the field
    from jinnang.core.errors import InputError
    with pytest.raises(InputError) as err:
        h.response(account)
    assert err.value.field == "journey_node"


def test_a_new_stall_kind_is_a_registered_function_not_an_engine_change(tmp_path, account, h):
    from jinnang.rules.context import StallStatus

    @stall_rules.register("test.stall.since_entering.v1")
    def since_entering(ctx, stall):
        since = ctx.account.node_entered_at
        return StallStatus(ctx.account.journey_node, since, (ctx.now - since).total_seconds() / 3600, stall.limit)

    text = JOURNEY.replace("""      limit: 30d
      notify: [manager]
      message: 「{node_label}」已 {idle} 无进展（上限 {limit}），请经理确认上会安排""",
                           """      limit: 30d
      notify: [manager]
      message: 「{node_label}」已 {idle} 无进展（上限 {limit}），请经理确认上会安排""").replace(
        "      rule: jinnang.stall.node_and_time.v1\n      limit: 30d\n      notify: [manager]",
        "      rule: test.stall.since_entering.v1\n      limit: 30d\n      notify: [manager]")
    rules = load_ruleset(journey=_journey(tmp_path, text))
    h.in_node(account, "committee_scheduled", D(2026, 2, 1, 10), D(2026, 3, 16, 10))
    assert "escalate_to_manager" not in h.actions(account)            # default: updated 2 days ago
    assert "escalate_to_manager" in h.actions(account, rules=rules)   # registered kind: 45 days in the node


def test_coaching_threshold_raised_in_yaml_is_the_one_the_reason_names(tmp_path, account, h):
    scores = (CONFIG_DIR / "scores.yaml").read_text(encoding="utf-8")
    assert "flag_at_or_below: 4" in scores
    path = tmp_path / "scores.yaml"
    path.write_text(scores.replace("flag_at_or_below: 4", "flag_at_or_below: 6"), encoding="utf-8")
    account["visits"][-1] = {"date": "2026-03-16", "questions_resolved": 1, "sample_brought": True}   # scores 5
    found = [s for s in h.response(account, rules=load_ruleset(scores=path)).suggestions if s.action == "coach_visit"]
    assert found and "不高于 6 分" in found[0].reason
