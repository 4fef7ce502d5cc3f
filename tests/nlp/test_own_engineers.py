"""Our own engineers told from the customer's: what the model reads around a person, that it leaves
out only engineers under its threshold, and that every engineer stays without its file."""
import json

from jinnang.core.records import DecisionMaker, Evidence
from jinnang.nlp.people import merging
from jinnang.nlp.people.learned_names import with_learned_names
from jinnang.nlp.people.mentions import mentions
from jinnang.nlp.people.merging import decision_makers_from
from jinnang.nlp.people.own_engineers import MODEL_FILE, MODELS, fit, packaged_model, person_context
from jinnang.nlp.pipeline import note_doc


def _person(text: str, name: str, title: str = "工程师", department: str | None = None) -> DecisionMaker:
    spans = []
    at = text.find(name)
    while at >= 0:
        end = at + len(name) + 1
        spans.append(Evidence(text=text[at:end], start=at, end=end))
        at = text.find(name, end)
    return DecisionMaker(name=name, title=title, department=department, evidence=spans)


def test_a_person_is_read_by_the_characters_around_each_of_their_mentions():
    text = "设备科柴工在场。下午让苗工过去装机。"
    assert person_context(text, _person(text, "苗")) == "设备科柴工在场。下午让⟨P⟩过去装机。"
    two = "让黎工过去。明天黎工培训"
    assert person_context(two, _person(two, "黎")) == "让⟨P⟩过去。明天黎工培训\n让黎工过去。明天⟨P⟩培训"


def _toy_model(threshold: float):
    ours = ["让⟨P⟩跟车过去装机", "派⟨P⟩驻场培训两周", "我们的⟨P⟩跟台", "让⟨P⟩远程调参数"] * 3
    customers = ["设备科⟨P⟩说预算不够", "信息科⟨P⟩要接口文档", "设备科⟨P⟩管验收", "信息科⟨P⟩说要评审"] * 3
    return fit(ours + customers, [False] * len(ours) + [True] * len(customers),
               [False] * len(ours) + [True] * len(customers), c=10.0, threshold=threshold)


def test_an_engineer_under_the_threshold_is_left_out_and_other_people_stay():
    text = "信息科姚工说要接口文档，让苗工跟车过去装机，骆主任在场。"
    people = [_person(text, "姚", department="信息科"), _person(text, "苗"),
              _person(text, "骆", title="主任", department="骨科")]
    kept = _toy_model(threshold=0.5).keep(text, people)
    assert [p.name for p in kept] == ["姚", "骆"]
    # at 0 every engineer stays: the threshold is what the training chooses
    assert [p.name for p in _toy_model(threshold=0.0).keep(text, people)] == ["姚", "苗", "骆"]


def test_without_the_model_every_engineer_the_rules_read_is_kept(monkeypatch):
    text = "今天让范工跟车过去装机，设备科柴工验收。"
    doc = note_doc(text)
    found = with_learned_names(doc, [m for m in mentions(doc) if m.name.strip()])
    every = {p.name for p in decision_makers_from(doc, found, engineers=None)}
    assert {"范", "柴"} <= every
    monkeypatch.setattr(merging, "packaged_model", lambda: None)
    assert {p.name for p in decision_makers_from(doc, found)} == every


def test_the_packaged_model_was_chosen_held_out_on_the_retired_sets():
    card = json.loads((MODELS / MODEL_FILE).with_suffix(".json").read_text(encoding="utf-8"))
    model = packaged_model()
    assert model is not None and model.threshold == card["threshold"]
    assert "leave-one-set-out" in card["chosen_on"] and card["engineers"] > 300


def test_the_packaged_model_leaves_out_an_engineer_a_rep_sends_to_install():
    text = "骨科骆主任同意试用。下周一设备到货，范工跟车过去装机，驻场两周培训护士。设备科柴工负责验收。"
    doc = note_doc(text)
    found = with_learned_names(doc, [m for m in mentions(doc) if m.name.strip()])
    names = {p.name for p in decision_makers_from(doc, found)}
    assert "范" not in names and {"骆", "柴"} <= names
