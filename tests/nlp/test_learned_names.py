"""The learned reading of names at titles: its candidates, that it only reads where the rules read
nobody (or lengthens what they read), and that the rules stand alone without its file."""
import json

import pytest

from jinnang.nlp.people import find_decision_makers, learned_names
from jinnang.nlp.people.learned_names import (
    MODEL_FILE,
    MODELS,
    candidates,
    lengthenings,
    load,
    titles_in,
    with_learned_names,
)
from jinnang.nlp.people.mentions import mentions
from jinnang.nlp.pipeline import note_doc


def _runs(text: str, title: str) -> list[tuple[str, str]]:
    at = next(a for a in titles_in(note_doc(text)) if text[a.start:a.end] == title)
    return [(c.name(text), c.side) for c in candidates(text, at)]


def test_candidates_are_runs_of_han_characters_ending_at_the_title_or_starting_after_it():
    runs = _runs("见了，哈斯护士长：其木格", "护士长")
    assert ("哈斯", "before") in runs and ("见了", "before") not in runs
    assert ("斯", "before") in runs  # a lone character too: the model reads whether a name starts there
    assert ("其木格", "after:") in runs and ("其木", "after:") in runs
    assert not any("是" in run for run, _ in _runs("科主任：钱不是问题", "科主任"))  # no name holds 是
    # a name's dots stay inside it, never at either end; a bracket and spaces may stand before the title
    runs = _runs("经办：阿不都·吐尔逊（工程师）", "工程师")
    assert ("阿不都·吐尔逊", "before+gap") in runs and ("·吐尔逊", "before+gap") not in runs


def test_a_rule_name_is_lengthened_from_where_it_ends_even_with_another_title_between():
    text = "下午在门诊碰到谷春梅大夫（副主任医师），聊了十分钟"
    mention = next(m for m in mentions(note_doc(text)) if text[m.title_start:].startswith("副主任医师"))
    runs = [(c.name(text), c.side) for c in lengthenings(text, mention)]
    assert runs[0] == (mention.name, "before+gap")  # the rules' own reading is scored beside its lengthenings
    assert all(run.endswith(mention.name) and len(run) <= 8 for run, _ in runs)
    assert ("谷春梅", "before+gap") in runs


def test_the_packaged_model_was_chosen_held_out_on_the_retired_sets():
    card = json.loads((MODELS / MODEL_FILE).with_suffix(".json").read_text(encoding="utf-8"))
    model = load(MODELS / MODEL_FILE)
    assert model is not None and model.add_threshold == card["add_threshold"]
    assert "leave-one-set-out" in card["chosen_on"] and card["cases"] > 1000


def test_a_lone_character_outside_the_surname_list_is_read_as_a_surname_where_a_name_starts():
    # 弭 is no surname of the list, but the training notes show it before titles; 找 before 科长 is no name
    assert ("弭", "科长") in [(d.name, d.title) for d in find_decision_makers("上午去设备科，弭科长说下周再议。")]
    assert not [d for d in find_decision_makers("今天没找着人，说是去找科长了。") if d.title == "科长"]


@pytest.mark.parametrize("text, person", [
    ("今天见了普外科贺主任和手术室哈斯护士长，带了样品。", ("哈斯", "护士长")),
    ("感染性疾病科 玉罕主任：科里每周随访一百多人，想上弹性。", ("玉罕", "主任")),
    ("上午先去院办见了泽仁多吉院长，院长对熏蒸舱挺有兴趣。", ("泽仁多吉", "院长")),
])
def test_names_the_surname_rules_cannot_read_are_found(text, person):
    assert person in [(d.name, d.title) for d in find_decision_makers(text)]


def test_it_never_takes_away_what_the_rules_read():
    text = "设备科沈科长说可以，护士长其木格在旁边插了一句。"
    doc = note_doc(text)
    found = mentions(doc)
    learned = with_learned_names(doc, list(found))
    assert {(m.name, m.title_start) for m in found} <= {(m.name, m.title_start) for m in learned}


def test_without_its_file_the_rules_answer_alone(monkeypatch, tmp_path):
    text = "上午先去院办见了泽仁多吉院长，院长对熏蒸舱挺有兴趣。"
    assert load(tmp_path / "none.joblib") is None
    monkeypatch.setattr(learned_names, "_PACKAGED", [None])
    doc = note_doc(text)
    assert with_learned_names(doc, mentions(doc)) == mentions(doc)


def test_an_unreadable_model_file_leaves_the_rules_alone(tmp_path):
    path = tmp_path / "names.joblib"
    path.write_bytes(b"not a model")
    assert load(path) is None
