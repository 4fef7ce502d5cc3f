"""One complete playbook index in memory, as queries read it: made once, never changed.

`assemble` puts segments together (reusing what the previous snapshot built for the segments
both share, so an add costs its own segment plus a few array copies); the store swaps the new
snapshot in with one assignment, and a query keeps the one it started with.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from jinnang.coaching.indexing import Segment, bm25_scores, read_centroids
from jinnang.coaching.records import PlaybookDocument
from jinnang.coaching.vectors import PlaybookVectors

LabelCentroids = dict[str, tuple[list[str], np.ndarray, np.ndarray]]
"""field → (label values, their unit centroid vectors, each chunk's label code; -1: none)."""


@dataclass
class LoadedIndex:
    """Everything a query needs: the segments, and the per-chunk columns of all of them in a row."""

    segments: list[tuple[str, Segment]]
    offsets: np.ndarray  # first row of each segment
    chunk_ids: list[str]
    chunk_doc: list[str]
    chunk_text: list[str]
    position: dict[str, int]  # chunk id → row
    indexed: set[str]  # ids of the documents with chunks here
    docs: dict[str, PlaybookDocument]
    docs_offset: int  # bytes of the documents file read
    prior: np.ndarray
    facets: dict[str, np.ndarray]
    meta_columns: dict[str, np.ndarray]
    avgdl: dict[str, float]
    concept_names: list[str]
    concept_vocab: dict[str, int]
    concept_idf: np.ndarray
    concept_remap: list[np.ndarray]  # per segment: its concept column → global column
    label_centroids: LabelCentroids
    vectors: PlaybookVectors
    manifest: dict[str, Any]
    version: tuple[int, int, int]

    @property
    def kinds(self) -> np.ndarray:
        return self.meta_columns["kind"]

    def bm25(self, channel: str, tokens: Sequence[str]) -> np.ndarray:
        """BM25 of every chunk in the `words` or `chars` channel."""
        parts = [(int(off), getattr(seg, channel)) for off, (_, seg) in zip(self.offsets, self.segments)]
        return bm25_scores(parts, tokens, len(self.chunk_ids), self.avgdl[channel])

    def concept_scores(self, weights: Mapping[str, float]) -> np.ndarray:
        """Sum over the given concepts of weight × idf for each chunk tagged with it: cost grows
        with the concepts' postings, not with the index."""
        scores = np.zeros(len(self.chunk_ids), dtype=np.float32)
        for name, weight in weights.items():
            col = self.concept_vocab.get(name)
            if col is None or weight <= 0:
                continue
            w = np.float32(weight * self.concept_idf[col])
            for off, (_, seg) in zip(self.offsets, self.segments):
                hit = seg.concepts.postings(name)
                if hit is not None:
                    scores[hit[0] + off] += w
        return scores

    def concept_votes(self, rows: Sequence[int]) -> np.ndarray:
        """idf-weighted count of each concept (global column) over the chunks at `rows`."""
        votes = np.zeros(len(self.concept_names), dtype=np.float32)
        for i in rows:
            s = int(np.searchsorted(self.offsets, i, side="right")) - 1
            m = self.segments[s][1].concepts.by_row
            r = int(i - self.offsets[s])
            start, end = m.indptr[r], m.indptr[r + 1]
            np.add.at(votes, self.concept_remap[s][m.indices[start:end]], m.data[start:end])
        return votes * self.concept_idf


def _concepts(segments: Sequence[Segment], n: int) -> tuple[list[str], dict[str, int], np.ndarray, list[np.ndarray]]:
    vocab: dict[str, int] = {}
    remaps = [np.array([vocab.setdefault(name, len(vocab)) for name in seg.concepts.names], dtype=np.int64)
              for seg in segments]
    df = np.zeros(len(vocab), dtype=np.float64)
    for seg, remap in zip(segments, remaps):
        if len(remap):
            np.add.at(df, remap, np.diff(seg.concepts.matrix.indptr))
    idf = np.log(1 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
    return list(vocab), vocab, idf, remaps


def _label_centroids(path: Path, segments: Sequence[Segment]) -> LabelCentroids:
    out: LabelCentroids = {}
    for f, (labels, matrix) in read_centroids(path).items():
        code_of = {lab: j for j, lab in enumerate(labels)}
        codes = []
        for seg in segments:
            if f not in seg.label_codes:
                codes.append(np.full(len(seg), -1, dtype=np.int32))
                continue
            uniq, inverse = seg.label_codes[f]
            remap = np.array([code_of.get(str(u), -1) for u in uniq], dtype=np.int32)
            codes.append(remap[inverse] if len(remap) else np.full(len(seg), -1, dtype=np.int32))
        out[f] = (labels, matrix, np.concatenate(codes) if codes else np.zeros(0, dtype=np.int32))
    return out


def assemble(segments: list[tuple[str, Segment]], docs: dict[str, PlaybookDocument], docs_offset: int,
             manifest: dict[str, Any], version: tuple[int, int, int], labels_path: Path,
             vectors: PlaybookVectors, previous: LoadedIndex | None = None) -> LoadedIndex:
    segs = [s for _, s in segments]
    shared = len(previous.segments) if previous is not None else 0
    if previous is not None and [n for n, _ in segments[:shared]] == [n for n, _ in previous.segments]:
        added = segs[shared:]
        chunk_ids = previous.chunk_ids + [c for s in added for c in s.chunk_ids]
        chunk_doc = previous.chunk_doc + [d for s in added for d in s.chunk_doc]
        chunk_text = previous.chunk_text + [t for s in added for t in s.chunk_text]
        position = dict(previous.position)
        position.update((c, i) for i, c in enumerate(chunk_ids[len(previous.chunk_ids):], len(previous.chunk_ids)))
        indexed = previous.indexed | {d for s in added for d in s.chunk_doc}
    else:
        chunk_ids = [c for s in segs for c in s.chunk_ids]
        chunk_doc = [d for s in segs for d in s.chunk_doc]
        chunk_text = [t for s in segs for t in s.chunk_text]
        position = {c: i for i, c in enumerate(chunk_ids)}
        indexed = set(chunk_doc)
    n = len(chunk_ids)
    offsets = np.cumsum([0] + [len(s) for s in segs[:-1]]).astype(np.int64)
    first = segs[0]
    names, vocab, idf, remaps = _concepts(segs, n)
    return LoadedIndex(
        segments=segments, offsets=offsets, chunk_ids=chunk_ids, chunk_doc=chunk_doc, chunk_text=chunk_text,
        position=position, indexed=indexed, docs=docs, docs_offset=docs_offset,
        prior=np.concatenate([s.prior for s in segs]),
        facets={f: np.concatenate([s.facets[f] for s in segs]) for f in first.facets},
        meta_columns={k: np.concatenate([s.meta[k] for s in segs]) for k in first.meta},
        avgdl={ch: math.fsum(float(getattr(s, ch).lengths.sum(dtype=np.float64)) for s in segs) / max(n, 1)
               for ch in ("words", "chars")},
        concept_names=names, concept_vocab=vocab, concept_idf=idf, concept_remap=remaps,
        label_centroids=_label_centroids(labels_path, segs), vectors=vectors, manifest=manifest, version=version)
