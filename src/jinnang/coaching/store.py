"""The playbook search store: documents, lexical indexes and concept tags on disk, vectors in Chroma.

Layout under the store dir (= a data dir): `playbook_search/` holds `docs.jsonl` (the
indexed documents), `words.jsonl` (cached LAC words per chunk), the persisted bm25s indexes
`bm25_words/` and `bm25_chars/`, and `state.npz` (concept tags, priors, metadata); Chroma's
`playbook` collection holds one vector per chunk. Indexes are built when documents are
added, never per query.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import scipy.sparse as sp

from jinnang.coaching.config import FACETS, SearchConfig, load_search_config
from jinnang.coaching.text import char_tokens, concept_matcher, normalise, word_tokens
from jinnang.core.errors import InputError, NotFound
from jinnang.core.settings import Settings
from jinnang.ingest.chunking import chunk_text as chunk_texts_of

COLLECTION = "playbook"
SUBDIR = "playbook_search"
META_FILTERS = ("product_line", "department", "journey_node", "outcome", "kind")
CHUNK_CHARS = 400
INDEX_FORMAT = "3"  # bump when what state.npz holds changes
_lock = threading.Lock()


def store_settings(settings_or_store: Settings | str | os.PathLike[str]) -> Settings:
    """A Settings whose data_dir is the store: `jinnang index --store DIR` and the API share one layout."""
    if isinstance(settings_or_store, Settings):
        return settings_or_store
    return Settings(data_dir=Path(settings_or_store))


def store_dir(settings: Settings) -> Path:
    return Path(settings.data_dir) / SUBDIR


def chunk_text(text: str, limit: int = CHUNK_CHARS) -> list[str]:
    """A short document stays whole; a long one is cut where ingest cuts (sentence ends, list items)."""
    text = text.strip()
    return [text] if len(text) <= limit else chunk_texts_of(text, max_chars=limit)


def validate_document(doc: Any, where: str = "document") -> dict[str, Any]:
    """A corpus line `{"id","kind","text","meta"}` checked; InputError names the bad field."""
    if not isinstance(doc, dict):
        raise InputError("document", f"{where}: not a JSON object")
    doc_id = doc.get("id")
    if not isinstance(doc_id, str) or not doc_id.strip():
        raise InputError("id", f"{where}: `id` must be a non-empty string")
    text = doc.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InputError("text", f"{where}: `text` must be a non-empty string")
    kind = doc.get("kind", "visit_note")
    if not isinstance(kind, str) or not kind:
        raise InputError("kind", f"{where}: `kind` must be a string such as talk_track, visit_note, trial_feedback")
    meta = doc.get("meta") or {}
    if not isinstance(meta, dict):
        raise InputError("meta", f"{where}: `meta` must be an object")
    return {"id": doc_id.strip(), "kind": kind, "text": text, "meta": meta}


def _hash(doc: dict[str, Any]) -> str:
    raw = json.dumps([doc["kind"], doc["text"], doc["meta"]], ensure_ascii=False, sort_keys=True)
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()


def document_facets(doc: dict[str, Any], config: SearchConfig) -> set[str]:
    """What a document is, for intents to favour: its kind, its outcome, and whether a won note
    says what was done (`action`) or a lost/open note states its lesson (`lesson`)."""
    kind, outcome, text = doc["kind"], doc["meta"].get("outcome"), doc["text"]
    facets = {kind}
    if outcome in ("won", "lost", "open"):
        facets.add(outcome)
    if kind != "talk_track" and kind != "trial_feedback":
        if outcome == "won" and any(c in text for c in config.action_cues):
            facets.add("action")
        if outcome in ("lost", "open") and any(c in text for c in config.lesson_cues):
            facets.add("lesson")
    return facets


def document_prior(doc: dict[str, Any], config: SearchConfig) -> float:
    """How much a document tells a rep what to do: talk tracks and won notes with an answer first."""
    p = config.prior
    kind, meta = doc["kind"], doc["meta"]
    if kind == "talk_track":
        return p.talk_track
    outcome = meta.get("outcome")
    score = {"won": p.won, "lost": p.lost, "open": p.open}.get(outcome, p.unknown)
    if kind == "trial_feedback":
        return score + p.trial_feedback
    facets = document_facets(doc, config)
    if "action" in facets:
        score += p.action_bonus
    if "lesson" in facets:
        score += p.lesson_bonus
    return score


def labelled_concepts(doc: dict[str, Any]) -> set[str]:
    """Concepts of the document's labels (department, talk-track situation and objection category)."""
    meta = doc["meta"]
    labelled = " ".join(str(meta.get(k) or "") for k in ("department", "situation"))
    found = concept_matcher().concepts(normalise(labelled))
    category = meta.get("objection_category")
    if category:
        found.add(f"obj:{category}")
    node = meta.get("journey_node")
    if node:
        found.add(f"node:{node}")
    return found


