"""A text embedded twice in one process is computed once; the rows keep the caller's order."""
import numpy as np

from jinnang.ingest.chunking import document_chunks
from jinnang.ingest.embed import VectorMemo
from jinnang.ingest.vectors import open_collection


def _fake_compute(calls):
    def compute(texts):
        calls.append(list(texts))
        return np.array([[len(t), ord(t[0])] for t in texts], dtype=np.float32)
    return compute


def test_known_texts_are_not_computed_again_and_order_is_kept():
    memo, calls = VectorMemo(size=10), []
    first = memo.embed(["甲", "乙乙"], _fake_compute(calls))
    second = memo.embed(["乙乙", "丙", "甲", "丙"], _fake_compute(calls))
    assert calls == [["甲", "乙乙"], ["丙"]]
    assert np.array_equal(second[0], first[1]) and np.array_equal(second[2], first[0])
    assert np.array_equal(second[1], second[3]) and memo.hits == 2


def test_the_memo_forgets_the_oldest_beyond_its_size():
    memo, calls = VectorMemo(size=2), []
    memo.embed(["a", "b", "c"], _fake_compute(calls))
    memo.embed(["a"], _fake_compute(calls))
    assert calls[-1] == ["a"]


def test_a_short_document_is_one_chunk_and_a_long_one_is_cut():
    assert document_chunks("  \n ") == []
    assert document_chunks(" 王主任说价格偏高。\n下周再去。") == ["王主任说价格偏高。\n下周再去。"]
    long = "王主任说价格偏高，希望再降一点。" * 40
    chunks = document_chunks(long)
    assert len(chunks) > 1 and all(len(c) <= 400 for c in chunks) and "".join(chunks) == long


def test_a_collection_is_opened_once_a_process(settings):
    assert open_collection(settings, "chunks") is open_collection(settings, "chunks")
