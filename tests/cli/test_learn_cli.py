"""`jinnang learn`, `jinnang eval leave-one-set-out` and `jinnang bench learning` as a user runs them."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from jinnang.cli import learn_cmds  # noqa: F401  (registers the commands)
from jinnang.cli.app import app
from jinnang.core.paths import SHARED_DATA
from jinnang.core.settings import get_settings
from jinnang.nlp.objection_clauses import MODEL_FILE, MODELS, model_path

# learning reads a slice of the shipped sets (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("few_shipped_sets")


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def test_learn_from_a_gold_file_refits_keeps_or_refuses_and_rolls_back(data_dir, tmp_path):
    gold = tmp_path / "team.jsonl"
    lines = (SHARED_DATA / "dev" / "extraction.jsonl").read_text(encoding="utf-8").splitlines()[:12]
    gold.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = run("learn", "--from", str(gold), "--tolerance", "0.2")
    assert done.exit_code == 0, done.output
    assert "12 notes" in done.output and "refit 0." in done.output and "current model 0." in done.output
    assert model_path(data_dir) == data_dir / "learning" / "models" / MODEL_FILE
    assert len((data_dir / "learning" / "notes.jsonl").read_text(encoding="utf-8").splitlines()) == 12
    done = run("learn", "--rollback")
    assert done.exit_code == 0 and "packaged model" in done.output
    assert model_path(data_dir) == MODELS / MODEL_FILE


def test_a_bad_gold_line_or_nothing_to_learn_is_exit_2_with_the_reason(data_dir, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "text": "价格偏高", "gold": {}}\n', encoding="utf-8")
    done = run("learn", "--from", str(bad))
    assert done.exit_code == 2 and "line 1, field reference_date" in done.output
    done = run("learn")  # no reviewed record in a fresh data dir
    assert done.exit_code == 2 and "no labelled notes" in done.output
    done = run("learn", "--rollback")
    assert done.exit_code == 2 and "nothing to roll back" in done.output


def test_learn_alone_reads_the_managers_reviewed_records(data_dir):
    _reviewed_records_become_gold_notes(get_settings())


def test_reviewed_records_are_read_from_postgresql_too(pg_settings):
    _reviewed_records_become_gold_notes(pg_settings)


def _reviewed_records_become_gold_notes(settings) -> None:
    from jinnang.core.records import ExtractionRecord, Objection
    from jinnang.nlp.learning import reviewed_cases
    from jinnang.nlp.store import mark_reviewed, records_engine, save_record

    text = "科主任觉得每个病人多花两百块，病人不一定愿意自费。"
    record = ExtractionRecord(objections=[Objection(category="price", evidence="病人不一定愿意自费", start=15, end=24)])
    with Session(records_engine(settings)) as session:
        row = save_record(session, document_id="doc-1", kind="visit_note", reference_date=dt.date(2026, 3, 2),
                          text=text, record=record)
        save_record(session, document_id="doc-2", kind="visit_note", reference_date=dt.date(2026, 3, 2),
                    text="无事", record=ExtractionRecord())  # never reviewed: not learned from
        mark_reviewed(session, row, "mgr-1")
        session.commit()
    cases = reviewed_cases(settings)
    assert [(c["id"], c["gold"]["objections"]) for c in cases] == [
        ("review:doc-1", [{"category": "price", "evidence": "病人不一定愿意自费"}])]


def test_leave_one_set_out_prints_the_shipped_and_the_held_out_figure_of_a_set():
    done = run("eval", "leave-one-set-out", "--set", "tune5", "--keep-char-scorer", "--json")
    assert done.exit_code == 0, done.output
    tune5 = json.loads(done.output)["sets"]["tune5"]
    assert tune5["notes"] == 50
    # the character scorer kept, only the clause model is refitted without tune5: the row before it agrees
    shipped, left_out = tune5["shipped"], tune5["left_out"]
    assert shipped["rules+char"] == left_out["rules+char"]
    assert shipped["rules+char+clauses"] != left_out["rules+char+clauses"]
    # a blind set not yet retired is no training set
    assert run("eval", "leave-one-set-out", "--set", "holdout36").exit_code == 2


def test_bench_learning_prints_a_row_per_number_of_notes_learned():
    done = run("bench", "learning", "--sizes", "0,10")
    assert done.exit_code == 0, done.output
    assert "learning curve on tune5" in done.output and "load average" in done.output
    assert done.output.splitlines()[1].split()[-4:] == ["visit", "dates", "refit", "s"]
    assert [line.split()[0] for line in done.output.splitlines()[2:5]] == ["0", "0", "10"]
    assert run("bench", "learning", "--sizes", "x").exit_code == 2
