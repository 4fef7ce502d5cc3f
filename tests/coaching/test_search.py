"""Hybrid playbook search on a small real index (LAC, bm25s, USE in Chroma)."""
from __future__ import annotations

import numpy as np
import pytest

from jinnang.coaching import index_documents
from jinnang.coaching.config import load_search_config
from jinnang.coaching.indexing import document_prior
from jinnang.coaching.lc import PlaybookRetriever, playbook_vectorstore
from jinnang.coaching.search import search
from jinnang.coaching.store import PlaybookStore
from jinnang.coaching.vectors import PlaybookVectors
from jinnang.core.errors import InputError


def ids(hits):
    return [h["doc_id"] for h in hits]


def test_paraphrase_of_budget_freeze_finds_the_answer_before_the_problem_note(indexed):
    hits = ids(search(indexed, "客户说没钱了怎么办", k=5))
    assert hits.index("t-budget-won") < hits.index("t-budget-open")


def test_department_synonym_finds_equipment_department_note(indexed):
    assert ids(search(indexed, "器械科要资质", k=3))[0] == "t-reg-won"


def test_traditional_script_query_matches_simplified_documents(indexed):
    assert "t-reg-won" in ids(search(indexed, "注冊證", k=3))


def test_price_objection_ranks_talk_track_and_won_answer_above_the_lost_note(indexed):
    hits = ids(search(indexed, "报价太贵怎么回", k=5))
    assert hits[0] in {"t-price-track", "t-price-won"}
    assert hits.index("t-price-lost") > hits.index("t-price-track")


def test_filters_restrict_by_outcome_and_canonical_department(indexed):
    assert set(ids(search(indexed, "接口", k=10, filters={"outcome": "won"}))) <= {
        d for d in ("t-budget-won", "t-reg-won", "t-price-won", "t-form", "t-it-won")}
    assert ids(search(indexed, "注册证", k=10, filters={"department": "设备科"})) == ["t-reg-won"]
    with pytest.raises(InputError) as err:
        search(indexed, "接口", filters={"hospital": "x"})
    assert err.value.field == "hospital"


def test_snippet_highlights_the_matched_words(indexed):
    hit = search(indexed, "注册证", k=1)[0]
    start, end = hit["highlights"][0]
    assert "注册证" in hit["snippet"][start:end]


def test_bad_query_and_k_name_their_field(indexed):
    for kwargs, field in (({"query": " "}, "query"), ({"query": "价格", "k": 0}, "k")):
        with pytest.raises(InputError) as err:
            search(indexed, **kwargs)
        assert err.value.field == field


def test_reindexing_the_same_documents_adds_nothing(indexed, small_docs):
    before = PlaybookVectors(indexed).count()
    counts = index_documents(indexed, small_docs)
    assert counts["added"] == 0 and counts["updated"] == 0 and counts["unchanged"] == len(small_docs)
    assert PlaybookVectors(indexed).count() == before == len(small_docs)


def test_changed_document_is_replaced_not_duplicated(tmp_path, small_docs):
    from jinnang.core.settings import Settings

    settings = Settings(data_dir=tmp_path)
    index_documents(settings, small_docs[:3])
    edited = dict(small_docs[0], text=small_docs[0]["text"] + "补充：已约下周签约。")
    assert index_documents(settings, [edited])["updated"] == 1
    assert len(PlaybookStore(settings).read_documents()) == 3
    assert PlaybookVectors(settings).count() == 3


def test_document_without_text_is_refused_naming_the_field(tmp_path):
    with pytest.raises(InputError) as err:
        index_documents(tmp_path, [{"id": "x", "kind": "visit_note", "text": ""}])
    assert err.value.field == "text"


def test_prior_puts_talk_tracks_and_won_answers_above_open_problem_notes(small_docs):
    config = load_search_config()
    by_id = {d["id"]: d for d in small_docs}
    track = document_prior(by_id["t-ease-track"], config)
    won = document_prior(by_id["t-budget-won"], config)
    lesson = document_prior(by_id["t-price-lost"], config)
    problem = document_prior(by_id["t-budget-open"], config)
    assert track >= won - 1e-6 and won > problem and lesson > problem


def test_langchain_retriever_returns_documents_with_source_ids(indexed):
    docs = PlaybookRetriever(settings=indexed, k=2).invoke("接口开发由厂家来做")
    assert docs[0].metadata["doc_id"] == "t-it-won"
    assert docs[0].page_content.startswith("信息中心")


def test_dense_channel_uses_the_configured_embedding_model(tmp_path, small_docs):
    from jinnang.core.settings import Settings
    from jinnang.ingest.embed import minilm_model_dir

    settings = Settings(data_dir=tmp_path, embedding_model=str(minilm_model_dir()))
    index_documents(settings, small_docs)
    store = playbook_vectorstore(settings)
    assert len(store.embeddings.embed_query("price")) == 384
    assert np.isclose(np.linalg.norm(store.embeddings.embed_query("price")), 1.0, atol=1e-3)
    assert search(settings, "price objection", k=3, channels=("dense",))


def test_label_classes_put_a_query_about_the_it_department_into_its_centroid(tmp_path, small_docs):
    """label_classes (search.yaml): a query that never says 信息科 still lands on its documents'
    department, by the centroid of their vectors built at index time."""
    from jinnang.coaching.search import _label_class_scores
    from jinnang.coaching.store import load_index
    from jinnang.core.settings import Settings

    config = load_search_config().model_copy(deep=True)
    config.label_classes.weight, config.label_classes.min_chunks = 0.3, 1
    config.label_classes.fields = ["department"]
    settings = Settings(data_dir=tmp_path)
    PlaybookStore(settings, config).add(small_docs)
    loaded = load_index(settings)
    vector = playbook_vectorstore(settings).embeddings.embed_query("HIS对接没人排期，系统接口做不了")
    scores = _label_class_scores(loaded, vector, config)
    by_doc = dict(zip(loaded.chunk_doc, scores))
    assert by_doc["t-it-won"] > max(by_doc["t-price-won"], by_doc["t-budget-won"], by_doc["t-form"])



def test_typed_hits_are_what_the_dict_search_emits(indexed):
    from jinnang.coaching.records import SearchHit
    from jinnang.coaching.search import search_hits

    hits = search_hits(indexed, "报价太贵怎么回", k=3)
    assert hits and all(isinstance(h, SearchHit) for h in hits)
    assert search(indexed, "报价太贵怎么回", k=3) == [h.model_dump() for h in hits]


def test_a_journey_node_outside_the_spec_filters_instead_of_being_refused(indexed):
    assert search(indexed, "价格", k=5, filters={"journey_node": "owner_approval"}) == []


def test_search_and_the_store_do_not_load_the_langchain_adapter():
    import subprocess
    import sys

    code = ("import sys, jinnang.coaching, jinnang.coaching.search, jinnang.coaching.playbook; "
            "print(sorted(m for m in sys.modules if m == 'jinnang.coaching.lc' or m.startswith('langchain')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_corpus_indexed_from_a_file_is_masked_like_an_upload(tmp_path):
    # `jinnang index` passes no ingest: patients' identifiers are masked when the corpus is read
    from jinnang.coaching.records import PlaybookDocument

    doc = PlaybookDocument.parse({"id": "n1", "kind": "visit_note",
                                  "text": "3床患者张建国家属电话13812345678，王主任说价格偏高。",
                                  "meta": {"note": "患者张建国"}})
    assert "13812345678" not in doc.text and "张建国" not in doc.text and "张建国" not in str(doc.meta)
    assert "王主任" in doc.text
