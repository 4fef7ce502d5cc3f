"""Key dates: resolution rules of gold-format.md §1, the cue words of nlp/config/dates.yaml,
and the dates that are left out on purpose."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from jinnang.core.config import ConfigError, load_yaml_model
from jinnang.core.text import SENTENCE_OR_LINE_END
from jinnang.core.workdays import add_workdays
from jinnang.nlp.dates import DatesConfig, dates_config, find_key_dates, written_days
from jinnang.nlp.dates.classify import bounds, classify, reach
from jinnang.nlp.dates.phrases import find_mentions

MON = dt.date(2026, 3, 2)  # a Monday


def pairs(text: str, ref: dt.date = MON, kind: str | None = None) -> list[tuple[str, str]]:
    return [(d.type, d.date.isoformat()) for d in find_key_dates(text, ref, kind=kind)]


def days(text: str, ref: dt.date = MON) -> list[str]:
    return [d.date.isoformat() for d in find_key_dates(text, ref)]


# ------------------------------------------------------------------ resolution

@pytest.mark.parametrize("phrase, ref, expected", [
    ("明天", MON, "2026-03-03"),
    ("后天", MON, "2026-03-04"),
    ("大后天", MON, "2026-03-05"),
    ("5天后", MON, "2026-03-07"),
    ("十天以后", MON, "2026-03-12"),
    ("两周后", MON, "2026-03-16"),
    ("本周五", MON, "2026-03-06"),
    ("这周四", MON, "2026-03-05"),
    ("下周三", MON, "2026-03-11"),
    ("下个星期二", MON, "2026-03-10"),
    ("下礼拜天", MON, "2026-03-15"),
    ("下下周一", MON, "2026-03-16"),
    ("下周二", dt.date(2026, 3, 8), "2026-03-10"),  # written on a Sunday: weeks start on Monday
    ("3月15日", MON, "2026-03-15"),
    ("3月15号", MON, "2026-03-15"),
    ("六月三日", MON, "2026-06-03"),
    ("十二月三十一日", MON, "2026-12-31"),
    ("1月10日", dt.date(2026, 11, 20), "2027-01-10"),  # next such day on or after the note
    ("4/24", MON, "2026-04-24"),
    ("3.20前", MON, "2026-03-20"),
    ("2026-04-15", MON, "2026-04-15"),
    ("2026.04.15", MON, "2026-04-15"),
    ("2026/4/15", MON, "2026-04-15"),
    ("2026年4月15日", MON, "2026-04-15"),
    ("明年3月1日", MON, "2027-03-01"),
    ("月底", MON, "2026-03-31"),
    ("本月底", MON, "2026-03-31"),
    ("4月底", MON, "2026-04-30"),
    ("2月底", dt.date(2028, 2, 1), "2028-02-29"),
    ("下月初", MON, "2026-04-01"),
    ("下个月初", MON, "2026-04-01"),
    ("月中", MON, "2026-03-15"),
    ("5月中旬", MON, "2026-05-15"),
    ("中旬", MON, "2026-03-15"),                 # on its own: this month's
    ("下个月15号", MON, "2026-04-15"),
    ("本月20日", MON, "2026-03-20"),
    ("年底", MON, "2026-12-31"),
    ("明年年底", MON, "2027-12-31"),
    ("7个工作日后", dt.date(2026, 2, 10), "2026-02-26"),   # crosses 春节, counts make-up Saturday 2/14
    ("5个工作日后", dt.date(2026, 4, 28), "2026-05-08"),   # crosses 劳动节
    ("十个工作日后", dt.date(2026, 9, 29), "2026-10-19"),  # crosses 国庆, counts make-up Saturday 10/10
    ("两个工作日之后", MON, "2026-03-04"),
    ("this Friday", MON, "2026-03-06"),          # English-mixed notes
    ("by next Wednesday", MON, "2026-03-11"),
])
def test_phrase_resolves_to_one_day(phrase, ref, expected):
    assert days(f"约了{phrase}再去拜访王主任", ref) == [expected]


def test_a_bare_mid_month_already_past_is_not_listed():
    assert days("约了中旬再去拜访王主任", dt.date(2026, 3, 20)) == []


def test_workdays_past_the_known_calendar_fall_back_to_weekends_with_a_warning():
    warnings: list[str] = []
    found = find_key_dates("3个工作日后把资料发过来", dt.date(2026, 12, 30), warnings=warnings)
    assert [d.date for d in found] == [dt.date(2027, 1, 4)]  # Thu 31, Fri 1, Mon 4: weekends only
    assert warnings and "2027" in warnings[0]


def test_add_workdays_skips_public_holidays():
    assert add_workdays(dt.date(2026, 9, 30), 1) == dt.date(2026, 10, 8)


def test_restated_day_in_brackets_is_one_date():
    assert pairs("下周三（3月11日）上午在设备科做产品演示") == [("demo", "2026-03-11")]


# ------------------------------------------------------------------ ranges

def test_trial_range_gives_start_and_end_even_when_past():
    text = "试用时间：2025年12月8日 至 2026年1月8日\n日期：2026年3月2日"
    assert pairs(text) == [("trial_start", "2025-12-08"), ("trial_end", "2026-01-08")]


@pytest.mark.parametrize("text", [
    "试用期3月10日至4月10日",
    "试用起止：2026.03.10-2026.04.10",
    "试用期：2026/3/10－2026/4/10",
    "试用起止：2026-03-10 / 2026-04-10",
    "试用期：2026年3月10日起至2026年4月10日止",
    "试用时间\n2026年3月10日至\n2026年4月10日",
    "试用期3月10日至4月10日，计划10例",
])
def test_trial_range_separators(text):
    assert pairs(text) == [("trial_start", "2026-03-10"), ("trial_end", "2026-04-10")]


def test_trial_range_with_day_only_end():
    assert pairs("试用期3月10日至25日") == [("trial_start", "2026-03-10"), ("trial_end", "2026-03-25")]


def test_yearless_trial_range_in_a_late_form_stays_in_its_year():
    text = "试用时间：12月8日至1月8日"
    assert pairs(text, dt.date(2026, 1, 9)) == [("trial_start", "2025-12-08"), ("trial_end", "2026-01-08")]


def test_trial_range_across_new_year():
    text = "试用期：11月2日至1月29日"
    assert pairs(text, dt.date(2026, 11, 20)) == [("trial_start", "2026-11-02"), ("trial_end", "2027-01-29")]


def test_trial_word_after_the_range_also_marks_a_trial():
    assert pairs("准备6月1日-6月30日开展试用") == [("trial_start", "2026-06-01"), ("trial_end", "2026-06-30")]


def test_range_is_typed_once_from_the_words_around_it():
    assert pairs("价格谈判定于5月12至13日") == [("next_meeting", "2026-05-12"), ("next_meeting", "2026-05-13")]


def test_a_cue_nearer_a_past_date_is_not_lent_to_a_future_one():
    assert pairs("上周五演示效果不错，下周三复盘") == [("other", "2026-03-11")]


def test_full_width_digits_and_ocr_yue_are_read():
    found = find_key_dates("试用时间：２０２６年３月１０日至2026年4月10曰", MON)
    assert [(d.type, d.date.isoformat()) for d in found] == [("trial_start", "2026-03-10"), ("trial_end", "2026-04-10")]
    assert found[0].evidence == "２０２６年３月１０日"


def test_slash_ranges_and_english_ranges_in_trial_forms():
    assert pairs("试用时间：7/1-8/31", dt.date(2026, 8, 14)) == [("trial_start", "2026-07-01"), ("trial_end", "2026-08-31")]
    assert pairs("Trial period: 2026-01-12 to 2026-02-12", dt.date(2026, 2, 26)) == [
        ("trial_start", "2026-01-12"), ("trial_end", "2026-02-12")]


def test_range_outside_a_trial_is_typed_by_its_cue():
    assert pairs("报名时间3月10日至3月20日") == [("other", "2026-03-10"), ("other", "2026-03-20")]


# ------------------------------------------------------------------ typing by cue (one phrasing per rule)

TYPED = [
    # trial_start / trial_end: explicit words, then plain start/end words in a trial sentence
    ("3月9日开始试用骨科两台", "trial_start"),
    ("3月31日试用结束，交设备科", "trial_end"),
    ("试用期两个月，从3月9日开始", "trial_start"),
    ("骨科试用到4月30日结束", "trial_end"),
    ("试用期一个月至5月12日", "trial_end"),
    # demo
    ("下周二下午在设备科会议室做系统演示", "demo"),
    # tender
    ("5月12号上午9:30开标", "tender"),
    # committee_meeting
    ("拟提交3月12日院医疗器械管理委员会审议", "committee_meeting"),
    ("院长办公会定在3月20日", "committee_meeting"),
    # budget_approval
    ("年度预算3月底才批", "budget_approval"),
    ("明年的预算年底前定", "budget_approval"),
    ("预算申请已经报市财政，批复预计8月中旬下来", "budget_approval"),
    # contract_signing
    ("争取3月16号签合同", "contract_signing"),
    ("顺利的话月底前能签", "contract_signing"),
    # delivery
    ("首批货3月10日前到院", "delivery"),
    ("下批 7天后 送", "delivery"),
    # next_meeting
    ("约了下周四早交班后再过去", "next_meeting"),
    ("明天下午再过来一趟", "next_meeting"),
    ("下周一去设备科当面报价", "next_meeting"),
    ("下周二科室例会上去汇报", "next_meeting"),
    ("3月16日上午第一轮价格谈判", "next_meeting"),
    ("下周三下午两点开会，信息科也参加", "next_meeting"),
    ("3月9日术前讨论，主任请我们一起参加", "next_meeting"),
    # other: deadlines, documents, lectures, start of talks
    ("报名截止 4/24", "other"),
    ("申请表下周一前交设备科", "other"),
    ("请厂家于3月5日前提交全部资质材料", "other"),
    ("7个工作日后把接口文档发过来", "other"),
    ("本周五前发给盛主任", "other"),
    ("定在下下周三下午科室小讲课的时候", "other"),
    ("采购中心下月初发起议价", "other"),
    ("要求2026-04-15前书面反馈", "other"),
    ("设备科要求3月20日前把三证复印件送过去", "other"),   # documents, not a delivery of goods
    ("下次随访：2026-03-29", "next_meeting"),
    ("3月3日下午再去一趟设备科", "next_meeting"),
    ("约定4月20日把样机送过去试用", "trial_start"),
    ("下一轮遴选会11月18日开", "committee_meeting"),
    ("下周一上午一起去找蒋主任", "next_meeting"),
    ("下周四下午带一台样泵去ICU见褚护士长", "next_meeting"),
    ("12月10日前反馈意见", "other"),
    ("Next: 7/15 meeting with the group buyer", "next_meeting"),
    ("send revised quote by this Friday", "other"),
]


@pytest.mark.parametrize("text, expected", TYPED)
def test_date_is_typed_from_its_cue(text, expected):
    found = pairs(text)
    assert len(found) == 1 and found[0][0] == expected, found


def test_approval_of_something_else_is_not_a_budget_date():
    assert pairs("试用申请已提交，设备科说3月7日前批复") == [("other", "2026-03-07")]


def test_specific_event_in_the_sentence_beats_a_generic_meeting_word():
    assert pairs("跟设备科严老师约好了：下周三上午10点在小会议室做实物演示") == [("demo", "2026-03-11")]


def test_cue_beyond_another_date_belongs_to_that_date():
    assert pairs("3月6日前交材料 3月12日院采委会议") == [("other", "2026-03-06"), ("committee_meeting", "2026-03-12")]


def test_nearest_event_in_a_clause_wins():
    assert pairs("批复下来后设备科准备9月底挂网招标") == [("tender", "2026-09-30")]


# ------------------------------------------------------------------ left out on purpose

@pytest.mark.parametrize("text", [
    "3月13日公司年会，年会后放假",          # our own company's event
    "骆医生说他4月18号结婚",                  # a personal event
    "护士长说月底对账老对不上",              # a routine habit
    "原定3月5日的会议",                      # superseded
    "下个月15号左右统一报院里",              # approximate
    "大概下周四再去",                         # approximate
    "下周三或周四让信息科一起碰一下",        # either/or
    "每月5号前给上月对账单",                  # recurring
    "农历三月初三",                           # lunar
    "正月十五再来",                           # lunar
    "招标公告估计3月份出",                    # a month, not a day
    "8月中下旬要出国",                        # a span
    "9月下旬就启动",                          # a span
    "年前不谈了，节后再约",                   # holiday-relative
    "实施周期30个工作日",                     # a duration
    "收到订单后3个工作日内送货",              # relative to an unknown day
    "备案号：盐卫信备〔2026〕23号",           # a number that looks like a date
    "2号柜偶尔识别慢",
    "提供7/24小时服务",                       # not July 24
    "操作便利性评分4/5分",                    # a score, not April 5
    "有3/4的病人是翻修",                      # a fraction
    "集采3月中选的产品",                      # 中选 is not 月中
    "上周三已经演示过",                       # past
    "今天上午在手术室跟台",                   # the note's own day
    "3月1日已经见过王主任",                   # past, written without a year
])
def test_not_a_deal_date(text):
    assert pairs(text) == []


def test_the_form_own_date_is_not_listed_but_a_deadline_date_is():
    text = "填表日期：2026年3月20日\n截止日期：2026年3月25日"
    assert pairs(text) == [("other", "2026-03-25")]


def test_form_date_label_on_the_line_above():
    assert pairs("日期\n2026年3月20日") == []


def test_date_on_the_reference_day_is_not_listed():
    assert pairs("3月2日上午与手术室护士长沟通") == []


def test_rescheduled_date_is_typed_like_the_one_it_replaces():
    assert pairs("院采委原定3月17日，现改为3月24日") == [("committee_meeting", "2026-03-24")]


def test_superseded_date_left_out_new_one_kept():
    assert pairs("原定3月5日的演示改到3月12日演示") == [("demo", "2026-03-12")]


def test_evidence_span_points_at_the_phrase():
    text = "约了下周四再过去"
    (found,) = find_key_dates(text, MON)
    assert text[found.start:found.end] == found.evidence == "下周四"


def test_no_dates_in_plain_text():
    assert find_key_dates("主任说产品不错，价格还要再谈。", MON) == []


# ------------------------------------------------------------------ configuration

GROUP_EXAMPLES = [
    pytest.param(i, example, id=f"{g.type or g.reason}-{j}")
    for i, g in enumerate(dates_config().types + dates_config().exclude)
    for j, example in enumerate(g.examples)
]


@pytest.mark.parametrize("index, example", GROUP_EXAMPLES)
def test_each_cue_group_types_the_examples_written_with_it(index, example):
    config = dates_config()
    group = (config.types + config.exclude)[index]
    mentions = find_mentions(example, MON, [])
    assert any(classify(example, m, config, mentions) is group for m in mentions), example


def test_every_cue_group_in_config_is_exercised_by_a_phrasing_here():
    config = dates_config()
    used: set[int] = set()
    texts = [t for t, _ in TYPED] + [e for g in config.types + config.exclude for e in g.examples] + [
        "3月13日公司年会", "骆医生说他4月18号结婚", "月底对账", "原定3月5日的会议"]
    for text in texts:
        mentions = find_mentions(text, MON, [])
        for mention in mentions:
            group = classify(text, mention, config, mentions)
            if group is not None:
                used.add(id(group))
    missing = [g.type or g.reason for g in config.types + config.exclude if id(g) not in used]
    assert not missing, f"cue groups without a test phrasing: {missing}"


def test_bad_config_names_file_line_and_field(tmp_path: Path):
    bad = tmp_path / "dates.yaml"
    bad.write_text("window: 24\ntypes:\n  - type: meeting\n    cues: [约了]\ntrial_range_cues: [试用]\n",
                   encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_yaml_model(bad, DatesConfig)
    message = str(err.value)
    assert "dates.yaml" in message and "line 3" in message and "types[0].type" in message


def test_exclusion_without_reason_is_refused(tmp_path: Path):
    bad = tmp_path / "dates.yaml"
    bad.write_text("types:\n  - type: demo\n    cues: [演示]\nexclude:\n  - cues: [年会]\ntrial_range_cues: [试用]\n",
                   encoding="utf-8")
    with pytest.raises(ConfigError, match="exclude"):
        load_yaml_model(bad, DatesConfig)


def test_edited_config_changes_typing(tmp_path: Path):
    config = dates_config().model_copy(deep=True)
    for group in config.types:
        if group.type == "demo":
            group.cues.append("观摩")
    assert [d.type for d in find_key_dates("下周二来观摩", MON, config=config)] == ["demo"]
    assert [d.type for d in find_key_dates("下周二来观摩", MON)] == ["other"]


@pytest.fixture
def dates_yaml_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The running service's dates.yaml, as a copy sales operations may edit."""
    path = tmp_path / "dates.yaml"
    path.write_text(dates_config.path.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(dates_config, "path", path)
    dates_config.cache_clear()
    yield path
    dates_config.cache_clear()  # monkeypatch puts the shipped path back after this


def test_an_edited_dates_file_is_read_again_and_a_broken_edit_keeps_the_last_good_one(dates_yaml_copy, caplog):
    import os

    path = dates_yaml_copy
    assert pairs("下周二来观摩") == [("other", "2026-03-10")]

    def edit(old: str, new: str, version: int) -> None:
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        os.utime(path, ns=(version, version))  # a new modification time, as an editor's save gives

    # sales operations add a demo cue while the service runs
    edit("  - type: demo\n    cues: [", "  - type: demo\n    cues: [观摩, ", 10**18)
    assert pairs("下周二来观摩") == [("demo", "2026-03-10")]
    # a broken edit is reported with its line, and the last good cues stay in use
    edit("  - type: demo\n", "  - type: demonstration\n", 2 * 10**18)
    assert pairs("下周二来观摩") == [("demo", "2026-03-10")]
    assert "dates.yaml, line" in caplog.text and "type" in caplog.text
    assert dates_config.last_error is not None


def test_a_dates_file_that_never_loaded_raises_its_error(dates_yaml_copy):
    dates_yaml_copy.write_text("window: 24\nnonsense: 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"dates.yaml, line 1, field types"):
        find_key_dates("下周二来观摩", MON)


@pytest.mark.parametrize("text, expected", [
    ("试用时间：2026年2月24日至\n2026年3月24日", ["2026-02-24", "2026-03-24"]),
    ("试用期：2026-04-07至5月15日", ["2026-04-07", "2026-05-15"]),   # a yearless day takes the year before it
    ("试用期：3月1日至3月31日", []),                                 # no year written: no day
    ("日期：二〇二六年三月五日", ["2026-03-05"]),
])
def test_written_days_read_a_forms_calendar_days_without_a_reference_date(text, expected):
    assert [d.date.isoformat() for d in written_days(text)] == expected


# ------------------------------------------------------------------ notes in other hands

@pytest.mark.parametrize("text, expected", [
    ("wet-lab demo of the new injector on 4/28.", [("demo", "2026-04-28")]),        # slash date ending a sentence
    ("product demo on Apr 5 for the anesthesia team", [("demo", "2026-04-05")]),
    ("he wants to talk again on March 3", [("next_meeting", "2026-03-03")]),
    ("Plan: demo in the OR on Nov 12 with Director Qian", [("demo", "2026-11-12")]),
    ("send the quote by Friday", [("other", "2026-03-06")]),
])
def test_english_month_names_and_bare_weekdays(text, expected):
    assert pairs(text) == expected


def test_a_meeting_word_right_before_the_date_beats_an_event_word_far_after_it():
    text = "Next meeting on 4月15日 with 设备科何科长 to agree the trial plan after the demo"
    assert pairs(text) == [("next_meeting", "2026-04-15")]


def test_a_document_carried_to_a_visit_is_no_document_deadline():
    assert pairs("3月18日带授权书去设备科，同时约钱主任面谈") == [("next_meeting", "2026-03-18")]


def test_words_far_away_in_an_unpunctuated_transcript_do_not_type_the_date():
    text = ("刚从那边出来跟你说一下啊就是那个主任他说那个设备他们其实挺想要的但是呢今年预算已经用完了要等明年一季度再报"
            "然后他说别家那边也在谈给了很低的价格嗯我说我们可以申请一下特价然后下周五让我再过去当面聊特价的事就这些")
    assert pairs(text) == [("next_meeting", "2026-03-13")]


def test_a_day_named_twice_takes_the_type_its_cue_gives():
    assert pairs("他说温主任下周一在 让我下周一再去") == [("next_meeting", "2026-03-09")]


def test_rescheduled_day_takes_the_type_of_the_one_it_replaces_even_when_a_trip_is_the_reason():
    text = "演示本来约在3月23日，因为主任要去外地开会，改到3月30日下午。"
    assert pairs(text) == [("demo", "2026-03-30")]


def test_superseded_trial_period_after_yuanding_is_left_out():
    assert pairs("原定试用期3月10日至3月31日，现延长至4月30日") == [("trial_end", "2026-04-30")]


@pytest.mark.parametrize("text", [
    "上批货下单后三天后才到",            # a past delay told after the fact
    "主任下个月初出国",                   # a trip away
    "彭主任3月10号要去北京进修两个月",   # a trip away
])
def test_past_narration_and_trips_are_no_deal_dates(text):
    assert pairs(text) == []


@pytest.mark.parametrize("text,start,end,expected", [
    ("价格高。下周三演示。带样机", 4, 7, (4, 9)),     # sentence from the last stop to the next
    ("下周三演示", 0, 3, (0, 5)),                      # no stop at all: the whole text
    ("。下周三。", 1, 4, (1, 4)),
])
def test_sentence_bounds_stop_at_the_nearest_break(text, start, end, expected):
    assert bounds(text, start, end, SENTENCE_OR_LINE_END) == expected


def test_long_transcript_without_punctuation_keeps_every_date_and_its_span():
    # one 20k-character "sentence": every date still found, each span that of the text
    text = "下周三去演示带了样机主任说价格有点高" * 1100
    found = find_key_dates(text, dt.date(2025, 3, 10))
    assert [(d.type, str(d.date)) for d in found] == [("demo", "2025-03-19")]
    assert all(text[d.start:d.end] == d.evidence for d in found)


@pytest.mark.parametrize("text,expected", [
    ("合同约定二〇二六年三月五日前完成验收", "2026-03-05"),
    ("二零二六年十二月三十一日签合同", "2026-12-31"),
])
def test_a_year_written_in_chinese_digits_is_read(text, expected):
    found = find_key_dates(text, dt.date(2026, 3, 2))
    assert [str(d.date) for d in found] == [expected]
    assert all(text[d.start:d.end] == d.evidence for d in found)


@pytest.mark.parametrize("text,pos,window,expected", [
    ("周三" + " " * 300 + "演示", 302, 1, 1),       # spaces cost nothing, however long the run
    ("demo" * 100 + "周三", 400, 2, 0),             # one English word is two units, however long
    ("价格高下周三", 6, 3, 3),
])
def test_the_window_reaches_back_by_units_not_characters(text, pos, window, expected):
    assert reach(text, pos, window, False) == expected


@pytest.mark.parametrize("text, expected", [
    ("主任让我下周二之前把参数对比表发给他", [("other", "2026-03-10")]),
    ("约了下周四给护士站做一次操作培训", [("other", "2026-03-12")]),
    ("下周三信息科开个评估会过接口方案", [("next_meeting", "2026-03-11")]),
    ("主任在北京开会 下周一回来", []),
    ("3月20号前要把季度报表交上去（内部）", []),
    ("下周五再去拜访科长（时间待定）", []),
])
def test_hand_overs_lectures_and_review_meetings_are_typed_and_returns_left_out(text, expected):
    assert [(k.type, k.date.isoformat()) for k in find_key_dates(text, MON)] == expected


def test_a_report_section_named_by_a_day_heads_the_plan_and_is_no_date_itself():
    # 企业微信 daily reports: 明日计划：…; the dates inside the plan are listed, the heading's day is not
    text = "今日工作：拜访眼科。\n明日计划：整理演示问题清单，下周二去做演示。"
    found = find_key_dates(text, dt.date(2026, 4, 13))
    assert [(k.type, k.date, k.evidence) for k in found] == [("demo", dt.date(2026, 4, 21), "下周二")]
    # the same words as a sentence are a date: 明天计划去设备科
    assert [k.date for k in find_key_dates("明天计划去设备科找科长。", dt.date(2026, 4, 13))] == [dt.date(2026, 4, 14)]


def test_a_photographed_forms_ocr_digit_confusions_are_read_as_digits_and_spans_stay_the_originals():
    """OCR reads 0 as O, 1 as l and 日 as 口; beside a digit or a date's unit they are digits, and
    the evidence is the text as written."""
    text = "试用时间：2O26年3月l6口至2026年4月3O口\n"
    found = find_key_dates(text, dt.date(2026, 5, 7), kind="trial_feedback")
    assert [(d.type, d.date.isoformat(), d.evidence) for d in found] == [
        ("trial_start", "2026-03-16", "2O26年3月l6口"), ("trial_end", "2026-04-30", "2026年4月3O口")]
    assert days("合同签订后3O口内到货。", dt.date(2026, 7, 22)) == days("合同签订后30日内到货。", dt.date(2026, 7, 22))
    assert days("Hello, the model HF-6O ships in April.") == []


def test_a_month_part_a_few_months_back_is_past_not_next_years():
    """8月底已通过 written on 10月9日 is last August's end, so no key date; 3月中旬 written in November
    is next March."""
    assert days("准入8月底已通过，下一步上会。", dt.date(2026, 10, 9)) == []
    assert days("方案6月中旬交给卿科长后，副院长批示先试用。", dt.date(2026, 6, 30)) == []
    assert days("论证会定在3月中旬开。", dt.date(2026, 11, 20)) == ["2027-03-15"]
