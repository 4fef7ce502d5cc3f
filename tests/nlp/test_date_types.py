"""The learned key-date type: what it reads, that it only retypes past its threshold (the days
themselves stay the rules'), that it leaves out a date only when sure it is no deal date, and that the
rules type alone without its file."""
import datetime as dt
import json

from jinnang.core.records import KeyDate
from jinnang.nlp import date_types
from jinnang.nlp.date_types import MODEL_FILE, MODELS, NONE, context, fit, load_model, with_learned_types
from jinnang.nlp.dates import find_key_dates

REF = dt.date(2026, 6, 1)


def test_a_date_is_read_by_its_sentence_on_either_side():
    text = "上周见了主任。约了6月18号去科里演示样机，设备科也来。下一句不算"
    start = text.index("6月18号")
    assert context(text, start, start + 5) == "约了⟨D⟩去科里演示样机，设备科也来"


def test_a_form_value_alone_on_its_line_reads_the_label_on_the_line_beside_it():
    text = "试用起止日期\n2025.12.01\n至\n2026.01.10\n试用例数 42 例。日期 2026.1.13"
    first, second, signed = (text.index(d) for d in ("2025.12.01", "2026.01.10", "2026.1.13"))
    assert context(text, first, first + 10) == "试用起止日期¶⟨D⟩¶至"
    assert context(text, second, second + 10) == "至¶⟨D⟩¶试用例数 42 例"
    assert context(text, signed, signed + 9) == "日期 ⟨D⟩"  # a label on its own line is read as before
    sentence = "主任说了。\n6月18号\n再来"  # a sentence's end is no line of a form: 。 stops it
    at = sentence.index("6月18号")
    assert context(sentence, at, at + 5) == "⟨D⟩¶再来"


def test_the_packaged_model_was_chosen_held_out_on_the_retired_sets():
    card = json.loads((MODELS / MODEL_FILE).with_suffix(".json").read_text(encoding="utf-8"))
    model = load_model(str(MODELS / MODEL_FILE))
    assert model is not None and model.threshold == card["threshold"]
    assert model.drop_threshold == card["drop_threshold"]
    assert "leave-one-set-out" in card["chosen_on"] and card["cases"] > 1000


DEMO = ["约了⟨D⟩去科里演示样机", "⟨D⟩上午在设备科现场演示", "定在⟨D⟩给主任演示一下"]


def _tiny_model(threshold: float, other: tuple[str, list[str]] | None = None, drop: float = 1.01):
    """Demo sentences against `other` (a class and its sentences; default next meetings)."""
    label, sentences = other or ("next_meeting", ["⟨D⟩再去拜访主任", "约好⟨D⟩再碰一下", "⟨D⟩下午再过去聊"])
    texts = (DEMO + sentences) * 4
    model = fit(texts, ["other"] * len(texts), [False] * len(texts), (["demo"] * 3 + [label] * 3) * 4, c=10.0)
    model.threshold, model.drop_threshold = threshold, drop
    return model


def _dates(text: str) -> tuple[list[KeyDate], list[dict[str, bool]]]:
    details: list[dict[str, bool]] = []
    return find_key_dates(text, REF, kind="visit_note", details=details), details


def test_a_sure_model_retypes_and_a_shy_one_leaves_the_rules_type():
    text = "约了6月18号去科里演示样机。"
    found = [KeyDate(type="other", date=dt.date(2026, 6, 18), evidence="6月18号", start=2, end=7)]
    assert [d.type for d in with_learned_types(text, found, None, _tiny_model(0.5))] == ["demo"]
    assert [d.type for d in with_learned_types(text, found, None, _tiny_model(1.01))] == ["other"]
    retyped = with_learned_types(text, found, None, _tiny_model(0.5))[0]
    assert (retyped.date, retyped.evidence, retyped.start) == (found[0].date, found[0].evidence, found[0].start)


def test_a_day_then_named_twice_with_one_type_is_kept_once_and_the_details_stay_aligned():
    text = "6月18号去科里演示样机，定在6月18号给主任演示一下。"
    found = [KeyDate(type="other", date=dt.date(2026, 6, 18), evidence="6月18号", start=0, end=5),
             KeyDate(type="demo", date=dt.date(2026, 6, 18), evidence="6月18号", start=14, end=19)]
    details = [{"cued": False}, {"cued": True}]
    out = with_learned_types(text, found, details, _tiny_model(0.5))
    assert [(d.type, d.start) for d in out] == [("demo", 0)] and details == [{"cued": False}]


def test_without_its_file_the_rules_type_alone(tmp_path):
    text = "主任说下周三再过来聊，6月18号去科里演示样机。"
    found, details = _dates(text)
    assert with_learned_types(text, found, details, str(tmp_path / "none.joblib")) == found


def test_an_unreadable_model_file_leaves_the_rules_alone(tmp_path):
    path = tmp_path / "date_types.joblib"
    path.write_bytes(b"not a model")
    assert date_types.load(path) is None


HOLIDAY = (NONE, ["国庆放假⟨D⟩到10月7日", "⟨D⟩到10月7日放假，调休", "放假安排：⟨D⟩起休息"])
HOLIDAY_NOTE = "国庆放假10月1日到10月7日。约了10月9号去科里演示样机。"
HOLIDAY_DATES = [KeyDate(type="other", date=dt.date(2026, 10, 1), evidence="10月1日", start=4, end=9),
                 KeyDate(type="other", date=dt.date(2026, 10, 9), evidence="10月9号", start=17, end=22)]


def test_a_date_the_model_is_sure_is_no_deal_date_is_left_out_and_the_details_stay_aligned():
    details = [{"cued": False}, {"cued": False}]
    out = with_learned_types(HOLIDAY_NOTE, HOLIDAY_DATES, details, _tiny_model(0.5, HOLIDAY, drop=0.5))
    assert [(d.type, d.date.day) for d in out] == [("demo", 9)] and details == [{"cued": False}]


def test_a_model_not_sure_enough_leaves_every_date_in():
    out = with_learned_types(HOLIDAY_NOTE, HOLIDAY_DATES, None, _tiny_model(0.5, HOLIDAY, drop=1.01))
    assert [d.date.day for d in out] == [1, 9] and NONE not in {d.type for d in out}
