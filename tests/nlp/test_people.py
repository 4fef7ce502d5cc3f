"""Decision-makers: who is listed, with which name, title, department, organization and role."""
from __future__ import annotations

import json

import pytest

from jinnang.nlp.people import find_decision_makers


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


def test_a_name_by_sound_said_by_its_first_part_is_the_same_person():
    got = people("院方：才让东周主任、马秀兰副主任。\n才让主任同意启动试用。")
    assert list(got) == ["才让东周", "马秀兰"]
    # a two-character Han name beside a three-character one is another person
    assert set(people("王明主任和王明华科长都在。")) == {"王明", "王明华"}


def test_a_full_name_the_segmenter_split_is_read_from_the_boundary_before_it():
    # LAC reads 科马永康 as a place and 钱|建华 as a word and an organisation
    got = people("今天把准入资料交给设备科马永康科长，他说下周上会。")
    assert list(got) == ["马永康"] and got["马永康"].title == "科长" and got["马永康"].department == "设备科"
    assert list(people("- 钱建华主任 + 技术组 吕丽技师（组长）")) == ["钱建华", "吕丽"]


@pytest.mark.parametrize("text", ["今天见了常务副院长，他说要上会。", "下周四跟车主任、卫宁工程师三方碰接口方案。",
                                  "和科室主任 马国庆 聊了半小时。"])
def test_no_name_is_made_of_a_word_a_company_a_department_or_a_conjunction(text):
    assert not {"常务", "卫宁", "和科室"} & set(people(text))


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
    from jinnang.eval.ner import score_decision_makers

    scores = score_decision_makers(shared_dev / "extraction.jsonl")
    assert scores["by_name"]["f1"] >= 0.9, json.dumps(scores["differences"], ensure_ascii=False)


def test_a_customer_we_go_to_see_is_not_our_own_staff():
    got = people("她建议我们先找ICU的褚护士长做个小范围试用。")
    assert list(got) == ["褚"] and got["褚"].title == "护士长"


def test_a_table_row_pairs_a_title_cell_with_the_name_cell():
    got = people("| 科室意见签字 | 血液净化中心主任 庄志刚 |\n| 护士长 | 邢燕 |\n")
    assert got["邢燕"].title == "护士长"


def test_a_spreadsheet_table_pairs_the_title_cell_with_the_name_cell_before_it():
    got = people("医院\t科室\t联系人\t职务\t进展\n"
                 "毕节市第一人民医院\t药剂科\t龙泽文\t主任\t方案已看\n"
                 "毕节市第一人民医院\t设备科\t禄亚\t工程师\t参数已收\n")
    assert {n: p.title for n, p in got.items()} == {"龙泽文": "主任", "禄亚": "工程师"}


def test_a_crm_export_with_one_field_a_line_pairs_contact_and_post():
    got = people("客户名称: 通钢总医院\n科室: 医学装备部\n联系人: 车向东\n职务: 部长\n拜访方式: 电话")
    assert list(got) == ["车向东"] and got["车向东"].title == "部长"
    assert people("备注: 先看看\n职务: 主任") == {}  # a field's text that is no name


def test_a_name_with_hospital_and_department_in_brackets_keeps_its_title():
    got = people("叶秋菊（光山县人民医院 妇产科主任）：设备没问题，就是物价那边没有收费项目。")
    assert list(got) == ["叶秋菊"] and got["叶秋菊"].title == "主任"


def test_a_full_name_just_before_the_surname_and_title_is_the_persons_name():
    assert list(people("今天去了口腔颌面外科 见到罗世英 罗副主任医师 就是那个超声骨刀的事情")) == ["罗世英"]
    # 谭总 is a surname and a form of address (our manager), not 谭科长's full name
    assert list(people("谭总，郴州一医谭科长说院采委定在12月10号开。")) == ["谭"]


def test_a_title_that_holds_a_departments_word_still_marks_a_person():
    # 采购 is a department (采购主管 罗小芳); in 采购员 it is the title's own word
    got = people("招标办的吴采购员说挂网要等下个月。")
    assert list(got) == ["吴"] and got["吴"].title == "采购员" and got["吴"].role == "procurement"
    assert people("带量采购以后，刘主任说价格要再谈。")["刘"].title == "主任"


def test_a_manager_is_a_customer_only_with_a_unit_of_theirs():
    # hospitals seldom say 经理: in a note it is mostly the report's addressee, our own manager or a distributor
    assert people("王经理：\n您好！汇报一下今天在市一院的情况。设备科冯科长说预算已批。").keys() == {"冯"}
    assert people("经销商太原恒瑞的郝经理说可以帮着对接财政那边。") == {}
    got = people("美年大健康西安高新分院 采购部孙经理说今年的预算还没下来。")
    assert got["孙"].title == "经理" and got["孙"].department == "采购部"


