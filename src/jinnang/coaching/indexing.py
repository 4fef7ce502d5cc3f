"""The search index of a store as immutable segments (built at index time, never per query).

A segment holds some chunks: their LAC-word and character-bigram counts, concept tags, priors,
facets, filter columns and label values, saved as one `seg-*.npz`. BM25 is scored at query time
from the counts with the statistics of all segments together (bm25s' "lucene" formula, k1 1.5,
b 0.75), so adding a document writes one small segment and changes nothing else, and the scores
stay those of one index over everything; merging segments only saves query time. `words.jsonl`
keeps the LAC words of each text, so a rebuild segments nothing twice.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from jinnang.coaching.config import FACETS, SearchConfig
from jinnang.coaching.records import META_FILTERS, PlaybookDocument
from jinnang.coaching.text import char_tokens, concept_matcher, normalise, word_tokens_many
from jinnang.core.lazy import lazy_property

Say = Callable[[str], None]
K1, B = 1.5, 0.75
Chunk = tuple[str, str, str]  # chunk id, document id, text


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


def replace_atomically(target: Path, write: Callable[[Path], object]) -> None:
    staging = target.parent / f".{target.name}.{os.getpid()}.tmp"
    write(staging)
    os.replace(staging, target)


def save_arrays(path: Path, arrays: dict[str, Any]) -> None:
    """numpy arrays in one .npz file, replaced atomically (a reader sees the old file or the new one)."""

    def write(staging: Path) -> None:
        with staging.open("wb") as fh:
            np.savez(fh, **arrays)

    replace_atomically(path, write)


SEGMENT_BATCH = 2000  # chunks whose sentences LAC reads together: a rebuild's memory stays bounded


def segment_texts(directory: Path, chunk_texts: list[str], say: Say, read_cache: bool = True,
                  write_cache: bool = True) -> tuple[list[list[str]], list[list[str]]]:
    """LAC words and character bigrams of each chunk; with `read_cache`, words of texts segmented
    before come from `words.jsonl` (a rebuild); an add segments only its own texts. Without
    `write_cache` the new words are not appended (`remember_words` does it under the store's lock)."""
    cache_path = directory / "words.jsonl"
    cache: dict[str, list[str]] = {}
    if read_cache and cache_path.is_file():
        with cache_path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.endswith("\n"):
                    key, words = json.loads(line)
                    cache[key] = words
    say(f"segmenting {len(chunk_texts)} chunks")
    norms = [normalise(text) for text in chunk_texts]
    keys = [hashlib.sha1(norm.encode("utf-8")).hexdigest() for norm in norms]
    unseen = list({key: norm for key, norm in zip(keys, norms) if key not in cache}.items())
    fresh: dict[str, list[str]] = {}
    for start in range(0, len(unseen), SEGMENT_BATCH):  # LAC reads many sentences a run
        part = unseen[start:start + SEGMENT_BATCH]
        fresh.update(zip([key for key, _ in part], word_tokens_many([norm for _, norm in part])))
    cache.update(fresh)
    word_lists = [cache[key] or ["∅"] for key in keys]
    char_lists = [char_tokens(norm) or ["∅"] for norm in norms]
    if fresh and write_cache:
        _append_words(cache_path, fresh)
    return word_lists, char_lists


def remember_words(directory: Path, chunk_texts: Sequence[str], word_lists: Sequence[list[str]]) -> None:
    """Add the chunks' words to `words.jsonl`, the cache a rebuild reads (as segment_texts would have)."""
    _append_words(directory / "words.jsonl",
                  {hashlib.sha1(normalise(t).encode("utf-8")).hexdigest(): w for t, w in zip(chunk_texts, word_lists)})


def _append_words(cache_path: Path, words: Mapping[str, list[str]]) -> None:
    with cache_path.open("a", encoding="utf-8") as fh:
        fh.write("".join(json.dumps([k, w], ensure_ascii=False) + "\n" for k, w in words.items()))


@dataclass(frozen=True)
class Terms:
    """Chunks × terms counts (CSC: a query reads only its terms' columns) and tokens per chunk."""

    names: list[str]
    matrix: sp.csc_matrix
    lengths: np.ndarray

    @classmethod
    def build(cls, token_lists: Sequence[Sequence[str]]) -> Terms:
        vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        counts: list[int] = []
        for i, tokens in enumerate(token_lists):
            for token, count in Counter(tokens).items():
                rows.append(i)
                cols.append(vocab.setdefault(token, len(vocab)))
                counts.append(count)
        matrix = sp.csc_matrix((np.asarray(counts, dtype=np.float32), (rows, cols)),
                               shape=(len(token_lists), len(vocab)))
        return cls(list(vocab), matrix, np.array([len(t) for t in token_lists], dtype=np.float32))

    @lazy_property
    def vocab(self) -> dict[str, int]:
        return {name: j for j, name in enumerate(self.names)}

    @lazy_property
    def by_row(self) -> sp.csr_matrix:
        return self.matrix.tocsr()

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(rows, counts) of the chunks holding `term`."""
        j = self.vocab.get(term)
        if j is None:
            return None
        start, end = self.matrix.indptr[j], self.matrix.indptr[j + 1]
        return self.matrix.indices[start:end], self.matrix.data[start:end]

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        m = self.matrix
        return {f"{prefix}_names": np.array(self.names, dtype=object), f"{prefix}_data": m.data,
                f"{prefix}_indices": m.indices, f"{prefix}_indptr": m.indptr, f"{prefix}_lengths": self.lengths}

    @classmethod
    def from_arrays(cls, arrays: Any, prefix: str, n: int) -> Terms:
        names = [str(x) for x in arrays[f"{prefix}_names"]]
        matrix = sp.csc_matrix((arrays[f"{prefix}_data"], arrays[f"{prefix}_indices"], arrays[f"{prefix}_indptr"]),
                               shape=(n, len(names)))
        return cls(names, matrix, arrays[f"{prefix}_lengths"])

    @classmethod
    def merge(cls, parts: Sequence[Terms]) -> Terms:
        vocab: dict[str, int] = {}
        rows, cols, data = [], [], []
        offset = 0
        for part in parts:
            remap = np.array([vocab.setdefault(name, len(vocab)) for name in part.names], dtype=np.int64)
            coo = part.matrix.tocoo()
            rows.append(coo.row.astype(np.int64) + offset)
            cols.append(remap[coo.col] if len(remap) else coo.col.astype(np.int64))
            data.append(coo.data)
            offset += part.matrix.shape[0]
        matrix = sp.csc_matrix((np.concatenate(data) if data else np.zeros(0, np.float32),
                                (np.concatenate(rows) if rows else [], np.concatenate(cols) if cols else [])),
                               shape=(offset, len(vocab)))
        return cls(list(vocab), matrix, np.concatenate([p.lengths for p in parts]))


@dataclass
class Segment:
    """Some chunks with everything search needs of them but their vectors (those are in Chroma)."""

    chunk_ids: list[str]
    chunk_doc: list[str]
    chunk_text: list[str]
    words: Terms
    chars: Terms
    concepts: Terms
    prior: np.ndarray
    facets: dict[str, np.ndarray]
    meta: dict[str, np.ndarray]
    labels: dict[str, np.ndarray] = field(default_factory=dict)  # label field → each chunk's value ("" none)

    def __len__(self) -> int:
        return len(self.chunk_ids)

    @lazy_property
    def label_codes(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Label field → (distinct values, each chunk's index into them)."""
        out = {}
        for f, values in self.labels.items():
            uniq, inverse = np.unique(values.astype(str), return_inverse=True)
            out[f] = (uniq, inverse.ravel())
        return out

    def save(self, path: Path) -> None:
        arrays: dict[str, Any] = {
            "chunk_ids": np.array(self.chunk_ids, dtype=object), "chunk_doc": np.array(self.chunk_doc, dtype=object),
            "chunk_text": np.array(self.chunk_text, dtype=object), "prior": self.prior,
            **self.words.arrays("words"), **self.chars.arrays("chars"), **self.concepts.arrays("concepts"),
            **{f"facet_{f}": v for f, v in self.facets.items()}, **{f"meta_{k}": v for k, v in self.meta.items()},
            **{f"label_{f}": v for f, v in self.labels.items()}}

        save_arrays(path, arrays)

    @classmethod
    def load(cls, path: Path) -> Segment:
        with np.load(path, allow_pickle=True) as a:
            ids = [str(x) for x in a["chunk_ids"]]
            n = len(ids)
            return cls(ids, [str(x) for x in a["chunk_doc"]], [str(x) for x in a["chunk_text"]],
                       Terms.from_arrays(a, "words", n), Terms.from_arrays(a, "chars", n),
                       Terms.from_arrays(a, "concepts", n), a["prior"].astype(np.float32),
                       {f: a[f"facet_{f}"].astype(bool) for f in FACETS if f"facet_{f}" in a.files},
                       {k: a[f"meta_{k}"] for k in META_FILTERS},
                       {name[len("label_"):]: a[name] for name in a.files if name.startswith("label_")})

    @classmethod
    def merge(cls, parts: Sequence[Segment]) -> Segment:
        def cat(arrays: list[np.ndarray]) -> np.ndarray:
            return np.concatenate(arrays)

        first = parts[0]
        return cls([c for p in parts for c in p.chunk_ids], [d for p in parts for d in p.chunk_doc],
                   [t for p in parts for t in p.chunk_text], Terms.merge([p.words for p in parts]),
                   Terms.merge([p.chars for p in parts]), Terms.merge([p.concepts for p in parts]),
                   cat([p.prior for p in parts]), {f: cat([p.facets[f] for p in parts]) for f in first.facets},
                   {k: cat([p.meta[k] for p in parts]) for k in first.meta},
                   {f: cat([p.labels.get(f, np.full(len(p), "", dtype=object)) for p in parts]) for f in first.labels})


@dataclass
class NewSegment:
    """New documents made ready to append: their chunks' words, the segment, their unit vectors."""

    docs: dict[str, PlaybookDocument]
    texts: list[str]
    word_lists: list[list[str]]
    segment: Segment
    unit: dict[str, np.ndarray]


def build_segment(chunks: Sequence[Chunk], docs: Mapping[str, PlaybookDocument], config: SearchConfig,
                  word_lists: list[list[str]], char_lists: list[list[str]]) -> Segment:
    """Concept tags per chunk (document-level labels count for every chunk of the document),
    priors, facets, filter columns and label values, beside the term counts."""
    chunk_doc = [doc_id for _, doc_id, _ in chunks]
    wanted = dict.fromkeys(chunk_doc)
    doc_concepts = {d: labelled_concepts(docs[d]) for d in wanted}
    facets_of = {d: document_facets(docs[d], config) for d in wanted}
    prior_of = {d: document_prior(docs[d], config) for d in wanted}
    matcher = concept_matcher()
    tags = [sorted(matcher.concepts(normalise(text)) | doc_concepts[d]) for _, d, text in chunks]
    return Segment(
        chunk_ids=[cid for cid, _, _ in chunks], chunk_doc=chunk_doc, chunk_text=[t for _, _, t in chunks],
        words=Terms.build(word_lists), chars=Terms.build(char_lists), concepts=Terms.build(tags),
        prior=np.array([prior_of[d] for d in chunk_doc], dtype=np.float32),
        facets={f: np.array([f in facets_of[d] for d in chunk_doc], dtype=bool) for f in FACETS},
        meta={k: np.array([docs[d].meta_value(k) for d in chunk_doc], dtype=object) for k in META_FILTERS},
        labels={f: np.array([str(docs[d].meta.get(f) or "") for d in chunk_doc], dtype=object)
                for f in config.label_classes.fields})


def bm25_scores(parts: Sequence[tuple[int, Terms]], tokens: Sequence[str], n: int, avgdl: float) -> np.ndarray:
    """BM25 of every chunk for `tokens` (a repeated token counts again), with the document
    frequencies of all `parts` (offset, terms) together: what bm25s computes over one index."""
    scores = np.zeros(n, dtype=np.float32)
    for token in tokens:
        found = [(offset, terms, hit) for offset, terms in parts if (hit := terms.postings(token)) is not None]
        df = sum(len(hit[0]) for _, _, hit in found)
        if not df:
            continue
        idf = np.float32(math.log(1 + (n - df + 0.5) / (df + 0.5)))
        for offset, terms, (rows, tf) in found:
            tfc = tf / (K1 * ((1 - B) + B * terms.lengths[rows].astype(np.float64) / avgdl) + tf)
            scores[rows + offset] += (idf * tfc).astype(np.float32)  # a column's rows are distinct
    return scores


@dataclass
class LabelSums:
    """Running sum and count of the unit vectors of each label value, by field: an add updates
    them with its own chunks, and the centroids follow without reading any stored vector."""

    sums: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    counts: dict[tuple[str, str], int] = field(default_factory=dict)

    def add_vector(self, f: str, label: Any, v: np.ndarray) -> None:
        if label:
            key = (f, str(label))
            self.sums[key] = self.sums[key] + v if key in self.sums else np.array(v, dtype=np.float32)
            self.counts[key] = self.counts.get(key, 0) + 1

    def add(self, labels: Mapping[str, np.ndarray], chunk_ids: Sequence[str],
            vectors: Mapping[str, np.ndarray]) -> None:
        for f, values in labels.items():
            for cid, label in zip(chunk_ids, values):
                v = vectors.get(cid)
                if v is not None:
                    self.add_vector(f, label, v)

    def save(self, path: Path, config: SearchConfig) -> None:
        """The sums, and the centroids of the labels with enough chunks (under this config)."""
        keys = sorted(self.sums)
        arrays: dict[str, Any] = {"keys": np.array(["\t".join(k) for k in keys], dtype=object),
                                  "counts": np.array([self.counts[k] for k in keys], dtype=np.int64),
                                  "sums": np.stack([self.sums[k] for k in keys]) if keys else np.zeros((0, 0))}
        for f in config.label_classes.fields:
            labels = sorted(lab for (ff, lab), c in self.counts.items()
                            if ff == f and c >= config.label_classes.min_chunks)
            if labels:
                m = np.stack([self.sums[(f, lab)] / self.counts[(f, lab)] for lab in labels]).astype(np.float32)
                m /= np.linalg.norm(m, axis=1, keepdims=True)
                arrays[f"labels_{f}"] = np.array(labels, dtype=object)
                arrays[f"centroids_{f}"] = m

        save_arrays(path, arrays)

    @classmethod
    def load(cls, path: Path) -> LabelSums:
        out = cls()
        if path.is_file():
            with np.load(path, allow_pickle=True) as a:
                if "keys" in a.files:
                    for key, count, total in zip(a["keys"], a["counts"], a["sums"]):
                        f, label = str(key).split("\t", 1)
                        out.sums[(f, label)] = total.astype(np.float32)
                        out.counts[(f, label)] = int(count)
        return out


def read_centroids(path: Path) -> dict[str, tuple[list[str], np.ndarray]]:
    """field → (label values, their unit centroid vectors), as the last write saved them."""
    out: dict[str, tuple[list[str], np.ndarray]] = {}
    if path.is_file():
        with np.load(path, allow_pickle=True) as a:
            for name in a.files:
                if name.startswith("labels_"):
                    f = name[len("labels_"):]
                    out[f] = ([str(x) for x in a[name]], a[f"centroids_{f}"])
    return out
