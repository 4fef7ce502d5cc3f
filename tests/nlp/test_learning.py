"""A data dir's own learned parts (objections, visit facts and key-date types): notes kept by id, a refit kept only
when it is not worse, extraction reading the refit, rollback."""
from __future__ import annotations

import os

import pytest

from jinnang.core.records import OBJECTION_CATEGORIES
from jinnang.nlp import date_types, learning, refit, visit_needs, visit_questions
from jinnang.nlp.objection_clauses import MODEL_FILE, MODELS, load_model
from jinnang.nlp.objection_scorer import MODEL_FILE as SCORER_FILE
from jinnang.nlp.objection_scorer import learned_scorer, load_scorer


@pytest.fixture(scope="module")
def shipped():
    """A slice of the shipped sets, read once (the whole of them takes ~10 s)."""
    sets = learning.read_sets(["dev", "tune5"])
    return learning.prepare([*sets["dev"][:30], *sets["tune5"][:30]])


def test_notes_are_kept_by_id_and_a_note_taught_again_replaces_its_labels(tmp_path):
    note = {"id": "a", "kind": "visit_note", "text": "价格偏高", "reference_date": "2026-03-02",
            "gold": {"objections": [{"category": "price", "evidence": "价格偏高"}]}}
    assert learning.add_notes(tmp_path, [note, {**note, "id": "b"}]) == (2, 2)
    assert learning.add_notes(tmp_path, [{**note, "gold": {"objections": []}}]) == (0, 2)
    kept = {n["id"]: n for n in learning.stored_notes(tmp_path)}
    assert kept["a"]["gold"] == {"objections": []} and kept["b"]["gold"]["objections"]


def test_a_refit_taught_nonsense_is_refused_and_nothing_changes(tmp_path, shipped):
    # every clause of 40 other notes labelled with every category: the model would add them everywhere (with
    # four categories only, a refit fitted on this small slice of the shipped notes may still score it better)
    nonsense = [{"id": f"x{i}", "text": case["text"], "reference_date": "2026-03-02",
                 "gold": {"objections": [{"category": c, "evidence": case["text"]} for c in OBJECTION_CATEGORIES]}}
                for i, case in enumerate(learning.read_sets(["tune2"])["tune2"])]
    learning.add_notes(tmp_path, nonsense)
    result = refit.refit(tmp_path, shipped=shipped)
    assert not result.kept and result.f1_new < result.f1_old
    assert not (tmp_path / "learning" / "models" / MODEL_FILE).exists()
    assert learned_scorer(tmp_path) is None


def test_a_kept_refit_is_used_and_the_one_before_it_comes_back_on_rollback(tmp_path, shipped):
    good = [dict(n.case) | {"id": f"g{i}"} for i, n in enumerate(shipped[30:40])]
    learning.add_notes(tmp_path, good)
    first = refit.refit(tmp_path, tolerance=0.05, shipped=shipped)
    assert first.kept and first.notes == 10 and first.seconds < 60
    own = tmp_path / "learning" / "models" / MODEL_FILE
    assert learning.current_model_path(tmp_path) == own
    assert load_model(own).card["learned_notes"] == 10
    # the character scorer is refitted with them too, and is what this data dir's extraction reads
    scorer = learned_scorer(tmp_path)
    assert scorer is not None and scorer is not load_scorer()
    assert (tmp_path / "learning" / "models" / SCORER_FILE).is_file()
    # …and so are the learned visit facts, which this data dir's extraction now reads
    assert first.visit_new >= first.visit_old - 0.05 > 0
    assert visit_questions.current_path(tmp_path) == tmp_path / "learning" / "models" / visit_questions.MODEL_FILE
    assert visit_needs.current_path(tmp_path) == tmp_path / "learning" / "models" / visit_needs.MODEL_FILE
    # …and the learned key-date type
    assert first.dates_new >= first.dates_old - 0.05 > 0
    assert date_types.current_path(tmp_path) == tmp_path / "learning" / "models" / date_types.MODEL_FILE
    learning.add_notes(tmp_path, [dict(n.case) | {"id": f"h{i}"} for i, n in enumerate(shipped[40:45])])
    assert refit.refit(tmp_path, tolerance=0.05, shipped=shipped).kept
    assert load_model(own).card["learned_notes"] == 15
    assert refit.rollback(tmp_path) == "the previous refit"
    assert load_model(own).card["learned_notes"] == 10
    assert refit.rollback(tmp_path) == "the packaged model"
    assert learning.current_model_path(tmp_path) == MODELS / MODEL_FILE
    assert learned_scorer(tmp_path) is None
    assert visit_needs.current_path(tmp_path) == visit_needs.MODELS / visit_needs.MODEL_FILE
    assert date_types.current_path(tmp_path) == date_types.MODELS / date_types.MODEL_FILE
    with pytest.raises(FileNotFoundError, match="nothing to roll back"):
        refit.rollback(tmp_path)