def test_a_surname_and_gong_that_make_a_verb_are_no_engineer():
    assert list(people("管道改造可以分区施工，扎西科长认可了。")) == ["扎西"]  # 施工 is building work
    assert people("信息科施工程师说接口文档可以给。")["施"].title == "工程师"


def test_less_common_surnames_mark_a_person():
    got = people("麦主任和设备科隋工、苑科长都在。")
    assert set(got) == {"麦", "隋", "苑"}
    assert list(people("眼科主任玄明哲：拍完的片子要传到州医院。")) == ["玄明哲"]  # 延边's Korean 玄


# ------------------------------------------------------------------ notes in other hands

def test_english_people_examples_in_the_vocabulary_give_name_and_title():
    from jinnang.nlp.people import english_vocab

    examples = english_vocab().examples
    assert examples
    for example in examples:
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


# ------------------------------------------------------------------ departments written apart from the person

@pytest.mark.parametrize("text,name,department", [
    ("下午去导管室见了护士长卜丽娟，她管耗材登记。", "卜丽娟", "导管室"),
    ("血液净化中心郁主任说透析器够用。", "郁", "血液净化中心"),
    ("心脏超声室的蔺医生（主治）看了图像。", "蔺", "心脏超声室"),
    ("口腔科楼上种植科的满主任约了下周。", "满", "种植科"),
])
def test_specialty_centres_and_rooms_are_departments(text, name, department):
    assert people(text)[name].department == department


def test_a_form_section_gives_its_department_to_the_person_in_brackets_and_its_signer():
    form = ("四、信息中心评价（工程师 宓春生）：接口稳定。\n"
            "五、器械科意见：同意上会。\n"
            "经办人：党文静（科员）\n")
    got = people(form)
    assert got["宓春生"].department == "信息中心" and got["宓春生"].role == "it"


def test_a_form_signer_field_takes_the_section_above():
    form = "医学工程处意见：材料齐全，提交论证。\n经办人：沙一帆（工程师）\n"
    got = people(form)
    assert got["沙一帆"].department == "医学工程处" and got["沙一帆"].role == "equipment_dept"


def test_a_department_earlier_in_the_sentence_belongs_to_the_person():
    got = people("先到信息科找符工，然后去了透析室，闵护士长说管路漏液。")
    assert got["符"].department == "信息科" and got["符"].role == "it"
    assert got["闵"].department == "透析室"


def test_a_department_does_not_pass_over_another_person():
    got = people("设备科的贾科长说要等预算，邬主任说科里想先试用。")
    assert got["贾"].department == "设备科"
    assert got["邬"].department is None or got["邬"].department != "设备科"


def test_a_department_in_brackets_after_the_person():
    got = people("约了鲍主任（内镜中心）下周看样机。")
    assert got["鲍"].department == "内镜中心"


def test_a_department_field_names_the_home_department_of_clinical_people():
    form = "骨科器械试用反馈\n医院：宿州市立医院\n使用科室：足踝外科\n评价医师：陶海波（主治医师）\n"
    assert people(form)["陶海波"].department == "足踝外科"


def test_a_department_written_after_the_hospital_is_the_home_department():
    got = people("关节镜系统 回访\n使用单位：淮北矿工总医院 运动医学科\n反馈：住院医师 巫晓明\n")
    assert got["巫晓明"].department == "运动医学科"


def test_a_short_department_after_its_full_name_is_the_full_one():
    got = people("丹阳市人民医院 消化内镜中心\n今天内镜中心计主任说洗消机不兼容。")
    assert got["计"].department == "消化内镜中心"


@pytest.mark.parametrize("text,name,role", [
    ("药械科闻科长牵头遴选。", "闻", "equipment_dept"),
    ("国资处乔处长说走政府采购平台。", "乔", "procurement"),
    ("见了集团设备采购桂经理，她管新店配置。", "桂", "procurement"),
])
def test_admin_department_words_give_the_role(text, name, role):
    assert people(text)[name].role == role


def test_a_committee_secretary_with_a_bracketed_home_office_is_committee():
    got = people("设备管理委员会秘书（审计科）谷科长说材料要提前交。")
    assert got["谷"].role == "committee" and got["谷"].department == "审计科"


# ------------------------------------------------------------------ organizations

def test_each_person_takes_the_hospital_of_their_section():
    report = ("本周小结\n一、宜兴市人民医院 骨科\n周一见了骨科甄主任。\n"
              "二、江阴市中医院\n设备科敖科长说预算冻结。\n")
    got = people(report)
    assert got["甄"].organization == "宜兴市人民医院"
    assert got["敖"].organization == "江阴市中医院"


