"""`jinnang bench search`: index build time and query latency of playbook search at 100k chunks.

What is measured, exactly:
- `distinct` generated sentences (sales-note phrasing from templates) are embedded with the
  configured model: that gives the model's real throughput (sentences/s);
- each of the `chunks` chunks is 3 sentences drawn from that pool; its vector is the normalised
  mean of its sentences' real vectors plus small noise (embedding 100k chunks with USE on 2
  cores would take ~30 min, so chunk vectors are derived, not embedded one by one);
- index build = the real `PlaybookStore.add` over all chunks (LAC segmentation sentence by
  sentence — each distinct sentence is segmented once and then served from LAC's cache —
  BM25 indexes, concept tags, priors, and the Chroma insert of the derived vectors);
- query latency = the real `search()` end to end (LAC, both BM25 channels, concepts, the
  query embedding, the Chroma HNSW query, fusion, snippets), after 5 warm-up queries.
"""
from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

HOSPITALS = ["市一院", "县医院", "省中医院", "区人民医院", "市妇幼", "医学院附院", "市中心医院", "民营骨科医院"]
PEOPLE = ["设备科科长", "器械科工程师", "检验科主任", "骨科主任", "护士长", "信息科科长", "财务处处长", "医保办主任",
          "采购中心老师", "分管副院长", "脊柱外科副主任", "手术室护士"]
CONCERNS = ["觉得报价比进口的高", "说今年预算冻结了", "一直用外资品牌不想换", "嫌操作步骤太多", "要看注册证和授权书",
            "问集采目录里有没有", "担心采委会又要延期", "担心HIS接口对接出问题", "问冷链运输怎么保证温度",
            "说跟台的人总迟到", "抱怨试用时器械坏了", "要求回款周期一年", "问系统能省多少钱", "说再考虑考虑",
            "说没听过我们公司", "说病人少用量不大", "想看同级医院的案例", "说信息科排期满了"]
ACTIONS = ["我们提出用量承诺换小幅让价", "当场给了对照表和中选价公示", "约了工程师下周一起来演示",
           "安排了驻科跟台工程师", "整理了三家同级医院的案例卡", "给了注册证复印件和延续受理通知",
           "改成按年订阅走运营费用", "答应接口开发全部由我们做", "带了模型骨让主任上手练了两遍",
           "先问清楚具体担心哪一块", "把温度记录曲线发给了科室", "补交了医保编码对照表", "下周再去拜访"]
OUTCOMES = ["主任同意进评审", "科长说材料齐了", "对方回去请示", "暂时没有结论", "科室同意继续试用", "还在等通知"]
QUERIES = ["医生嫌操作麻烦怎么办", "设备科要注册证", "报价比进口高怎么回应", "采委会延期咋整", "今年没钱了",
           "信息科担心接口", "冷链运输温度", "主任一直用进口品牌", "第一次见设备科长", "试用反馈表没人填",
           "怎么约到院长", "护士长不愿意扫码", "回款周期太长", "竞品突然降价", "试用时东西坏了",
           "合同卡在法务", "主任换人了", "民营医院怎么谈", "ROI 能省多少钱", "客户说再看看"]