@dataclass
class LoadedIndex:
    """Everything a query needs, loaded once per store (and reloaded when the store changes)."""

    chunk_ids: list[str]
    chunk_doc: list[str]
    chunk_text: list[str]
    docs: dict[str, dict[str, Any]]
    words: Any
    chars: Any
    concept_matrix: sp.csc_matrix
    concept_vocab: dict[str, int]
    concept_idf: np.ndarray
    concept_names: list[str]
    prior: np.ndarray
    kinds: np.ndarray
    facets: dict[str, np.ndarray]
    meta_columns: dict[str, np.ndarray]
    version: float
    extra: dict[str, Any] = field(default_factory=dict)


def config_fingerprint(config: SearchConfig) -> str:
    """Changes when the lexicon or search config changes: concept tags and priors are then rebuilt
    (vectors are kept: they depend on the text only)."""
    from jinnang.coaching.config import load_concepts

    raw = load_concepts().model_dump_json() + config.model_dump_json() + INDEX_FORMAT
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()


class PlaybookStore:
    """Adds documents (idempotent by id) and rebuilds the persisted indexes."""

    def __init__(self, settings: Settings, config: SearchConfig | None = None) -> None:
        self.settings = settings
        self.config = config or load_search_config()
        self.dir = store_dir(settings)

    # ---------- documents ----------
    def read_documents(self) -> dict[str, dict[str, Any]]:
        path = self.dir / "docs.jsonl"
        docs: dict[str, dict[str, Any]] = {}
        if path.is_file():
            with path.open(encoding="utf-8") as fh:
                for line in fh:
                    if line.strip():
                        d = json.loads(line)
                        docs[d["id"]] = d
        return docs

    def add(self, new_docs: list[dict[str, Any]], embeddings: dict[str, np.ndarray] | None = None,
            log: Any = None) -> dict[str, int]:
        """Merge `new_docs` by id; rebuild indexes when anything changed. Returns counts."""
        with _lock:
            self.dir.mkdir(parents=True, exist_ok=True)
            docs = self.read_documents()
            added = updated = 0
            for raw in new_docs:
                doc = validate_document(raw)
                doc["hash"] = _hash(doc)
                old = docs.get(doc["id"])
                if old is None:
                    added += 1
                elif old.get("hash") != doc["hash"]:
                    updated += 1
                else:
                    continue
                docs[doc["id"]] = doc
            fingerprint = config_fingerprint(self.config)
            stamp = self.dir / "config.sha1"
            stale = not stamp.is_file() or stamp.read_text(encoding="utf-8") != fingerprint
            if added or updated or stale or not (self.dir / "state.npz").is_file():
                self._rebuild(docs, embeddings, log)
                stamp.write_text(fingerprint, encoding="utf-8")
            return {"added": added, "updated": updated, "unchanged": len(new_docs) - added - updated,
                    "total": len(docs)}

    def _rebuild(self, docs: dict[str, dict[str, Any]], embeddings: dict[str, np.ndarray] | None, log: Any) -> None:
        say = log or (lambda _m: None)
        tmp = self.dir / "docs.jsonl.tmp"
        with tmp.open("w", encoding="utf-8") as fh:
            for d in docs.values():
                fh.write(json.dumps(d, ensure_ascii=False) + "\n")
        os.replace(tmp, self.dir / "docs.jsonl")

        # chunks, with LAC words cached by chunk text so re-indexing segments nothing twice
        cache_path = self.dir / "words.jsonl"
        cache: dict[str, list[str]] = {}
        if cache_path.is_file():
            with cache_path.open(encoding="utf-8") as fh:
                for line in fh:
                    key, words = json.loads(line)
                    cache[key] = words
        chunk_ids, chunk_doc, chunk_texts = [], [], []
        for d in docs.values():
            pieces = chunk_text(d["text"])
            for n, piece in enumerate(pieces):
                chunk_ids.append(d["id"] if len(pieces) == 1 else f"{d['id']}#{n}")
                chunk_doc.append(d["id"])
                chunk_texts.append(piece)
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

        say("building BM25 indexes")
        for name, corpus in (("bm25_words", word_lists), ("bm25_chars", char_lists)):
            index = bm25s.BM25()
            index.index(corpus, show_progress=False)
            target, staging = self.dir / name, self.dir / f"{name}.new"
            shutil.rmtree(staging, ignore_errors=True)
            index.save(str(staging))
            shutil.rmtree(target, ignore_errors=True)
            os.replace(staging, target)

        # concept tags per chunk (document-level labels count for every chunk of the document)
        doc_concepts = {doc_id: labelled_concepts(d) for doc_id, d in docs.items()}
        matcher = concept_matcher()
        rows, cols, vocab = [], [], {}
        for i, (doc_id, text) in enumerate(zip(chunk_doc, chunk_texts)):
            tags = matcher.concepts(normalise(text)) | doc_concepts[doc_id]
            for tag in tags:
                rows.append(i)
                cols.append(vocab.setdefault(tag, len(vocab)))
        concept_names = np.array(sorted(vocab, key=vocab.get), dtype=object)
        prior = np.array([document_prior(docs[d], self.config) for d in chunk_doc], dtype=np.float32)
        facets_of = {doc_id: document_facets(d, self.config) for doc_id, d in docs.items()}
        facet_cols = {f: np.array([f in facets_of[d] for d in chunk_doc], dtype=bool) for f in FACETS}
        meta_cols = {k: np.array([str((docs[d]["meta"].get(k) if k != "kind" else docs[d]["kind"]) or "")
                                  for d in chunk_doc], dtype=object) for k in META_FILTERS}
        np.savez(self.dir / "state.tmp.npz", chunk_ids=np.array(chunk_ids, dtype=object),
                 chunk_doc=np.array(chunk_doc, dtype=object), rows=np.array(rows, dtype=np.int64),
                 cols=np.array(cols, dtype=np.int64), concept_names=concept_names, prior=prior,
                 **{f"meta_{k}": v for k, v in meta_cols.items()},
                 **{f"facet_{f}": v for f, v in facet_cols.items()})
        os.replace(self.dir / "state.tmp.npz", self.dir / "state.npz")

        say("updating vectors")
        self._sync_vectors(chunk_ids, chunk_doc, chunk_texts, docs, embeddings, say)
        say("label centroids")
        self._label_centroids(chunk_ids, chunk_doc, docs)
        (self.dir / "version").write_text(str(len(chunk_ids)) + ":" + hashlib.sha1(
            "".join(chunk_ids).encode()).hexdigest(), encoding="utf-8")

    def _label_centroids(self, chunk_ids: list[str], chunk_doc: list[str], docs: dict[str, dict[str, Any]]) -> None:
        """Mean vector of the chunks of each label value (e.g. objection_category=price), for
        classifying queries; read from Chroma in batches, saved beside the state."""
        from jinnang.coaching.lc import playbook_vectorstore

        cfg = self.config.label_classes
        fields = list(cfg.fields)
        position = {cid: i for i, cid in enumerate(chunk_ids)}
        values = {f: [str(docs[d]["meta"].get(f) or "") for d in chunk_doc] for f in fields}
        sums: dict[tuple[str, str], np.ndarray] = {}
        counts: dict[tuple[str, str], int] = {}
        collection = playbook_vectorstore(self.settings)._collection
        batch = 5000
        for offset in range(0, collection.count(), batch):
            got = collection.get(include=["embeddings"], limit=batch, offset=offset)
            for cid, vec in zip(got["ids"], got["embeddings"]):
                i = position.get(cid)
                if i is None:
                    continue
                v = np.asarray(vec, dtype=np.float32)
                v = v / (np.linalg.norm(v) or 1.0)
                for f in fields:
                    label = values[f][i]
                    if label:
                        key = (f, label)
                        sums[key] = sums.get(key, 0) + v
                        counts[key] = counts.get(key, 0) + 1
        arrays: dict[str, np.ndarray] = {}
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
        np.savez(self.dir / "labels.tmp.npz", **arrays)
        os.replace(self.dir / "labels.tmp.npz", self.dir / "labels.npz")

    def _sync_vectors(self, chunk_ids: list[str], chunk_doc: list[str], chunk_texts: list[str],
                      docs: dict[str, dict[str, Any]], embeddings: dict[str, np.ndarray] | None, say: Any) -> None:
        from jinnang.coaching.lc import playbook_vectorstore

        vs = playbook_vectorstore(self.settings)
        collection = vs._collection
        existing: dict[str, str] = {}
        batch = 5000
        total = collection.count()
        for offset in range(0, total, batch):
            got = collection.get(include=["metadatas"], limit=batch, offset=offset)
            for cid, md in zip(got["ids"], got["metadatas"]):
                existing[cid] = (md or {}).get("hash", "")
        wanted = {cid: hashlib.sha1(t.encode("utf-8")).hexdigest() for cid, t in zip(chunk_ids, chunk_texts)}
        stale = [cid for cid in existing if cid not in wanted]
        if stale:
            for i in range(0, len(stale), batch):
                collection.delete(ids=stale[i:i + batch])
        todo = [i for i, cid in enumerate(chunk_ids) if existing.get(cid) != wanted[cid]]
        if not todo:
            return
        say(f"{'storing given vectors of' if embeddings is not None else 'embedding'} {len(todo)} chunks")
        for start in range(0, len(todo), 256 if embeddings is None else batch):
            part = todo[start:start + (256 if embeddings is None else batch)]
            ids = [chunk_ids[i] for i in part]
            texts = [chunk_texts[i] for i in part]
            metas = [{"doc_id": chunk_doc[i], "hash": wanted[chunk_ids[i]]} for i in part]
            if embeddings is not None and all(cid in embeddings for cid in ids):
                vectors = [np.asarray(embeddings[cid], dtype=np.float32).tolist() for cid in ids]
                collection.upsert(ids=ids, documents=texts, metadatas=metas, embeddings=vectors)
            else:
                vectors = vs.embeddings.embed_documents(texts)
                collection.upsert(ids=ids, documents=texts, metadatas=metas, embeddings=vectors)