def test_a_hospital_named_earlier_in_the_same_sentence_wins():
    got = people("宜兴市人民医院骨科的甄主任介绍我们认识了江阴市中医院设备科的敖科长。")
    assert got["甄"].organization == "宜兴市人民医院"
    assert got["敖"].organization == "江阴市中医院"


def test_an_abbreviation_after_the_full_name_gives_the_full_name():
    got = people("1. 南京市妇幼保健院（随访）\n2. 明天再去南京妇幼找信息科柴工。")
    assert got["柴"].organization == "南京市妇幼保健院"


@pytest.mark.parametrize("text,name,organization", [
    ("老孟说宿迁市第一人民医院骨科卞主任想见面。", "卞", "宿迁市第一人民医院"),
    ("昨儿上哈尔滨医科大学附属四院 找了麻醉科的訾主任", "訾", "哈尔滨医科大学附属四院"),
    ("今天去了溧水区永阳街道社区卫生服务中心，见了全科的褚主任。", "褚", "溧水区永阳街道社区卫生服务中心"),
    ("下午在柘塘镇卫生院，韦院长说网络不好。", "韦", "柘塘镇卫生院"),
    ("刚从市口腔出来，修复科的蓝主任说价格贵。", "蓝", "市口腔"),
    ("| 医院 | 济南市中心医院西院 |\n| 评价人 | 主治医师 滕飞 |", "滕飞", "济南市中心医院西院"),
])
def test_hospital_names_as_reps_write_them(text, name, organization):
    assert people(text)[name].organization == organization


@pytest.mark.parametrize("text,name,organization", [
    ("美年大健康南昌红谷滩分院 采购部闫经理说总部统采。", "闫", "美年大健康南昌红谷滩分院"),
    ("杭州瑞尔齿科 种植科卓主任想试用。", "卓", "杭州瑞尔齿科"),
    ("迪安诊断合肥实验室 冉主任说通量够。", "冉", "迪安诊断合肥实验室"),
    ("拜访爱尔眼科长沙分院 屈光中心的晏主任。", "晏", "爱尔眼科长沙分院"),
])
def test_private_groups_are_organizations_with_their_branch(text, name, organization):
    assert people(text)[name].organization == organization


def test_a_verb_and_a_department_are_not_a_hospital():
    got = people("扬州一院\n信息科濮科长说接下来走医院流程。")
    assert got["濮"].organization == "扬州一院" and got["濮"].department == "信息科"


# ------------------------------------------------------------------ English notes

def test_an_english_department_before_the_people_of_a_line():
    got = people("1) Jiaxing No.1 visit – Cardiology: met Director Xu and Dr. Pan (attending).")
    assert got["Xu"].department == "Cardiology" and got["Pan"].department == "Cardiology"


def test_a_purchasing_title_names_its_department():
    got = people("Met purchasing manager Fang to discuss consignment.")
    assert got["Fang"].department == "purchasing" and got["Fang"].role == "procurement"


def test_an_english_hospital_name_when_no_chinese_one_is_written():
    got = people("Hospital: Suzhou Municipal Hospital, Urology Dept.\nEvaluator: Dr. Ren, Chief Physician")
    assert got["Ren"].organization == "Suzhou Municipal Hospital"
    assert got["Ren"].department == "Urology Dept."


