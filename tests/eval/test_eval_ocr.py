"""The OCR scorer: CER definition, manifest reading and the `jinnang eval ocr` command."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont
from typer.testing import CliRunner

from jinnang.cli import ocr_cmds  # noqa: F401  (registers the commands)
from jinnang.cli.app import app
from jinnang.core.errors import InputError
from jinnang.eval.ocr import cer, score_ocr


def test_cer_is_edit_distance_over_gold_length():
    assert cer("试用科室", "试用科室") == 0.0
    assert cer("试用科", "试用科室") == 0.25
    assert cer("科室\n试用", "试用\n科室") == 0.8  # reading order counts: 4 edits over 5 characters


@pytest.fixture(scope="module")
def one_page_set(tmp_path_factory) -> Path:
    found = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True).stdout
    fonts = sorted({line.split(":")[0].strip() for line in found.splitlines() if "Sans" in line and "CJK" in line})
    if not fonts:
        pytest.skip("no Noto Sans CJK font installed")
    folder = tmp_path_factory.mktemp("ocrset")
    font = ImageFont.truetype(fonts[0], 36)
    lines = ["临床试用反馈表", "试用科室：骨科", "存在问题：单价偏高", "评价医师：王海（副主任医师）", "日期：2026年5月29日"]
    page = Image.new("L", (1000, 560), 255)
    draw = ImageDraw.Draw(page)
    for i, line in enumerate(lines):
        draw.text((80, 60 + i * 90), line, font=font, fill=0)
    page.save(folder / "p1.png")
    (folder / "manifest.jsonl").write_text(
        json.dumps({"id": "p1", "image": "p1.png", "text": "\n".join(lines), "condition": "clean",
                    "kind": "trial_feedback", "reference_date": "2026-05-29",
                    "gold": {"decision_makers": [{"name": "王海", "title": "副主任医师", "department": "骨科",
                                                  "organization": None, "role": "clinical_lead"}],
                             "objections": [{"category": "price", "evidence": "单价偏高"}], "key_dates": [],
                             "visit": None, "journey_node": None}},
                   ensure_ascii=False) + "\n", encoding="utf-8")
    return folder


def test_score_reports_cer_speed_engine_and_subsets(one_page_set):
    result = score_ocr(one_page_set, "rapidocr")
    assert result["engine"] == "rapidocr"
    assert result["pages"] == 1 and set(result["per_form"]) == {"p1"}
    assert result["cer_mean"] <= 0.05 and result["cer_max"] == result["per_form"]["p1"]
    assert result["seconds_per_page"] > 0
    assert result["subsets"]["clean"]["pages"] == 1
    assert result["subsets"]["clean"]["seconds_per_page"] == result["seconds_per_page"]  # each layout timed too


def test_gold_objects_are_scored_on_the_ocr_text(one_page_set):
    scores = score_ocr(one_page_set, "rapidocr")["extraction_on_ocr_text"]
    assert scores["decision_makers_f1"] == 1.0 and scores["objections_f1"] == 1.0


def test_folder_without_manifest_is_an_input_error(tmp_path):
    with pytest.raises(InputError) as err:
        score_ocr(tmp_path)
    assert err.value.field == "path"


def test_eval_ocr_command_prints_one_json_object(one_page_set):
    out = CliRunner().invoke(app, ["eval", "ocr", str(one_page_set), "--json", "--subset", "all=p1"])
    assert out.exit_code == 0, out.output
    result = json.loads(out.stdout)
    assert result["subsets"]["all"]["cer_mean"] == result["cer_mean"]


def test_ocr_jsonl_answers_text_and_names_the_image_field(one_page_set, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(o) for o in [
        {"id": "ok", "image": str(one_page_set / "p1.png")},
        {"id": "gone", "image": str(tmp_path / "missing.png")},
        {"id": "none"},
    ]) + "\n")
    out = CliRunner().invoke(app, ["ocr", "--jsonl", str(source)])
    assert out.exit_code == 1
    answers = [json.loads(line) for line in out.stdout.splitlines()]
    assert answers[0]["id"] == "ok" and "试用科室：骨科" in answers[0]["text"]
    assert [a["error"]["field"] for a in answers[1:]] == ["image", "image"]


def test_unknown_engine_stops_the_command(one_page_set):
    out = CliRunner().invoke(app, ["eval", "ocr", str(one_page_set), "--engine", "abbyy"])
    assert out.exit_code == 2
