"""Building the search indexes of a store from its documents (at index time, never per query).

`build_index` writes, under the store's directory: `words.jsonl` (LAC words per chunk text,
so re-indexing segments nothing twice), the bm25s indexes `bm25_words/` and `bm25_chars/`,
`state.npz` (concept tags, priors, facets and filter columns per chunk), `labels.npz` (label
centroids of the chunk vectors) and `version`; the vectors go to Chroma.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import bm25s
import numpy as np

from jinnang.coaching.config import FACETS, SearchConfig
from jinnang.coaching.records import META_FILTERS, PlaybookDocument
from jinnang.coaching.text import char_tokens, concept_matcher, normalise, word_tokens
from jinnang.coaching.vectors import PlaybookVectors

Say = Callable[[str], None]


def document_facets(doc: PlaybookDocument | Mapping, config: SearchConfig) -> set[str]:
    """What a document is, for intents to favour: its kind, its outcome, and whether a won note
    says what was done (`action`) or a lost/open note states its lesson (`lesson`)."""
    doc = PlaybookDocument.parse(doc)
    kind, outcome, text = doc.kind, doc.meta.get("outcome"), doc.text
    facets = {kind}
    if outcome in ("won", "lost", "open"):
        facets.add(outcome)
    if kind != "talk_track" and kind != "trial_feedback":
        if outcome == "won" and any(c in text for c in config.action_cues):
            facets.add("action")
        if outcome in ("lost", "open") and any(c in text for c in config.lesson_cues):
            facets.add("lesson")
    return facets


def document_prior(doc: PlaybookDocument | Mapping, config: SearchConfig) -> float:
    """How much a document tells a rep what to do: talk tracks and won notes with an answer first."""
    doc = PlaybookDocument.parse(doc)
    p = config.prior
    if doc.kind == "talk_track":
        return p.talk_track
    outcome = doc.meta.get("outcome")
    by_outcome: dict[Any, float] = {"won": p.won, "lost": p.lost, "open": p.open}
    score = by_outcome.get(outcome, p.unknown)
    if doc.kind == "trial_feedback":
        return score + p.trial_feedback
    facets = document_facets(doc, config)
    if "action" in facets:
        score += p.action_bonus
    if "lesson" in facets:
        score += p.lesson_bonus
    return score


def labelled_concepts(doc: PlaybookDocument) -> set[str]:
    """Concepts of the document's labels (department, talk-track situation and objection category)."""
    meta = doc.meta
    labelled = " ".join(str(meta.get(k) or "") for k in ("department", "situation"))
    found = concept_matcher().concepts(normalise(labelled))
    category = meta.get("objection_category")
    if category:
        found.add(f"obj:{category}")
    node = meta.get("journey_node")
    if node:
        found.add(f"node:{node}")
    return found


def _replace_atomically(target: Path, write: Callable[[Path], None], staging_name: str) -> None:
    staging = target.parent / staging_name
    write(staging)
    os.replace(staging, target)


def _segment(directory: Path, chunk_texts: list[str], say: Say) -> tuple[list[list[str]], list[list[str]]]:
    """LAC words and character bigrams of each chunk; words come from the cache when known."""
    cache_path = directory / "words.jsonl"
    cache: dict[str, list[str]] = {}
    if cache_path.is_file():
        with cache_path.open(encoding="utf-8") as fh:
            for line in fh:
                key, words = json.loads(line)
                cache[key] = words
    say(f"segmenting {len(chunk_texts)} chunks")
    word_lists, char_lists, fresh = [], [], {}
    for text in chunk_texts:
        norm = normalise(text)
        key = hashlib.sha1(norm.encode("utf-8")).hexdigest()
        words = cache.get(key)
        if words is None:
            words = word_tokens(norm)
            fresh[key] = words
            cache[key] = words
        word_lists.append(words or ["∅"])
        char_lists.append(char_tokens(norm) or ["∅"])
    if fresh:
        with cache_path.open("a", encoding="utf-8") as fh:
            for key, words in fresh.items():
                fh.write(json.dumps([key, words], ensure_ascii=False) + "\n")
    return word_lists, char_lists


def _build_bm25(directory: Path, word_lists: list[list[str]], char_lists: list[list[str]]) -> None:
    for name, corpus in (("bm25_words", word_lists), ("bm25_chars", char_lists)):
        index = bm25s.BM25()
        index.index(corpus, show_progress=False)
        target, staging = directory / name, directory / f"{name}.new"
        shutil.rmtree(staging, ignore_errors=True)
        index.save(str(staging))
        shutil.rmtree(target, ignore_errors=True)
        os.replace(staging, target)