def test_leave_one_set_out_fits_without_the_set_it_scores(shipped):
    sets = {"a": shipped[:30], "b": shipped[30:]}
    result = learning.leave_one_set_out(sets, threshold=0.92, refit_char_scorer=False)
    assert set(result) == {"a", "b"} and result["b"]["notes"] == 30
    for figures in result.values():
        assert set(figures) == {"notes", "rules", "rules+char", "rules+char+clauses"}
        assert 0.0 < figures["rules+char+clauses"]["f1"] <= 1.0


def test_extraction_in_a_data_dir_uses_its_own_character_scorer(tmp_path, shipped, monkeypatch):
    from jinnang.core.settings import get_settings
    from jinnang.nlp.objections import default_finder

    monkeypatch.setenv("JINNANG_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        finder = default_finder()
        assert finder.scorer is finder.packaged_scorer
        learning.add_notes(tmp_path, [dict(n.case) | {"id": f"g{i}"} for i, n in enumerate(shipped[30:40])])
        assert refit.refit(tmp_path, tolerance=0.05, shipped=shipped).kept
        assert finder.scorer is learned_scorer(tmp_path) is not finder.packaged_scorer
        finder.scorer = finder.packaged_scorer  # an explicit scorer wins (how training compares them)
        assert finder.scorer is finder.packaged_scorer
        finder.scorer_override = None
    finally:
        get_settings.cache_clear()


def _dev_and_tune_only(tmp_path, monkeypatch):
    """Copies of two small training sets, standing for all of them."""
    import shutil

    sets = {}
    for name in ("dev", "tune"):
        sets[name] = tmp_path / f"{name}.jsonl"
        shutil.copy(learning.TRAINING_SETS[name], sets[name])
    monkeypatch.setattr(learning, "TRAINING_SETS", sets)
    return sets


def test_the_shipped_sets_are_prepared_once_until_one_of_them_changes(tmp_path, monkeypatch):
    sets = _dev_and_tune_only(tmp_path, monkeypatch)
    first = learning.shipped_notes()
    assert learning.shipped_notes() is first  # the second refit in a process reads nothing again
    assert [n.source for n in first] == ["dev"] * 60 + ["tune"] * 30
    assert {name: len(notes) for name, notes in learning.prepared_sets().items()} == {"dev": 60, "tune": 30}
    os.utime(sets["tune"], ns=(0, 1))  # an edited set is read again
    assert learning.shipped_notes() is not first


def test_a_learn_process_reads_the_shipped_notes_from_its_disk_cache_until_an_input_changes(tmp_path, monkeypatch):
    import numpy as np

    sets = _dev_and_tune_only(tmp_path, monkeypatch)
    cache = tmp_path / "cache"
    learning._shipped.clear()
    first = learning.shipped_notes(cache)
    written = list(cache.glob("shipped-*.joblib"))
    assert len(written) == 1
    learning._shipped.clear()  # as in the next process
    again = learning.shipped_notes(cache)
    assert again is not first and [n.case["id"] for n in again] == [n.case["id"] for n in first]
    assert all(np.array_equal(a.x, b.x) and np.array_equal(a.stands, b.stands) for a, b in zip(again, first))
    sets["tune"].write_text(sets["tune"].read_text(encoding="utf-8").splitlines(keepends=True)[0], encoding="utf-8")
    learning._shipped.clear()
    assert [n.source for n in learning.shipped_notes(cache)] == ["dev"] * 60 + ["tune"]  # read afresh
    assert len(list(cache.glob("shipped-*.joblib"))) == 1 and not written[0].exists()  # the old file gone


def test_the_shipped_notes_features_are_kept_once_a_machine_where_the_settings_say(tmp_path, monkeypatch):
    from jinnang.core.settings import get_settings

    monkeypatch.delenv("JINNANG_LEARNING_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    get_settings.cache_clear()
    try:
        assert learning.shared_cache_dir() == tmp_path / "xdg" / "jinnang" / "learning"
        monkeypatch.setenv("JINNANG_LEARNING_CACHE", str(tmp_path / "elsewhere"))
        get_settings.cache_clear()
        assert learning.shared_cache_dir() == tmp_path / "elsewhere"
    finally:
        get_settings.cache_clear()


def test_a_cache_dir_that_cannot_be_written_only_costs_the_next_run_its_time(tmp_path, monkeypatch):
    _dev_and_tune_only(tmp_path, monkeypatch)
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory", encoding="utf-8")
    learning._shipped.clear()
    assert [n.source for n in learning.shipped_notes(blocked / "cache")] == ["dev"] * 60 + ["tune"] * 30