def generate_sentences(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    out: set[str] = set()
    while len(out) < n:
        out.add(f"{rng.choice(HOSPITALS)}{rng.choice(PEOPLE)}{rng.choice(CONCERNS)}，"
                f"{rng.choice(ACTIONS)}，{rng.choice(OUTCOMES)}。")
    return sorted(out)


def sentence_vectors(pool: list[str], embedder: Any) -> np.ndarray:
    """The real vectors of the distinct sentences (64 a batch)."""
    return np.vstack([embedder.embed(pool[i:i + 64]) for i in range(0, len(pool), 64)])


def generated_corpus(chunks: int, pool: list[str], vectors: np.ndarray, seed: int = 11, start: int = 0,
                     prefix: str = "bench") -> tuple[list[dict[str, Any]], dict[str, np.ndarray]]:
    """`chunks` one-chunk documents of 3 pool sentences each, and their derived vectors (the
    normalised mean of their sentences' real vectors plus small noise), by id."""
    rng = np.random.default_rng(seed)
    docs, embeddings = [], {}
    outcomes = ["won", "won", "lost", "open"]
    kinds = ["visit_note"] * 8 + ["talk_track", "trial_feedback"]
    departments = ["设备科", "骨科", "检验科", "信息科", "手术室", "财务处", "采购中心"]
    categories = ["price", "clinical", "process", "competitor", "compliance", "service", "budget"]
    for i in range(start, start + chunks):
        picks = rng.integers(0, len(pool), size=3)
        doc_id = f"{prefix}-{i:06d}"
        kind = kinds[i % len(kinds)]
        docs.append({"id": doc_id, "kind": kind, "text": "".join(pool[p] for p in picks),
                     "meta": {"outcome": None if kind == "talk_track" else outcomes[i % 4],
                              "product_line": "orthopaedic_implants", "department": departments[i % 7],
                              "objection_category": categories[i % 7] if kind == "talk_track" else None}})
        v = vectors[picks].mean(axis=0) + np.asarray(rng.normal(0, 0.01, vectors.shape[1]), dtype=np.float32)
        embeddings[doc_id] = v / np.linalg.norm(v)
    return docs, embeddings


def query_latencies(settings: Any, n_queries: int) -> np.ndarray:
    """Milliseconds of `n_queries` real searches end to end, after 5 untimed ones."""
    from jinnang.coaching.search import search

    queries = [QUERIES[i % len(QUERIES)] + ("" if i < len(QUERIES) else f" {i}") for i in range(n_queries)]
    for q in QUERIES[:5]:
        search(settings, q, k=10)
    latencies = []
    for q in queries:
        t0 = time.perf_counter()
        search(settings, q, k=10)
        latencies.append((time.perf_counter() - t0) * 1000)
    return np.array(latencies)


def run_bench(chunks: int = 100_000, distinct: int = 2000, n_queries: int = 200, store: Path | None = None,
              log: Callable[[str], None] | None = None, reuse: bool = False) -> dict[str, Any]:
    """Build (or with `reuse`, keep an index already built in `store`) and time queries."""
    from jinnang.coaching.store import PlaybookStore, drop_cached, load_index
    from jinnang.core.settings import Settings
    from jinnang.ingest.embed import get_embedder

    say = log or (lambda _m: None)
    pool = generate_sentences(distinct)
    with tempfile.TemporaryDirectory(prefix="jinnang-bench-") as tmp:
        settings = Settings(data_dir=store or Path(tmp))
        embedder = get_embedder(settings.embedding_model)
        embedder.embed(["预热"])
        say(f"embedding {len(pool)} distinct sentences with {settings.embedding_model}")
        t0 = time.perf_counter()
        vectors = sentence_vectors(pool, embedder)
        embed_seconds = time.perf_counter() - t0
        docs, embeddings = generated_corpus(chunks, pool, vectors)
        build_seconds: float | None = None
        if reuse and store is not None and (Path(store) / "playbook_search" / "version").is_file():
            say(f"reusing the index in {store}")
        else:
            say(f"building the index of {chunks} chunks")
            t0 = time.perf_counter()
            PlaybookStore(settings).add(docs, embeddings=embeddings, log=say)
            build_seconds = time.perf_counter() - t0
        drop_cached(settings)  # a cold load, as a fresh process does
        t0 = time.perf_counter()
        load_index(settings)
        load_seconds = time.perf_counter() - t0

        lat = query_latencies(settings, n_queries)
        return {
            "chunks": chunks, "distinct_sentences_embedded": len(pool), "embedding_model": settings.embedding_model,
            "embed_throughput_sentences_per_s": round(len(pool) / embed_seconds, 1),
            "index_build_s": None if build_seconds is None else round(build_seconds, 1), "index_load_s": round(load_seconds, 2),
            "queries": n_queries, "query_p50_ms": round(float(np.percentile(lat, 50)), 1),
            "query_p99_ms": round(float(np.percentile(lat, 99)), 1), "query_max_ms": round(float(lat.max()), 1),
            "note": "chunk vectors are the mean of real sentence vectors plus noise; all else is the real pipeline",
        }