def _save_state(directory: Path, docs: dict[str, PlaybookDocument], chunk_ids: list[str], chunk_doc: list[str],
                chunk_texts: list[str], config: SearchConfig) -> None:
    """Concept tags per chunk (document-level labels count for every chunk of the document),
    priors, facets and filter columns."""
    doc_concepts = {doc_id: labelled_concepts(d) for doc_id, d in docs.items()}
    matcher = concept_matcher()
    rows: list[int] = []
    cols: list[int] = []
    vocab: dict[str, int] = {}
    for i, (doc_id, text) in enumerate(zip(chunk_doc, chunk_texts)):
        tags = matcher.concepts(normalise(text)) | doc_concepts[doc_id]
        for tag in tags:
            rows.append(i)
            cols.append(vocab.setdefault(tag, len(vocab)))
    concept_names = np.array(sorted(vocab, key=vocab.__getitem__), dtype=object)
    prior = np.array([document_prior(docs[d], config) for d in chunk_doc], dtype=np.float32)
    facets_of = {doc_id: document_facets(d, config) for doc_id, d in docs.items()}
    facet_cols = {f: np.array([f in facets_of[d] for d in chunk_doc], dtype=bool) for f in FACETS}
    meta_cols = {k: np.array([docs[d].meta_value(k) for d in chunk_doc], dtype=object) for k in META_FILTERS}
    arrays: dict[str, Any] = {
        "chunk_ids": np.array(chunk_ids, dtype=object), "chunk_doc": np.array(chunk_doc, dtype=object),
        "rows": np.array(rows, dtype=np.int64), "cols": np.array(cols, dtype=np.int64),
        "concept_names": concept_names, "prior": prior,
        **{f"meta_{k}": v for k, v in meta_cols.items()}, **{f"facet_{f}": v for f, v in facet_cols.items()}}
    _replace_atomically(directory / "state.npz", lambda staging: np.savez(staging, **arrays), "state.tmp.npz")


def _save_label_centroids(directory: Path, vectors: PlaybookVectors, chunk_ids: list[str], chunk_doc: list[str],
                          docs: dict[str, PlaybookDocument], config: SearchConfig) -> None:
    """Mean vector of the chunks of each label value (e.g. objection_category=price), for
    classifying queries; read from Chroma, saved beside the state."""
    cfg = config.label_classes
    fields = list(cfg.fields)
    position = {cid: i for i, cid in enumerate(chunk_ids)}
    values = {f: [str(docs[d].meta.get(f) or "") for d in chunk_doc] for f in fields}
    sums: dict[tuple[str, str], np.ndarray] = {}
    counts: dict[tuple[str, str], int] = {}
    for cid, v in vectors.unit_vectors():
        i = position.get(cid)
        if i is None:
            continue
        for f in fields:
            label = values[f][i]
            if label:
                key = (f, label)
                sums[key] = sums[key] + v if key in sums else v.copy()
                counts[key] = counts.get(key, 0) + 1
    arrays: dict[str, Any] = {}
    for f in fields:
        labels = sorted(lab for (ff, lab), c in counts.items() if ff == f and c >= cfg.min_chunks)
        if not labels:
            continue
        m = np.stack([sums[(f, lab)] / counts[(f, lab)] for lab in labels]).astype(np.float32)
        m /= np.linalg.norm(m, axis=1, keepdims=True)
        code_of = {lab: j for j, lab in enumerate(labels)}
        arrays[f"labels_{f}"] = np.array(labels, dtype=object)
        arrays[f"centroids_{f}"] = m
        arrays[f"codes_{f}"] = np.array([code_of.get(v, -1) for v in values[f]], dtype=np.int32)
    _replace_atomically(directory / "labels.npz", lambda staging: np.savez(staging, **arrays), "labels.tmp.npz")


def build_index(directory: Path, docs: dict[str, PlaybookDocument], config: SearchConfig, vectors: PlaybookVectors,
                given: Mapping[str, np.ndarray] | None = None, say: Say = lambda _m: None) -> None:
    """Every index of `docs` under `directory` and in `vectors`; `given` vectors (by chunk id) are
    stored instead of embedding those chunks."""
    def write_docs(staging: Path) -> None:
        with staging.open("w", encoding="utf-8") as fh:
            for d in docs.values():
                fh.write(json.dumps(d.model_dump(), ensure_ascii=False) + "\n")

    _replace_atomically(directory / "docs.jsonl", write_docs, "docs.jsonl.tmp")
    chunks = [(cid, d.id, text) for d in docs.values() for cid, text in d.chunks()]
    chunk_ids = [cid for cid, _, _ in chunks]
    chunk_doc = [doc_id for _, doc_id, _ in chunks]
    chunk_texts = [text for _, _, text in chunks]
    word_lists, char_lists = _segment(directory, chunk_texts, say)
    say("building BM25 indexes")
    _build_bm25(directory, word_lists, char_lists)
    _save_state(directory, docs, chunk_ids, chunk_doc, chunk_texts, config)
    say("updating vectors")
    vectors.sync(chunks, given, say)
    say("label centroids")
    _save_label_centroids(directory, vectors, chunk_ids, chunk_doc, docs, config)
    (directory / "version").write_text(str(len(chunk_ids)) + ":" + hashlib.sha1(
        "".join(chunk_ids).encode()).hexdigest(), encoding="utf-8")
