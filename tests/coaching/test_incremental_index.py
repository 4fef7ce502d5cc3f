"""Adding a document costs the document: it becomes one new segment, the scores stay those of one
index over everything, and a search never waits for a writer (real LAC, USE and Chroma)."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from jinnang.coaching import store as store_module
from jinnang.coaching.config import load_search_config
from jinnang.coaching.search import fused_scores, search
from jinnang.coaching.store import PlaybookStore, index_documents, load_index, read_manifest, store_dir
from jinnang.core.settings import Settings

QUERIES = ["报价太贵怎么回", "设备科要注册证", "今年没预算了", "医生嫌操作麻烦", "信息科接口排期"]


def _scores_by_chunk(settings: Settings, query: str) -> dict[str, float]:
    loaded = load_index(settings)
    scores, _ = fused_scores(loaded, query, load_search_config())
    return dict(zip(loaded.chunk_ids, scores.tolist()))


@pytest.fixture(scope="module")
def one_by_one(tmp_path_factory: pytest.TempPathFactory, small_docs: list[dict]) -> Settings:
    settings = Settings(data_dir=tmp_path_factory.mktemp("one-by-one"))
    for doc in small_docs:
        index_documents(settings, [doc])
    return settings


def test_an_index_built_one_document_at_a_time_scores_like_one_built_at_once(indexed, one_by_one, small_docs):
    assert len(read_manifest(store_dir(one_by_one))["segments"]) == len(small_docs)
    assert len(read_manifest(store_dir(indexed))["segments"]) == 1
    for query in QUERIES:
        at_once, by_one = _scores_by_chunk(indexed, query), _scores_by_chunk(one_by_one, query)
        assert at_once.keys() == by_one.keys()
        for cid, score in at_once.items():
            assert by_one[cid] == pytest.approx(score, abs=1e-4), (query, cid)
        assert [h["doc_id"] for h in search(indexed, query, k=5)] == [h["doc_id"] for h in search(one_by_one, query, k=5)]


def test_an_add_writes_one_segment_of_its_own_chunks_and_rewrites_no_other(tmp_path, small_docs):
    settings = Settings(data_dir=tmp_path)
    index_documents(settings, small_docs[:-1])
    directory = store_dir(settings)
    (first,) = read_manifest(directory)["segments"]
    before = (directory / first).stat()
    counts = index_documents(settings, [small_docs[-1]])
    assert counts == {"added": 1, "updated": 0, "unchanged": 0, "total": len(small_docs)}
    segments = read_manifest(directory)["segments"]
    assert segments[0] == first and len(segments) == 2
    after = (directory / first).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    from jinnang.coaching.indexing import Segment

    assert set(Segment.load(directory / segments[1]).chunk_doc) == {small_docs[-1]["id"]}
    assert small_docs[-1]["id"] in {h["doc_id"] for h in search(settings, small_docs[-1]["text"][:30], k=5)}


def test_merging_segments_changes_no_score(one_by_one, small_docs):
    before = {q: _scores_by_chunk(one_by_one, q) for q in QUERIES}
    assert PlaybookStore(one_by_one).merge()
    assert len(read_manifest(store_dir(one_by_one))["segments"]) == 1
    for query, scores in before.items():
        merged = _scores_by_chunk(one_by_one, query)
        for cid, score in scores.items():
            assert merged[cid] == pytest.approx(score, abs=1e-5)


def test_another_process_brings_its_index_up_to_date_from_the_new_segment_alone(tmp_path, small_docs):
    """What a reader in another process does: extend the index it holds by the segments added since."""
    settings = Settings(data_dir=tmp_path)
    index_documents(settings, small_docs[:4])
    held = load_index(settings)
    for doc in small_docs[4:]:
        index_documents(settings, [doc])
    directory = store_dir(settings)
    extended = store_module._load(settings, directory, held)
    store_module.drop_cached(settings)
    fresh = load_index(settings)
    assert extended.segments[0][1] is held.segments[0][1]  # reused, not read again
    assert extended.chunk_ids == fresh.chunk_ids and extended.position == fresh.position
    assert extended.docs.keys() == fresh.docs.keys() and extended.indexed == fresh.indexed
    assert np.array_equal(extended.prior, fresh.prior)
    for f, (labels, _matrix, codes) in fresh.label_centroids.items():
        assert extended.label_centroids[f][0] == labels and np.array_equal(extended.label_centroids[f][2], codes)


def test_a_search_answers_while_a_writer_holds_the_store(indexed):
    """Readers take no lock a writer holds: with the writer's locks taken, a search still returns."""
    search(indexed, "价格", k=3)
    answered: list[float] = []

    def query() -> None:
        started = time.perf_counter()
        search(indexed, "报价太贵怎么回", k=3)
        answered.append(time.perf_counter() - started)

    with store_module._writing(store_dir(indexed)):
        reader = threading.Thread(target=query)
        reader.start()
        reader.join(timeout=30)
    assert answered, "the search waited for the writer"


def test_a_changed_config_rebuilds_into_one_segment(tmp_path, small_docs):
    settings = Settings(data_dir=tmp_path)
    for doc in small_docs[:3]:
        index_documents(settings, [doc])
    config = load_search_config().model_copy(deep=True)
    config.snippet_chars = config.snippet_chars + 1
    PlaybookStore(settings, config).add(small_docs[3:4])
    assert len(read_manifest(store_dir(settings))["segments"]) == 1
    assert len(load_index(settings).indexed) == 4


def test_an_add_made_ready_before_the_lock_is_made_again_for_what_the_store_still_lacks(tmp_path, small_docs):
    """A writer segments and embeds new documents before it takes the store's lock; if another
    writer added one of them meanwhile, the ready segment is dropped and only the rest is added."""
    from jinnang.coaching.indexing import Segment
    from jinnang.coaching.records import PlaybookDocument

    settings = Settings(data_dir=tmp_path)
    index_documents(settings, small_docs[:-2])
    late, other = small_docs[-2], small_docs[-1]
    store = PlaybookStore(settings)
    ready = store._prepare_new([PlaybookDocument.parse(late), PlaybookDocument.parse(other)], None, lambda _m: None)
    assert ready is not None and set(ready.docs) == {late["id"], other["id"]}
    index_documents(settings, [late])  # the other writer got there first
    store._prepare_new = lambda *_a: ready  # type: ignore[method-assign]  # as it was made before the lock
    counts = store.add([late, other])
    assert counts == {"added": 1, "updated": 0, "unchanged": 1, "total": len(small_docs)}
    directory = store_dir(settings)
    chunk_docs = [d for name in read_manifest(directory)["segments"] for d in Segment.load(directory / name).chunk_doc]
    assert chunk_docs.count(late["id"]) == len(PlaybookDocument.parse(late).chunks())  # once, not twice
    assert other["id"] in chunk_docs
    fresh = Settings(data_dir=tmp_path)
    store_module.drop_cached(fresh)
    assert other["id"] in {h["doc_id"] for h in search(fresh, other["text"][:30], k=5)}