def load_index(settings: Settings) -> LoadedIndex:
    """The index of this store, cached in process and reloaded when the store was rebuilt."""
    directory = store_dir(settings)
    version_file = directory / "version"
    if not version_file.is_file():
        raise NotFound("store", f"no playbook index under {settings.data_dir}; run `jinnang index CORPUS.jsonl "
                                  f"--store {settings.data_dir}` first")
    version = version_file.stat().st_mtime
    key = str(directory.resolve())
    cached = _loaded.get(key)
    if cached is not None and cached.version == version:
        return cached
    with _lock:
        state = np.load(directory / "state.npz", allow_pickle=True)
        docs = PlaybookStore(settings).read_documents()
        chunk_ids = [str(x) for x in state["chunk_ids"]]
        chunk_doc = [str(x) for x in state["chunk_doc"]]
        names = [str(x) for x in state["concept_names"]]
        n = len(chunk_ids)
        matrix = sp.csc_matrix((np.ones(len(state["rows"]), dtype=np.float32), (state["rows"], state["cols"])),
                               shape=(n, len(names)))
        df = np.asarray((matrix > 0).sum(axis=0)).ravel()
        idf = np.log(1 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
        texts_by_chunk = {}
        for d in docs.values():
            pieces = chunk_text(d["text"])
            for i, piece in enumerate(pieces):
                texts_by_chunk[d["id"] if len(pieces) == 1 else f"{d['id']}#{i}"] = piece
        loaded = LoadedIndex(
            chunk_ids=chunk_ids, chunk_doc=chunk_doc, chunk_text=[texts_by_chunk.get(c, "") for c in chunk_ids],
            docs=docs,
            words=bm25s.BM25.load(str(directory / "bm25_words")),
            chars=bm25s.BM25.load(str(directory / "bm25_chars")),
            concept_matrix=matrix, concept_vocab={name: i for i, name in enumerate(names)}, concept_idf=idf,
            concept_names=names,
            prior=state["prior"].astype(np.float32),
            kinds=state["meta_kind"],
            facets={f: state[f"facet_{f}"].astype(np.float32) for f in FACETS if f"facet_{f}" in state.files},
            meta_columns={k: state[f"meta_{k}"] for k in META_FILTERS},
            version=version)
        centroids = {}
        if (directory / "labels.npz").is_file():
            lab = np.load(directory / "labels.npz", allow_pickle=True)
            for name in lab.files:
                if name.startswith("labels_"):
                    f = name[len("labels_"):]
                    centroids[f] = ([str(x) for x in lab[name]], lab[f"centroids_{f}"], lab[f"codes_{f}"])
        loaded.extra["label_centroids"] = centroids
        _loaded[key] = loaded
        return loaded


_loaded: dict[str, LoadedIndex] = {}


def index_documents(settings_or_store: Settings | str | os.PathLike[str], docs: list[dict[str, Any]],
                    log: Any = None) -> dict[str, int]:
    """Make `docs` (`{"id","kind","text","meta"}`) searchable; re-adding the same document changes nothing.

    `index_documents(settings, [{"id": "doc-1", "kind": "visit_note", "text": "…", "meta": {"outcome": "won"}}])`
    → {"added": 1, "updated": 0, "unchanged": 0, "total": …}
    """
    return PlaybookStore(store_settings(settings_or_store)).add(docs, log=log)