def test_a_chain_vocabulary_mistake_names_file_line_and_field(tmp_path):
    from jinnang.core.config import ConfigError
    from jinnang.nlp.gazetteers import Organizations, load

    bad = tmp_path / "organizations.yaml"
    bad.write_text("hospital_suffixes: [医院]\nchains:\n  brands: [美年]\n  max_city_chars: many\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"organizations.yaml, line 4, field chains\.max_city_chars"):
        load(Organizations, bad)


def test_a_hospital_mentioned_in_passing_does_not_take_the_next_clause():
    got = people("常熟市第一人民医院 骨科\n听说昆山市中医院也在用这个，蒋主任很感兴趣。")
    assert got["蒋"].organization == "常熟市第一人民医院" and got["蒋"].department == "骨科"


def test_everyday_words_are_no_brand_or_department():
    got = people("带量采购以后，完美年度收官，骨科储主任说价格要降。")
    assert got["储"].organization is None and got["储"].department == "骨科"


def test_a_hospital_written_without_its_city_after_the_full_name_is_that_hospital():
    got = people("1. 无锡市第二人民医院：骨科邱主任同意。\n2. 下周与第二人民医院设备处厉处长面谈。")
    assert got["厉"].organization == "无锡市第二人民医院"


@pytest.mark.parametrize("text, first, second", [
    ("上午在骨科见了何主任和主治医师宋佳。", "何", "宋佳"),
    ("只碰到护士长邱萍与副主任医师范文斌，聊了十分钟。", "邱萍", "范文斌"),
    ("心内科主任 程立新 跟主管护师 罗娟 都来了。", "程立新", "罗娟"),
    ("麻醉科贺主任及护士长梁燕参加了会议。", "贺", "梁燕"),
])
def test_a_conjunction_before_a_title_joins_two_people(text, first, second):
    # 和/与/及/跟 are also surnames: the person after the title is the one it names
    assert list(people(text)) == [first, second]


def test_he_is_still_a_surname_when_no_name_follows_the_title():
    assert list(people("今天见到了和主任，他同意试用。")) == ["和"]


@pytest.mark.parametrize("text", [
    "监护仪报警太多护士都麻木了。",
    "病区原用旧泵，护士习惯老产品的按键。",
    "演示完护士长满意。",
    "换了耗材以后护士习惯了。",
    "护士长马上就来。",
])
def test_words_after_a_bare_title_are_no_name(text):
    assert people(text) == {}


def test_a_name_after_a_bare_title_is_still_read():
    assert list(people("护士长：邢燕")) == ["邢燕"]
    assert list(people("手术室护士长：卫晓红\n麻醉科主任：管长青\n")) == ["卫晓红", "管长青"]


@pytest.mark.parametrize("text, name, title, role", [
    ("拜访了病理科技师长韦红，她嫌扫描慢。", "韦红", "技师长", "clinical_user"),
    ("康复科治疗师长姚倩试穿了外骨骼。", "姚倩", "治疗师长", "clinical_user"),
    ("设备科科员江涛负责验收。", "江涛", "科员", "equipment_dept"),
])
def test_heads_of_a_professional_group_and_clerks_are_titles(text, name, title, role):
    got = people(text)
    assert list(got) == [name]
    assert got[name].title == title and got[name].role == role


@pytest.mark.parametrize("text, name, title", [
    ("委员会秘书、财务处的罗明处长确认了付款方式。", "罗明", "处长"),
    ("信息科的徐立科长说要走网闸。", "徐立", "科长"),
])
def test_a_full_name_right_before_a_title_whose_last_character_is_no_surname(text, name, title):
    got = people(text)
    assert name in got and got[name].title == title


@pytest.mark.parametrize("text, expected", [
    ("签名: 钟敏 (主治医师)    科室负责人: 刘国华 主任", {"钟敏": "主治医师", "刘国华": "主任"}),
    ("科主任：陈光明　　设备科：林志　科长", {"陈光明": "主任", "林志": "科长"}),
    ("使用医师：包日娜　副主任医师\n科室主任：巴图", {"包日娜": "副主任医师"}),
    ("签字：祝文（科长）", {"祝文": "科长"}),
    ("评价人：骆一鸣  主治医师\n审核：司马文 主任", {"骆一鸣": "主治医师", "司马文": "主任"}),
])
def test_a_signature_row_pairs_a_full_name_with_the_title_after_its_spaces(text, expected):
    got = people(text)
    assert {n: d.title for n, d in got.items() if n in expected} == expected


def test_a_title_after_spaces_needs_a_name_not_a_sentence_word():
    assert people("会上 大家 都说 主任 同意了") == {}


@pytest.mark.parametrize("text, expected", [
    ("Met 放疗科 Director 符主任 and 物理师 Lin 工 (medical physicist).", {"符": "主任", "Lin": "工程师"}),
    ("Met Director 符主任 today.", {"符": "主任"}),
    ("Vivian 宋主任 said ok", {"Vivian 宋": "主任"}),
    ("Next: call Zhang 工 about the bunker drawings.", {"Zhang": "工程师"}),
])
def test_english_title_words_are_no_given_names_and_pinyin_names_take_gong(text, expected):
    assert {n: d.title for n, d in people(text).items()} == expected


def test_gong_before_a_word_is_no_title_after_a_pinyin_name():
    assert people("Lin 工作很忙，没空见面。") == {}


@pytest.mark.parametrize("text, expected", [
    ("- 我司 service manager 吴经理 will join the site survey.", []),
    ("Our engineer 高工 will come; 设备科 何科长 agreed.", ["何"]),
    ("We met 设备科 何科长 and our service manager 吴经理.", ["何"]),
    ("We visited Dr. Li (副主任医师) with our manager 吴经理.", ["Li"]),
])
def test_english_own_company_cues_mark_our_staff(text, expected):
    assert list(people(text)) == expected


@pytest.mark.parametrize("text, expected", [
    ("@张经理 包头中心医院急诊那边回个话\n急诊科 苏和主任 同意试用", ["苏和"]),
    ("有问题@刘主任 帮忙看下。设备科严科长说可以", ["严"]),
    ("＠周工 麻烦跟进一下，护士长邱萍在等回复", ["邱萍"]),
])
def test_a_person_mentioned_with_at_in_a_chat_is_our_own_staff(text, expected):
    assert list(people(text)) == expected


@pytest.mark.parametrize("text, expected", [
    ("嗯 她担心我们也一样 赖科长那边就是说 要走网闸", ["赖"]),
    ("我们还是很被动 信息科的苗科长要求出方案", ["苗"]),
    ("我们先找ICU的褚护士长", ["褚"]),
    ("今天陪同我司产品经理唐经理拜访，设备科莫科长参加。", ["莫"]),
])
def test_an_own_company_cue_does_not_reach_past_its_clause(text, expected):
    assert list(people(text)) == expected


def test_a_hospital_named_again_in_brackets_keeps_the_form_department():
    form = ("南京市第一医院（南京医科大学附属南京医院）\n医疗器械试用意见\n科室：泌尿外科\n"
            "意见：操作顺手，建议采购。\n科主任：钱文华　　日期：2026-05-08\n")
    got = people(form)
    assert got["钱文华"].department == "泌尿外科" and got["钱文华"].role == "clinical_lead"


@pytest.mark.parametrize("text, expected", [
    ("设备处吐尔洪科长说下周可以", ("吐尔洪", "科长", "设备处")),  # after a department, over a surname (洪)
    ("上午去见阿依古丽主任，她同意试用", ("阿依古丽", "主任", None)),
    ("和巴特尔处长约了周五", ("巴特尔", "处长", None)),
    ("试用意见\n护士长：其木格　日期：2026年3月2日", ("其木格", "护士长", None)),  # a form field's value
    ("麻醉科主任：次仁多吉 签字", ("次仁多吉", "主任", "麻醉科")),  # not 次仁 alone
    ("负责人：热依拉·买买提（主治医师）", ("热依拉·买买提", "主治医师", None)),
])
def test_names_written_by_sound_are_read_whole_where_they_carry_no_han_surname(text, expected):
    assert [(d.name, d.title, d.department) for d in find_decision_makers(text)] == [expected]


@pytest.mark.parametrize("text, expected", [
    ("今天安排其他科室主任开会", []),  # everyday words, not a name
    ("别让卢主任等太久", [("卢", "主任")]),  # LAC reads 卢主任 too: the surname stays
    ("明天再去找马主任", [("马", "主任")]),
])
def test_a_run_of_name_characters_is_no_name_where_it_is_an_everyday_word_or_a_surname_is_read(text, expected):
    assert [(d.name, d.title) for d in find_decision_makers(text)] == expected


def test_a_crm_row_pairs_the_contact_with_the_post_and_department_fields_after_it():
    text = "联系人：向明华 | 职务：主任 | 部门：心内科\n联系人：谭晓 | 职务：科长 | 部门：设备科"
    assert [(d.name, d.title, d.department) for d in find_decision_makers(text)] == [
        ("向明华", "主任", "心内科"), ("谭晓", "科长", "设备科")]


@pytest.mark.parametrize("text, expected", [
    ("设备处贺处 说法务那边还在看合同", ("贺", "处长", "设备处")),
    ("设备科 寇科: 耗材清单每周报一次", ("寇", "科长", "设备科")),
    ("设备科杨科说下周可以", ("杨", "科长", "设备科")),
])
def test_a_head_called_by_surname_and_the_units_first_character_is_a_section_or_division_head(text, expected):
    assert [(d.name, d.title, d.department) for d in find_decision_makers(text)] == [expected]


@pytest.mark.parametrize("text", ["王处理了这件事", "保卫处 说不行", "心内科 说不行", "李科室的人都在"])
def test_unit_characters_that_begin_a_word_or_end_a_department_are_no_title(text):
    assert find_decision_makers(text) == []


@pytest.mark.parametrize("text, expected", [
    ("院感第五主任说先做生物监测", ("第五", "主任")),  # 百家姓's compound surnames
    ("消化科呼延主任说可以", ("呼延", "主任")),
    ("设备科仵科长管这个", ("仵", "科长")),  # a regional surname
])
def test_rare_and_compound_surnames_mark_a_person(text, expected):
    assert [(d.name, d.title) for d in find_decision_makers(text)] == [expected]


def test_a_comment_inside_the_surname_list_is_refused_with_the_field(tmp_path):
    from jinnang.core.config import ConfigError, load_yaml_model
    from jinnang.nlp.gazetteers import Surnames

    bad = tmp_path / "surnames.yaml"
    bad.write_text("single: >-\n  赵钱孙李\n  # (rare ones)\n  拓折\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="single"):
        load_yaml_model(bad, Surnames)


@pytest.mark.parametrize("text, expected", [
    ("今天见了令狐晓燕主任，设备科谭科长也来了", [("令狐晓燕", "主任"), ("谭", "科长")]),  # not 燕 alone
    ("设备科阎守成科长进来找主任签字", [("阎守成", "科长")]),  # not 成 alone
    ("| 初德明主任 | 同意试用 |", [("初德明", "主任")]),
    ("- 那个吴主任说可以", [("吴", "主任")]),  # an everyday word before the surname
    ("收到，谢谢蓝主任！", [("蓝", "主任")]),
])
def test_a_whole_name_before_a_title_wins_over_its_last_character_read_as_a_surname(text, expected):
    assert [(d.name, d.title) for d in find_decision_makers(text)] == expected


@pytest.mark.parametrize("text, expected", [
    ("今天拜访了骨科，欧阳主任（欧阳志远）说考虑一下。", ("欧阳志远", "主任")),  # a compound surname, then its full name
    ("后勤处的司马处长（司马国庆）很痛快。", ("司马国庆", "处长")),
    ("见了心内科的张主任（张建国），他说要看数据。", ("张建国", "主任")),  # as a single surname always was
])
def test_a_full_name_restated_in_brackets_after_surname_and_title_is_the_name(text, expected):
    assert [(p.name, p.title) for p in people(text).values()] == [expected]


def test_a_dotted_name_by_sound_right_after_a_title_needs_no_colon():
    assert [(p.name, p.title) for p in people("心内科主任买买提·艾山说，下周再谈。").values()] == [("买买提·艾山", "主任")]


@pytest.mark.parametrize("surname", list("承恽亢姒税敬冶俸"))
def test_regional_and_rarer_surnames_mark_a_person_before_a_title(surname):
    assert [(p.name, p.title) for p in people(f"设备处的{surname}处长说预算要等。").values()] == [(surname, "处长")]


@pytest.mark.parametrize("text, expected", [
    ("参会：财务处处长 鲜于涛；采购中心主任 盖文斌；", [("鲜于涛", "处长"), ("盖文斌", "主任")]),  # LAC reads 鲜/盖 as words
    ("评审组：心内科护士长简丽，设备科科长 陶然。", [("简丽", "护士长"), ("陶然", "科长")]),
    ("联系人：病区护士长 卞秋云/电话另发", [("卞秋云", "护士长")]),  # not 区, a surname ending the ward's name
])
def test_a_name_listed_after_its_title_up_to_a_separator_is_read_whole(text, expected):
    assert sorted((p.name, p.title) for p in people(text).values()) == sorted(expected)


@pytest.mark.parametrize("text", ["用了十年，护士都熟，换了要磨合。", "主治医师都来了，", "迟科长\n东华那边回话了", "院长松口了。"])
def test_a_word_after_a_title_is_no_listed_name_nor_is_the_next_line(text):
    assert [p.name for p in people(text).values()] in ([], ["迟"])


def test_a_given_name_of_two_characters_follows_a_compound_surname():
    assert [(p.name, p.title) for p in people("儿科主任夹谷丽娟问了培训的事。").values()] == [("夹谷丽娟", "主任")]
    assert [(p.name, p.title) for p in people("今天见到妇产科欧阳淑仪主任。").values()] == [("欧阳淑仪", "主任")]


@pytest.mark.parametrize("text, expected", [
    ("见了康复科主任苏德毕力格和两位治疗师。", ("苏德毕力格", "主任")),  # a run by sound that ends at 和
    ("昨天艾力克江主任不在科里。", ("艾力克江", "主任")),  # LAC reads the run itself as a person
    ("今天安排主任值班。", None),  # an everyday word is no name
])
def test_names_by_sound_after_a_title_or_after_a_time_word_are_read_whole(text, expected):
    assert [(p.name, p.title) for p in people(text).values()] == ([expected] if expected else [])


@pytest.mark.parametrize("text, expected", [
    ("见了分管院长揭文军，还有设备科贡科长。", [("揭文军", "院长"), ("贡", "科长")]),  # LAC reads 揭文军 as a verb
    ("院长松口了。主任都来了，", []),  # a word that ends in 了 is no name
])
def test_a_listed_name_may_be_a_word_lac_calls_a_verb_but_never_ends_in_a_particle(text, expected):
    assert sorted((p.name, p.title) for p in people(text).values()) == sorted(expected)


def test_a_dotted_name_by_sound_before_its_title_in_brackets_is_read_whole():
    # 逊 is no character of the inventory of names by sound: LAC's reading of the person counts
    assert [(p.name, p.title) for p in people("评价人：帕尔哈提·吐尔逊（主治医师）\n日期：").values()] \
        == [("帕尔哈提·吐尔逊", "主治医师")]


def test_a_crm_contact_line_gives_its_post_after_a_slash():
    found = find_decision_makers("联系人1: 邰振东 / 心内科主任\n联系人2: 霍明 / 护士长\n产品: 监护仪")
    assert [(d.name, d.title) for d in found] == [("邰振东", "主任"), ("霍明", "护士长")]
    assert found[0].department == "心内科"


@pytest.mark.parametrize("text, expected", [
    ("Met Director 穆建平 (骨科 head) today.", [("穆建平", "主任")]),  # a name in characters after an English title
    ("Attendees: Dr. 祁 (心内科 Director), Nurse Manager 滕芳 (护士长).", [("祁", "主任"), ("滕芳", "护士长")]),
    ("Attendees: 信息中心 Director 邝 (邝主任), 设备科 Ms. 杭.", [("邝", "主任")]),  # not 邝主任 as a name
])
def test_english_titles_and_honorifics_read_names_written_in_characters(text, expected):
    assert sorted((p.name, p.title) for p in people(text).values()) == sorted(expected)


@pytest.mark.parametrize("text, expected", [
    ("设备科的麴科长（麴文涛）说要比价。", ("麴文涛", "科长")),
    ("见了骨科的勐主任（勐建平），他要看数据。", ("勐建平", "主任")),  # a surname the list lacks, restated
    ("参会：心内科主任（林海洋）、护理部副主任（邱小云）", None),  # no surname before: the bracket's name
])
def test_a_bracketed_full_name_after_a_title_is_the_name(text, expected):
    got = [(p.name, p.title) for p in people(text).values()]
    assert got == ([expected] if expected else [("林海洋", "主任"), ("邱小云", "副主任")])


def test_a_bracket_holding_no_name_leaves_the_surname_before_the_title():
    assert [(p.name, p.title) for p in people("王主任（主持工作）说可以再谈。").values()] == [("王", "主任")]


@pytest.mark.parametrize("text, expected", [("科室主任：禚建国\n日期：", ["禚建国"]), ("科主任：仡晓东", ["仡晓东"]),
                                            ("科主任：同意\n", []), ("科主任：已签", []), ("院长：无异议", []),
                                            ("院长：小罗\n这个方案先放一放", [])])
def test_a_form_fields_whole_value_after_a_title_is_a_name_whatever_its_surname(text, expected):
    assert [p.name for p in people(text).values()] == expected


def test_a_spreadsheet_row_gives_the_person_of_a_department_and_title_cell():
    text = "日期\t联系人\t职务\t内容\n3/2\t钟永年\t信息科科长\t接口\n3/5\t温雅\t护理部主任\t演示"
    assert sorted((p.name, p.title, p.department) for p in people(text).values()) == [
        ("温雅", "主任", "护理部"), ("钟永年", "科长", "信息科")]


@pytest.mark.parametrize("text", ["他和主治医师阿依努尔都试了机器。", "任主任（哈尼族）和住院医师仡洁一起看的。"])
def test_he_after_a_pronoun_or_a_bracket_is_a_conjunction_not_a_surname(text):
    assert "和" not in people(text)


@pytest.mark.parametrize("text, person", [
    ("放疗科的晏物理师说计划系统要先做验收。", ("晏", "物理师")),
    ("民营那边财务总监 贾文静 也来了，问能不能分期。", ("贾文静", "总监")),
])
def test_a_physicist_and_a_hospitals_director_of_finance_are_titled_people(text, person):
    assert person in [(d.name, d.title) for d in find_decision_makers(text)]


def test_our_own_sales_director_is_never_listed():
    assert not find_decision_makers("我方：销售总监 邬总陪同，见了设备科。")


def test_a_head_nurse_called_hu_zhang_is_a_head_nurse_and_monitoring_for_long_is_nobody():
    """护长 is how 粤 and 港 writers call a head nurse (冼护长); the same characters inside 监护长期 are no title."""
    assert [(d.name, d.title) for d in find_decision_makers("手术室冼护长问：喉镜几时到？")] == [("冼", "护士长")]
    assert not find_decision_makers("监护长期用落去，报警要分级。")


def test_a_dotted_names_first_part_may_hold_everyday_characters_and_starts_after_a_time_word():
    """阿不都 and 外 are no characters of the names-by-sound inventory (不, 都 are everyday words), but the
    dot marks the whole as one name; a time word before it (上午, 今天) is no part of it."""
    got = [(p.name, p.title) for p in people("上午阿不都外力·买合木提主任签了试用单。").values()]
    assert got == [("阿不都外力·买合木提", "主任")]
    got = [(p.name, p.title) for p in people("今天吾守尔江·艾山主任说再等等。").values()]
    assert got == [("吾守尔江·艾山", "主任")]
    assert [p.name for p in people("见了艾尔肯·依明院长，他同意了。").values()] == ["艾尔肯·依明"]


def test_regional_surnames_of_shanxi_mark_a_person():
    assert list(people("下午续主任说再等等。")) == ["续"]
    assert set(people("设备处畅科长和续振华主任都在。")) == {"畅", "续振华"}


def test_our_service_departments_engineer_is_never_listed():
    assert list(people("周二服务部邵工装好机器，设备科苟科长验收。")) == ["苟"]


def test_a_form_field_followed_by_the_next_field_on_its_line_keeps_the_name_before_its_title():
    got = people("填表：房丽 副主任医师　　审核：续国平 主任\n")
    assert (got["房丽"].title, got["续国平"].title) == ("副主任医师", "主任")


def test_a_senior_doctor_called_zhuren_by_surname_keeps_the_professional_title_written_with_the_full_name():
    got = people("今天冉文静副主任医师做了两台，冉主任说手感还行。")
    assert got["冉文静"].title == "副主任医师"


def test_a_post_written_with_the_full_name_still_wins_over_the_professional_title():
    got = people("心内科主任冉文静（主任医师）到场，冉主任说下月上会。")
    assert got["冉文静"].title == "主任"
    assert people("冉文静主任签了字，负责医生写的冉文静（副主任医师）。")["冉文静"].title == "主任"


def test_rare_surnames_of_anhui_mark_a_person():
    assert set(people("设备科茆科长和骨科操主任、疏院长都在。")) == {"茆", "操", "疏"}


def test_a_table_rows_name_cell_owns_the_title_in_the_cells_after_it():
    """A pipe table of contacts: the name's cell, then the post (with or without its department); a
    department's own cell may stand between; a surname alone in its cell is the person too."""
    got = people("姓名 | 职务 | 态度\n卜文海 | 设备科科长 | 中立\n| 艾桂芳 | 院长 | 支持 |\n"
                 "邝秀兰 | 手术室 | 护士长 | 无意见\n戚 | 财务科科长 | 没见过\n")
    assert {n: p.title for n, p in got.items()} == {"卜文海": "科长", "艾桂芳": "院长", "邝秀兰": "护士长", "戚": "科长"}


def test_a_cell_written_as_surname_and_title_is_no_full_name():
    assert {n: p.title for n, p in people("林主任 | 普外科主任 | 支持\n").items()} == {"林": "主任"}


def test_a_title_ending_its_line_takes_no_label_of_the_next_line_as_a_name():
    """A four-character name by sound no surname rule reads; 付款 on the next line is a field's label."""
    got = people("验收:设备科 乌力吉仓科长\n付款:验收合格后付九成\n")
    assert {n: p.title for n, p in got.items()} == {"乌力吉仓": "科长"}


def test_a_name_read_after_a_title_stops_where_the_next_title_begins():
    assert {n: p.title for n, p in people("见了分管副院长韦副院长，他说下月上会。").items()} == {"韦": "副院长"}


def test_a_signature_right_after_the_opinion_is_the_signers_name():
    got = people("科主任意见：同意。庞立新 日期：2026年5月6日\n院长意见：同意。柴志远 2026.5.8\n")
    assert {n: p.title for n, p in got.items()} == {"庞立新": "主任", "柴志远": "院长"}


def test_a_full_name_then_its_surname_with_the_title_is_one_person_under_the_full_name():
    assert {n: p.title for n, p in people("信息科的俞海涛俞工说接口没问题。").items()} == {"俞海涛": "工程师"}


def test_a_chief_physician_addressed_as_director_is_the_director():
    """The post wins over the professional title (gold-format.md): 钭主任 beside 钭国庆主任医师 is most
    often the department's head. An associate chief physician addressed as 主任 keeps their title."""
    got = people("钭主任签的字，责任医师写的钭国庆主任医师。")
    assert {n: p.title for n, p in got.items()} == {"钭国庆": "主任"}
    got = people("邵主任看了样机，试用医生写的邵敏副主任医师。")
    assert {n: p.title for n, p in got.items()} == {"邵敏": "副主任医师"}


def test_the_heads_meeting_is_no_person():
    """院长办公会 is a meeting: the character before it is no surname."""
    got = people("采购与否由院长办公会决定，须再经院长办公会审议，逯科长已报院办。")
    assert {n: p.title for n, p in got.items()} == {"逯": "科长"}


def test_a_signature_whose_title_carries_its_room_in_brackets():
    """微生 is a compound surname, but 微生物室 in brackets after the title is the signer's room."""
    got = people("试用意见（检验科）\n反馈人：窦建华 主管技师（微生物室）\n试用期：2026年7月6日—2026年8月5日\n")
    assert {n: p.title for n, p in got.items()} == {"窦建华": "主管技师"}
