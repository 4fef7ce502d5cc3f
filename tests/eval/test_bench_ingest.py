"""`jinnang bench ingest --peer` runs both pipelines for real on the same notes and prints the ratio."""
from typer.testing import CliRunner

from jinnang.cli import ingest_cmds  # noqa: F401  (registers the bench command)
from jinnang.cli.app import app
from jinnang.eval.bench_ingest import bench_ingest_peer, generate_notes


def test_generated_notes_are_distinct_chinese_visit_notes(tmp_path):
    paths = generate_notes(tmp_path, 20)
    texts = [p.read_text(encoding="utf-8") for p in paths]
    assert len(set(texts)) == 20
    assert all(t.startswith("拜访日期：2026年") and "拜访对象：" in t and "下一步：" in t for t in texts)


def test_both_sides_run_and_the_ratio_is_their_rates(tmp_path):
    folder = tmp_path / "notes"
    generate_notes(folder, 3)
    result = bench_ingest_peer(folder, rounds=1)
    assert result["notes"] == 3 and result["rounds"] == 1
    jinnang, peer = result["jinnang_notes_per_s"][0], result["langchain_notes_per_s"][0]
    assert jinnang > 0 and peer > 0
    # the printed rates are rounded to 0.01 notes/s, so a slow round's quotient differs from the ratio a little
    assert abs(result["ratio_per_round"][0] - jinnang / peer) <= 0.02 + 0.01 / peer * result["ratio_per_round"][0]
    assert len(result["load_1min"]) == 3


def test_a_peer_folder_that_does_not_exist_is_refused(tmp_path):
    run = CliRunner().invoke(app, ["bench", "ingest", "--peer", str(tmp_path / "nowhere")])
    assert run.exit_code == 2 and "--peer" in run.output
