"""Playbook search on queries written by other hands (eval/data/retrieval_generalisation).

The holdout half (gq-21…gq-40) was measured once, after the search was tuned on the tune half and
the dev set; the floors sit slightly under what it measured (hybrid recall@5 0.774, nDCG@10 0.824;
lexical 0.662 / 0.639, dense 0.467 / 0.550). The dev floors are the project's targets.
One real index (LAC, bm25s, USE in Chroma) of the shared corpus serves every set.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from jinnang.eval.retrieval import evaluate

SETS = Path(__file__).resolve().parents[2] / "eval" / "data" / "retrieval_generalisation"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from jinnang.coaching import index_documents
    from jinnang.core.jsonl_file import read_jsonl

    path = tmp_path_factory.mktemp("generalisation-store")
    index_documents(path, read_jsonl(SETS / "holdout" / "corpus.jsonl"))
    return path


def test_both_halves_are_twenty_queries_over_the_shared_corpus():
    from jinnang.core.jsonl_file import read_jsonl

    tune, holdout = (read_jsonl(SETS / half / "queries.jsonl") for half in ("tune", "holdout"))
    assert [q["id"] for q in tune] == [f"gq-{i:02d}" for i in range(1, 21)]
    assert [q["id"] for q in holdout] == [f"gq-{i:02d}" for i in range(21, 41)]
    corpus_ids = {d["id"] for d in read_jsonl(SETS / "tune" / "corpus.jsonl")}
    assert all(set(q["relevant"]) <= corpus_ids and q["relevant"] for q in tune + holdout)


def test_tune2_is_thirty_situation_queries_over_the_shared_corpus():
    from jinnang.core.jsonl_file import read_jsonl

    tune2 = read_jsonl(SETS / "tune2" / "queries.jsonl")
    assert [q["id"] for q in tune2] == [f"gq2-{i:02d}" for i in range(1, 31)]
    corpus_ids = {d["id"] for d in read_jsonl(SETS / "tune2" / "corpus.jsonl")}
    assert all(set(q["relevant"]) <= corpus_ids and q["relevant"] for q in tune2)


def test_holdout_queries_by_other_hands_keep_their_measured_floor(store):
    result = evaluate(SETS / "holdout", store=store)
    hybrid = result["hybrid"]
    # measured 0.749 / 0.831; a rebuilt store moves a 20-query set by about one document (±0.01)
    assert hybrid["recall@5"] >= 0.72, result
    assert hybrid["ndcg@10"] >= 0.79, result
    for single in ("lexical", "dense"):
        assert hybrid["recall@5"] > result[single]["recall@5"], result
        assert hybrid["ndcg@10"] > result[single]["ndcg@10"], result


def test_shared_corpus_index_also_meets_the_dev_targets(store, shared_dev):
    result = evaluate(shared_dev / "retrieval", store=store)
    hybrid = result["hybrid"]
    assert hybrid["recall@5"] >= 0.88 and hybrid["ndcg@10"] >= 0.80, result
    for single in ("lexical", "dense"):
        assert hybrid["recall@5"] > result[single]["recall@5"], result
