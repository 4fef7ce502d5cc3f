"""Decision-makers: who is listed, with which name, title, department, organization and role."""
from __future__ import annotations

import json

import pytest

from nlp.people import find_decision_makers


def people(text, **kw):
    return {d.name: d for d in find_decision_makers(text, **kw)}


def test_surname_with_title_gives_surname_and_hospital_from_header():
    got = people("南京鼓楼医院 骨科\n今天见了骨科聂主任，聊了半小时。")
    assert list(got) == ["聂"]
    assert got["聂"].title == "主任" and got["聂"].department == "骨科"
    assert got["聂"].organization == "南京鼓楼医院" and got["聂"].role == "clinical_lead"


def test_repeated_mentions_merge_into_the_fullest_name():
    got = people("见了闻主任，闻立群，做脊柱二十年了。闻主任说下周再谈。")
    assert list(got) == ["闻立群"]


def test_titles_are_normalised_to_their_bare_form():
    got = people("信息科苗工和脊柱外科的柏医生（主治）一起看了演示，创伤骨科邢科主任也在。")
    assert got["苗"].title == "工程师" and got["苗"].role == "it"
    assert got["柏"].title == "主治医师" and got["柏"].role == "clinical_user"
    assert got["邢"].title == "主任"


def test_form_fields_pair_names_with_titles():
    form = ("医院：嘉兴市第二医院　　科室：骨科\n"
            "使用医师：樊一鸣　　职称：副主任医师\n"
            "科主任签字：郦志远\n"
            "试用负责人：覃晓（主治医师）\n")
    got = people(form)
    assert got["樊一鸣"].title == "副主任医师" and got["樊一鸣"].role == "clinical_lead"
    assert got["郦志远"].title == "主任" and got["郦志远"].department == "骨科"
    assert got["覃晓"].title == "主治医师"


def test_our_own_staff_are_never_listed():
    text = ("我方：区域经理 汤伟、实施工程师 小葛。公司技术支持邓工讲了接口，"
            "我们的服务工程师老洪跟台。设备科左科长参加。")
    assert list(people(text)) == ["左"]


def test_people_without_a_title_are_not_listed():
    assert people("骨科的钟医生说器械太重。") == {}


def test_committee_role_wins_over_home_department():
    got = people("院采委委员、护理部的詹主任说没意见；医务处的阎处长管流程。")
    assert got["詹"].role == "committee"
    assert got["阎"].role == "other"


def test_hospital_leader_has_no_department_and_specific_title_wins():
    got = people("绍兴二院 信息科\n分管副院长是华院长，华院长想先看报价。")
    assert got["华"].title == "副院长" and got["华"].department is None
    assert got["华"].role == "hospital_leader"


def test_roles_follow_department_vocabulary():
    got = people("采购中心贝主任、财务科谈科长、医保办濮主任都在会上。")
    assert got["贝"].role == "procurement"
    assert got["谈"].role == "finance"
    assert got["濮"].role == "finance"


def test_organization_hint_is_used_when_given():
    got = people("设备处龚处长同意演示。", organization_hint="常州二院")
    assert got["龚"].organization == "常州二院"


def test_dev_set_decision_makers_score(shared_dev):
    from eval.ner import score_decision_makers

    scores = score_decision_makers(shared_dev / "extraction.jsonl")
    assert scores["by_name"]["f1"] >= 0.9, json.dumps(scores["differences"], ensure_ascii=False)


def test_a_customer_we_go_to_see_is_not_our_own_staff():
    got = people("她建议我们先找ICU的褚护士长做个小范围试用。")
    assert list(got) == ["褚"] and got["褚"].title == "护士长"


def test_a_table_row_pairs_a_title_cell_with_the_name_cell():
    got = people("| 科室意见签字 | 血液净化中心主任 庄志刚 |\n| 护士长 | 邢燕 |\n")
    assert got["邢燕"].title == "护士长"


def test_less_common_surnames_mark_a_person():
    got = people("麦主任和设备科隋工、苑科长都在。")
    assert set(got) == {"麦", "隋", "苑"}


# ------------------------------------------------------------------ notes in other hands

def test_english_people_examples_in_the_vocabulary_give_name_and_title():
    from nlp.people import english_vocab

    for example in english_vocab().examples:
        got = people(example.text)
        assert example.name in got, (example.text, list(got))
        assert got[example.name].title == example.title, example.text


def test_english_department_gives_the_role():
    got = people("Director Feng of the IT department and Section Chief Tang of the Equipment Dept")
    assert got["Feng"].role == "it" and got["Tang"].role == "equipment_dept"


def test_english_words_after_a_title_are_no_person():
    assert people("Director Office said the Manager Meeting is next week") == {}


def test_ocr_space_before_the_bracket_keeps_name_and_title():
    got = people("评价医师 方志远 （主治医师）\n填表人：孙丽华 （护士长）")
    assert got["方志远"].title == "主治医师" and got["孙丽华"].title == "护士长"


def test_title_then_surname_with_a_form_of_address():
    got = people("跟主治黄医生聊了一下")
    assert got["黄"].title == "主治医师"


def test_negated_money_is_no_person():
    assert people("科主任：钱不是问题，关键是效果") == {}


def test_surname_told_then_repeated_with_the_title():
    assert list(people("先是城关镇卫生院院长姓马马院长说网络老掉线")) == ["马"]


def test_therapist_is_a_clinical_user():
    got = people("科主任：孟庆华\n主管治疗师：路遥")
    assert got["路遥"].title == "主管治疗师" and got["路遥"].role == "clinical_user"


@pytest.mark.parametrize("text,expected", [
    ("今天见了章主任，章文斌，五十多岁，很关心价格。", [("章文斌", "主任")]),
    ("今天见了章主任，王文斌，五十多岁，很关心价格。", [("章", "主任")]),  # another surname: not a restatement
])
def test_a_surname_mention_takes_the_full_name_restated_after_it(text, expected):
    assert [(d.name, d.title) for d in find_decision_makers(text)] == expected
