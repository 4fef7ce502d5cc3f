"""The playbook search store: documents and indexes on disk, vectors in Chroma.

Layout under the store dir (= a data dir): `playbook_search/` holds `docs.jsonl` (the
indexed documents) and the indexes `coaching.indexing` builds from them; Chroma's
`playbook` collection holds one vector per chunk. Indexes are built when documents are
added, never per query; `load_index` loads them once per store for queries.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import scipy.sparse as sp

from jinnang.coaching.config import FACETS, SearchConfig, load_concepts, load_search_config
from jinnang.coaching.indexing import build_index
from jinnang.coaching.records import META_FILTERS, PlaybookDocument
from jinnang.coaching.vectors import PlaybookVectors
from jinnang.core.errors import NotFound
from jinnang.core.settings import Settings

SUBDIR = "playbook_search"
INDEX_FORMAT = "3"  # bump when what state.npz holds changes
# held while a store is rebuilt or loaded: a query never loads a half-written index
_lock = threading.Lock()


def store_settings(settings_or_store: Settings | str | os.PathLike[str]) -> Settings:
    """A Settings whose data_dir is the store: `jinnang index --store DIR` and the API share one layout."""
    if isinstance(settings_or_store, Settings):
        return settings_or_store
    return Settings(data_dir=Path(settings_or_store))


def store_dir(settings: Settings) -> Path:
    return Path(settings.data_dir) / SUBDIR


def validate_document(doc: Any, where: str = "document") -> PlaybookDocument:
    """A corpus line `{"id","kind","text","meta"}` checked; InputError names the bad field."""
    return PlaybookDocument.parse(doc, where)


def config_fingerprint(config: SearchConfig) -> str:
    """Changes when the lexicon or search config changes: concept tags and priors are then rebuilt
    (vectors are kept: they depend on the text only)."""
    raw = load_concepts().model_dump_json() + config.model_dump_json() + INDEX_FORMAT
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()


class PlaybookStore:
    """Adds documents (idempotent by id) and rebuilds the persisted indexes."""

    def __init__(self, settings: Settings, config: SearchConfig | None = None) -> None:
        self.settings = settings
        self.config = config or load_search_config()
        self.dir = store_dir(settings)

    def read_documents(self) -> dict[str, PlaybookDocument]:
        path = self.dir / "docs.jsonl"
        docs: dict[str, PlaybookDocument] = {}
        if path.is_file():
            with path.open(encoding="utf-8") as fh:
                for line in fh:
                    if line.strip():
                        d = PlaybookDocument.model_validate(json.loads(line))
                        docs[d.id] = d
        return docs

    def add(self, new_docs: Iterable[PlaybookDocument | Mapping[str, Any]],
            embeddings: Mapping[str, np.ndarray] | None = None,
            log: Callable[[str], None] | None = None) -> dict[str, int]:
        """Merge `new_docs` by id; rebuild indexes when anything changed. Returns counts.
        `embeddings`: vectors to store instead of embedding, by chunk id."""
        with _lock:
            self.dir.mkdir(parents=True, exist_ok=True)
            docs = self.read_documents()
            added = updated = given = 0
            for raw in new_docs:
                given += 1
                doc = PlaybookDocument.parse(raw)
                old = docs.get(doc.id)
                if old is None:
                    added += 1
                elif old.hash != doc.hash:
                    updated += 1
                else:
                    continue
                docs[doc.id] = doc
            fingerprint = config_fingerprint(self.config)
            stamp = self.dir / "config.sha1"
            stale = not stamp.is_file() or stamp.read_text(encoding="utf-8") != fingerprint
            if added or updated or stale or not (self.dir / "state.npz").is_file():
                build_index(self.dir, docs, self.config, PlaybookVectors(self.settings), embeddings,
                            log or (lambda _m: None))
                stamp.write_text(fingerprint, encoding="utf-8")
            return {"added": added, "updated": updated, "unchanged": given - added - updated, "total": len(docs)}

    def remove(self, doc_ids: Iterable[str]) -> int:
        """Drop documents by id and rebuild the indexes without them (their vectors go in the same
        sync); an emptied store loses its index, so search says there is none. Returns how many went."""
        wanted = set(doc_ids)
        with _lock:
            docs = self.read_documents()
            gone = [d for d in docs if d in wanted]
            if not gone:
                return 0
            for doc_id in gone:
                del docs[doc_id]
            if docs:
                build_index(self.dir, docs, self.config, PlaybookVectors(self.settings))
            else:
                PlaybookVectors(self.settings).sync([])
                shutil.rmtree(self.dir)
            return len(gone)


LabelCentroids = dict[str, tuple[list[str], np.ndarray, np.ndarray]]
"""field → (label values, their unit centroid vectors, each chunk's label code; -1: none)."""


@dataclass
class LoadedIndex:
    """Everything a query needs, loaded once per store (and reloaded when the store changes)."""

    chunk_ids: list[str]
    chunk_doc: list[str]
    chunk_text: list[str]
    docs: dict[str, PlaybookDocument]
    words: bm25s.BM25
    chars: bm25s.BM25
    concept_matrix: sp.csc_matrix
    concept_vocab: dict[str, int]
    concept_idf: np.ndarray
    concept_names: list[str]
    prior: np.ndarray
    kinds: np.ndarray
    facets: dict[str, np.ndarray]
    meta_columns: dict[str, np.ndarray]
    label_centroids: LabelCentroids
    vectors: PlaybookVectors
    version: float

    @cached_property
    def concept_rows(self) -> sp.csr_matrix:
        """The concept matrix by rows (feedback reads the tags of a few chunks)."""
        return self.concept_matrix.tocsr()

    @cached_property
    def position(self) -> dict[str, int]:
        """Chunk id → row."""
        return {c: i for i, c in enumerate(self.chunk_ids)}


def _label_centroids(directory: Path) -> LabelCentroids:
    centroids: LabelCentroids = {}
    if (directory / "labels.npz").is_file():
        lab = np.load(directory / "labels.npz", allow_pickle=True)
        for name in lab.files:
            if name.startswith("labels_"):
                f = name[len("labels_"):]
                centroids[f] = ([str(x) for x in lab[name]], lab[f"centroids_{f}"], lab[f"codes_{f}"])
    return centroids


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
        texts_by_chunk = {cid: text for d in docs.values() for cid, text in d.chunks()}
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
            label_centroids=_label_centroids(directory),
            # kept with the loaded index: a rebuild replaces both, and the chunk → row map with them
            vectors=PlaybookVectors(settings),
            version=version)
        _loaded[key] = loaded
        return loaded


_loaded: dict[str, LoadedIndex] = {}


def index_documents(settings_or_store: Settings | str | os.PathLike[str],
                    docs: Iterable[PlaybookDocument | Mapping[str, Any]],
                    log: Callable[[str], None] | None = None) -> dict[str, int]:
    """Make `docs` (`{"id","kind","text","meta"}`) searchable; re-adding the same document changes nothing.

    `index_documents(settings, [{"id": "doc-1", "kind": "visit_note", "text": "…", "meta": {"outcome": "won"}}])`
    → {"added": 1, "updated": 0, "unchanged": 0, "total": …}
    """
    return PlaybookStore(store_settings(settings_or_store)).add(docs, log=log)
