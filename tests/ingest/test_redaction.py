"""Patients' and personal identifiers are masked in a note's text; the business content stays.

Masking is measured on identifiers planted in invented notes, several of each kind in varied
phrasings: every one must be masked (recall 1.0), and doctors' and staff names must stay.
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
from collections import Counter

import pytest

from jinnang.core.config import ConfigError, load_yaml_model
from jinnang.ingest.redact import CONFIG_DIR, RedactionFile, Redactor, redact, redact_lines

PLACEHOLDERS = {"mobile": "【手机号】", "landline": "【电话】", "id_card": "【身份证号】", "bed": "【床号】",
                "admission": "【住院号】", "record": "【病历号】", "patient": "【患者】"}

# (note, the identifiers planted in it by kind)
PLANTED: list[tuple[str, dict[str, list[str]]]] = [
    ("今天去骨科随访，患者张建国，男，68岁，住院号：2026001234，3床，术后第5天。家属电话13812345678，"
     "王主任说恢复不错。",
     {"patient": ["张建国"], "admission": ["2026001234"], "bed": ["3床"], "mobile": ["13812345678"]}),
    ("患者：王某某，身份证号110101199003071234，联系电话 0571-88886666转123。李科长同意下周看样品。",
     {"patient": ["王某某"], "id_card": ["110101199003071234"], "landline": ["0571-88886666转123"]}),
    ("12号床的病人反映钢板偏厚；3床李芳恢复好。床号：15 的患者刘洋下周复查。护士长郁芳说可以安排培训。",
     {"bed": ["12号床", "3床", "15"], "patient": ["李芳", "刘洋"]}),
    ("张建国患者术后满意，病历号 MR20260012，门诊号:A123456，ID号 889900X。主任医师葛文博要数据。",
     {"patient": ["张建国"], "record": ["MR20260012", "A123456", "889900X"]}),
    ("病人家属李某电话 +86 139-1234-5678，另一位家属 (010)62345678。病案号为 BA-2026-0077。",
     {"patient": ["李某"], "mobile": ["+86 139-1234-5678"], "landline": ["(010)62345678"],
      "record": ["BA-2026-0077"]}),
    ("患儿陈小宝，身份证 32010520150612321X，住院号码 ZY88001，ICU-7床。老身份证 320105800612321。",
     {"patient": ["陈小宝"], "id_card": ["32010520150612321X", "320105800612321"], "admission": ["ZY88001"],
      "bed": ["7床"]}),
    ("设备科赵处长：患者周敏和吴刚的数据可以匿名提供。手机 186 0000 1234，座机 021-5432 1234 无效，"
     "改用 02154321234。",
     {"patient": ["周敏", "吴刚"], "mobile": ["186 0000 1234"], "landline": ["021-5432 1234", "02154321234"]}),
    ("随访记录\n住院号\n2026001999\n患者姓名：\n欧阳娜娜\n床号：\n22\n电话：87654321\n主管医生：孙伟",
     {"admission": ["2026001999"], "patient": ["欧阳娜娜"], "bed": ["22"], "landline": ["87654321"]}),
    ("病患黄某某（身份证号：44030619851231002X）入院，住院编号 H2026-556，门诊编号 MZ9981。",
     {"patient": ["黄某某"], "id_card": ["44030619851231002X"], "admission": ["H2026-556"],
      "record": ["MZ9981"]}),
    ("患者王先生电话15900001111，29床；病人：徐丽，手机号码：177-1234-0000。",
     {"patient": ["王"], "mobile": ["15900001111", "177-1234-0000"], "bed": ["29床"]}),
    ("入院记录\n姓名：孙丽华　性别：女　年龄：54岁\n诊断：股骨颈骨折\n病人家属：赵六说想用国产的。患者 张三 下周手术。",
     {"patient": ["孙丽华", "赵六", "张三"]}),
]

# Doctors, nurses and hospital staff are the customers' decision makers: extraction needs them.
CONTACTS = ["王主任", "李科长", "郁芳", "葛文博", "赵处长", "孙伟"]


def test_every_planted_identifier_is_masked_recall_one_for_each_kind():
    found: Counter[str] = Counter()
    planted: Counter[str] = Counter()
    missed = []
    for note, identifiers in PLANTED:
        masked = redact(note)
        for kind, values in identifiers.items():
            for value in values:
                planted[kind] += 1
                if value not in masked:
                    found[kind] += 1
                else:
                    missed.append((kind, value, masked))
            assert PLACEHOLDERS[kind] in masked
    assert set(planted) == set(PLACEHOLDERS)  # every kind is measured
    assert all(planted[kind] >= 2 for kind in PLACEHOLDERS), planted
    recall = {kind: found[kind] / planted[kind] for kind in planted}
    assert recall == dict.fromkeys(planted, 1.0), missed


@pytest.mark.parametrize("note", [note for note, _ in PLANTED])
def test_numbers_names_and_ids_leave_the_text(note):
    masked = redact(note)
    for digits in ["13812345678", "110101199003071234", "88886666", "2026001234", "32010520150612321X",
                   "15900001111", "62345678", "87654321"]:
        assert digits not in masked
    for name in ["张建国", "王某某", "李芳", "刘洋", "陈小宝", "欧阳娜娜", "黄某某", "徐丽", "周敏", "吴刚", "孙丽华",
                 "赵六", "张三"]:
        assert name not in masked


def test_doctors_nurses_and_staff_keep_their_names():
    masked = " ".join(redact(note) for note, _ in PLANTED)
    for contact in CONTACTS:
        assert contact in masked
    text = "见到了骨科陈主任和设备科刘科长，护士长郁芳、主任医师葛文博、信息科戴工也在。病人 王主任说病人多。"
    assert redact(text) == text
    form = "医疗器械临床试用反馈表\n评价人姓名：李明\n科室：骨科\n试用例数：6例"  # no patient's record near
    assert redact(form) == form


def test_the_text_around_an_identifier_stays():
    assert redact("患者张建国，住院号：2026001234，3床。") == "患者【患者】，住院号：【住院号】，【床号】。"
    assert redact("家属电话13812345678，王主任说恢复不错。") == "家属电话【手机号】，王主任说恢复不错。"
    assert redact("患者王先生说太贵") == "患者【患者】先生说太贵"


def test_dates_models_prices_counts_and_order_numbers_are_not_touched():
    text = ("2026-03-02 拜访，2026年3月2日试用结束，2026.8.19 电话沟通，4/30 复访。型号 HG-THA300、BS-880，"
            "单价¥1,200，报价 12800 元，共10例，订单号PO20260302001，合同号 HT-2026-0318。"
            "中央站只能看8床。患者反映噪音偏大，病人自费太多，白内障患者多，高龄患者，患者于今日出院。"
            "电话记录 6/1，电话 2026-05-22 跟进。")
    assert redact(text) == text


def test_masking_twice_changes_nothing():
    for note, _ in PLANTED:
        once = redact(note)
        assert redact(once) == once


def test_ocr_lines_keep_their_count_when_a_label_and_its_value_are_two_lines():
    lines = ["随访记录", "住院号：", "2026001234", "患者姓名：", "张建国", "主管医生：孙伟"]
    masked = redact_lines(lines)
    assert masked == ["随访记录", "住院号：", "【住院号】", "患者姓名：", "【患者】", "主管医生：孙伟"]


def test_sales_operations_can_add_a_cue_word_and_a_pattern(tmp_path):
    import yaml

    path = tmp_path / "redaction.yaml"
    data = yaml.safe_load((CONFIG_DIR / "redaction.yaml").read_text(encoding="utf-8"))
    data["cues"]["record"].append("影像编号")
    data["extra_patterns"] = [{"kind": "record", "pattern": r"PACS\d{6}"}]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    redactor = Redactor(load_yaml_model(path, RedactionFile))
    assert redactor.redact("影像编号 X778812，检查 PACS123456") == "影像编号 【病历号】，检查 【病历号】"


def test_a_broken_pattern_is_refused_with_file_and_field(tmp_path):
    path = tmp_path / "redaction.yaml"
    shutil.copy(CONFIG_DIR / "redaction.yaml", path)
    text = path.read_text(encoding="utf-8").replace("extra_patterns: []",
                                                      "extra_patterns:\n  - {kind: record, pattern: '([0-9'}")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_yaml_model(path, RedactionFile)
    assert caught.value.field == "extra_patterns[0].pattern" and caught.value.line is not None


def _facts(record) -> tuple:
    return (sorted((dm.name, dm.title or "") for dm in record.decision_makers),
            sorted((o.category, o.evidence) for o in record.objections),
            sorted((d.type, d.date) for d in record.key_dates))


def test_extraction_of_every_dev_note_is_the_same_after_masking(shared_dev):
    """Masking leaves decision makers, objections and dates as they were, also with identifiers planted."""
    from jinnang.nlp.extract import extract

    plant = "\n另：患者张建国（住院号：2026001234，3床）家属电话13812345678。"
    for line in (shared_dev / "extraction.jsonl").read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        date = dt.date.fromisoformat(case["reference_date"])
        original = extract(case["text"], date, case["kind"])
        assert redact(case["text"]) == case["text"], case["id"]  # a dev note holds no identifier to mask
        masked = redact(case["text"] + plant)
        assert "张建国" not in masked and "13812345678" not in masked
        assert _facts(extract(masked, date, case["kind"])) == _facts(original), case["id"]
