"""The playbook search store: documents and index segments on disk, vectors in Chroma.

Layout under the store dir (= a data dir): `playbook_search/` holds `docs-*.jsonl` (appended to; a
rebuild writes a new one, so a reader never reads a file replaced under it),
the segments `seg-*.npz` (`coaching.indexing`), `labels.npz` (running label sums and centroids)
and `version`, the manifest naming the live segments: writing it is what commits a change.
Adding documents writes one segment for them alone (cost of the document, not of the corpus);
a changed or removed document or an edited config rebuilds everything. Small segments are
merged in a background thread. A query uses the snapshot it finds (`load_index`): snapshots are
never changed, a new one replaces the old in one assignment, and no reader waits for a writer.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from jinnang.coaching.config import SearchConfig, load_concepts, load_search_config
from jinnang.coaching.indexing import (
    Chunk,
    LabelSums,
    NewSegment,
    Segment,
    build_segment,
    remember_words,
    replace_atomically,
    segment_texts,
)
from jinnang.coaching.records import PlaybookDocument
from jinnang.coaching.snapshot import LoadedIndex, assemble
from jinnang.coaching.vectors import PlaybookVectors
from jinnang.core.errors import Conflict, NotFound
from jinnang.core.locks import file_lock
from jinnang.core.settings import Settings

log = logging.getLogger(__name__)
SUBDIR = "playbook_search"
INDEX_FORMAT = "4"  # bump when what a segment or the manifest holds changes
MAX_SEGMENTS = 12  # more after an add: a background merge starts
MERGE_PAUSE_S = 3.0  # at most one background merge this often
_write_lock = threading.Lock()  # writers of this process (other processes: the lock file)
_reload_lock = threading.Lock()  # one thread loads a newer index; the others answer from the last one
_merge_lock = threading.Lock()
_loaded: dict[str, LoadedIndex] = {}
_last_merge = [0.0]

__all__ = ["LoadedIndex", "PlaybookStore", "drop_cached", "index_documents", "load_index", "store_dir"]


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


def config_fingerprint(config: SearchConfig, model: str = "") -> str:
    """Changes when the lexicon, the search config or the embedding model changes: everything is then
    rebuilt (vectors of a model are kept: they depend on the text only)."""
    raw = load_concepts().model_dump_json() + config.model_dump_json() + INDEX_FORMAT + model
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()


def read_manifest(directory: Path) -> dict[str, Any] | None:
    try:
        manifest = json.loads((directory / "version").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) and manifest.get("format") == INDEX_FORMAT else None


def _write_manifest(directory: Path, manifest: dict[str, Any]) -> None:
    replace_atomically(directory / "version", lambda staging: staging.write_text(json.dumps(manifest), "utf-8"))


def _new_name(prefix: str, suffix: str) -> str:
    return f"{prefix}-{time.time_ns():x}-{os.getpid()}{suffix}"


@contextmanager
def _writing(directory: Path) -> Iterator[None]:
    """The one writer of a store: this process's lock, then the store's lock file."""
    with _write_lock, file_lock(directory / ".lock"):
        yield


def _docs_path(directory: Path, manifest: dict[str, Any] | None) -> Path:
    """The documents file the manifest names (`docs.jsonl`: a store of the format before segments)."""
    return directory / str((manifest or {}).get("docs") or "docs.jsonl")


def _read_docs(path: Path, offset: int = 0, into: dict[str, PlaybookDocument] | None = None
               ) -> tuple[dict[str, PlaybookDocument], int]:
    """Documents of a documents file from byte `offset` (complete lines only: a writer may be mid-line)."""
    docs = into if into is not None else {}
    try:
        with path.open("rb") as fh:
            fh.seek(offset)
            data = fh.read()
    except FileNotFoundError:
        return docs, offset
    end = data.rfind(b"\n") + 1
    for line in data[:end].splitlines():
        if line.strip():
            d = PlaybookDocument.model_validate(json.loads(line))
            docs[d.id] = d
    return docs, offset + end


def _load(settings: Settings, directory: Path, previous: LoadedIndex | None,
          fresh: Mapping[str, Segment] | None = None) -> LoadedIndex:
    """The index the manifest names; segments and documents `previous` holds are reused."""
    for _attempt in range(5):
        stat = (directory / "version").stat()
        manifest = read_manifest(directory)
        if manifest is None:
            break
        built_with = manifest.get("embedding_model", "use-multilingual")  # stores made before it was recorded
        if built_with != settings.embedding_model:
            raise Conflict("embedding_model", f"the playbook index under {settings.data_dir} was built with "
                           f"{built_with!r}, not {settings.embedding_model!r}; re-index it: `jinnang index "
                           f"CORPUS.jsonl --store {settings.data_dir} --embedding-model {settings.embedding_model}`")
        same_docs = previous is not None and previous.manifest.get("docs") == manifest.get("docs")
        have = {**({n: s for n, s in previous.segments} if previous else {}), **(fresh or {})}
        try:
            segments = [(n, have.get(n) or Segment.load(directory / n)) for n in manifest["segments"]]
        except FileNotFoundError:  # merged away meanwhile: the manifest names the merged one now
            continue
        docs, offset = _read_docs(_docs_path(directory, manifest), previous.docs_offset if same_docs and previous else 0,
                                  dict(previous.docs) if same_docs and previous else None)
        vectors = previous.vectors if previous is not None else PlaybookVectors(settings)
        return assemble(segments, docs, offset, manifest, (stat.st_ino, stat.st_mtime_ns, stat.st_size),
                        directory / "labels.npz", vectors, previous)
    raise NotFound("store", f"the playbook index under {settings.data_dir} is of an older format or unreadable; "
                            f"run `jinnang index CORPUS.jsonl --store {settings.data_dir}` again")


def load_index(settings: Settings, wait: bool = False) -> LoadedIndex:
    """The last complete index of this store: cached in process, brought up to date when the store
    changed (an add costs the new segment). While another thread loads, a query answers from the
    index it had; `wait` (writers) waits for the newest."""
    directory = store_dir(settings)
    try:
        st = (directory / "version").stat()
    except FileNotFoundError:
        raise NotFound("store", f"no playbook index under {settings.data_dir}; run `jinnang index CORPUS.jsonl "
                                f"--store {settings.data_dir}` first") from None
    key = _cache_key(settings)
    cached = _loaded.get(key)
    if cached is not None and cached.version == (st.st_ino, st.st_mtime_ns, st.st_size):
        return cached
    if not _reload_lock.acquire(blocking=cached is None or wait):
        return cached  # type: ignore[return-value]  # (cached is set: a blocking acquire returns True)
    try:
        cached = _loaded.get(key)
        if cached is None or cached.version != (st.st_ino, st.st_mtime_ns, st.st_size):
            cached = _loaded[key] = _load(settings, directory, cached)
        return cached
    finally:
        _reload_lock.release()


def drop_cached(settings: Settings) -> None:
    """Forget this process's copy of the store's index (the next query loads it from disk)."""
    _loaded.pop(_cache_key(settings), None)


def _cache_key(settings: Settings) -> str:
    """One loaded index a store and embedding model: a model's index holds that model's vectors."""
    return _resolved_key(store_dir(settings), settings.embedding_model)


@lru_cache(maxsize=64)
def _resolved_key(directory: Path, model: str) -> str:  # resolve() is several lstat calls; once a store is enough
    return f"{directory.resolve()}|{model}"


class PlaybookStore:
    """Adds documents (idempotent by id): new ones as a segment of their own, changed ones by a rebuild."""

    def __init__(self, settings: Settings, config: SearchConfig | None = None) -> None:
        self.settings = settings
        self.config = config or load_search_config()
        self.dir = store_dir(settings)

    def read_documents(self) -> dict[str, PlaybookDocument]:
        return _read_docs(_docs_path(self.dir, read_manifest(self.dir)))[0]

    def add(self, new_docs: Iterable[PlaybookDocument | Mapping[str, Any]],
            embeddings: Mapping[str, np.ndarray] | None = None,
            log: Callable[[str], None] | None = None) -> dict[str, int]:
        """Merge `new_docs` by id. Returns counts. `embeddings`: vectors to store instead of
        embedding, by chunk id."""
        say = log or (lambda _m: None)
        parsed = [PlaybookDocument.parse(raw) for raw in new_docs]
        # new documents' words, tags and Chroma vectors are made before the store's lock, which then
        # covers only the files: N workers adding at once do not wait on each other's LAC and Chroma
        ready = self._prepare_new(parsed, embeddings, say)
        with _writing(self.dir):
            manifest = read_manifest(self.dir)
            current = None
            if manifest is not None and manifest.get("config") == config_fingerprint(self.config, self.settings.embedding_model):
                current = load_index(self.settings, wait=True)
            known = current.docs if current is not None else self.read_documents()
            indexed = current.indexed if current is not None else set()
            fresh: dict[str, PlaybookDocument] = {}
            added = updated = 0
            for doc in parsed:
                old = fresh.get(doc.id) or known.get(doc.id)
                if old is not None and old.hash == doc.hash and (doc.id in indexed or doc.id in fresh):
                    continue
                if old is None or doc.id not in indexed and doc.id not in fresh:
                    added += 1
                else:
                    updated += 1
                fresh[doc.id] = doc
            if current is not None and not updated:
                if fresh:
                    if ready is None or ready.docs.keys() != fresh.keys() or any(
                            ready.docs[d].hash != doc.hash for d, doc in fresh.items()):
                        ready = self._prepare_append(current, fresh, embeddings, say)  # the store moved on
                    self._commit_append(current, ready)
            elif known or fresh:
                self._rebuild({**known, **fresh}, embeddings, say)
            total = len(current.indexed | set(fresh)) if current is not None and not updated else len({**known, **fresh})
        self._maybe_merge()
        return {"added": added, "updated": updated, "unchanged": len(parsed) - added - updated, "total": total}

    def _rebuild(self, docs: dict[str, PlaybookDocument], given: Mapping[str, np.ndarray] | None,
                 say: Callable[[str], None]) -> None:
        """Every index of `docs` from scratch (words of texts seen before come from the cache)."""
        old = read_manifest(self.dir)
        chunks: list[Chunk] = [(cid, d.id, text) for d in docs.values() for cid, text in d.chunks()]
        word_lists, char_lists = segment_texts(self.dir, [t for _, _, t in chunks], say)
        say("building the segment")
        segment = build_segment(chunks, docs, self.config, word_lists, char_lists)
        say("updating vectors")
        vectors = PlaybookVectors(self.settings)
        vectors.sync(chunks, given, say)
        say("label centroids")
        sums = LabelSums()
        label_of = {f: dict(zip(segment.chunk_ids, values)) for f, values in segment.labels.items()}
        for cid, v in vectors.unit_vectors():
            for f, by_chunk in label_of.items():
                sums.add_vector(f, by_chunk.get(cid), v)

        def write_docs(staging: Path) -> None:
            with staging.open("w", encoding="utf-8") as fh:
                fh.write("".join(json.dumps(d.model_dump(), ensure_ascii=False) + "\n" for d in docs.values()))

        docs_name = _new_name("docs", ".jsonl")
        replace_atomically(self.dir / docs_name, write_docs)
        name = _new_name("seg", ".npz")
        segment.save(self.dir / name)
        sums.save(self.dir / "labels.npz", self.config)
        _write_manifest(self.dir, {"format": INDEX_FORMAT, "config": config_fingerprint(self.config, self.settings.embedding_model),
                                   "embedding_model": self.settings.embedding_model,
                                   "docs": docs_name, "segments": [name]})
        self._install(name, segment)
        for stale in [*(old or {}).get("segments", []), (old or {}).get("docs", "docs.jsonl")]:
            (self.dir / stale).unlink(missing_ok=True)
        # what a process killed mid-write or mid-merge left (old enough that no writer is still on it)
        for path in [*self.dir.glob("seg-*.npz"), *self.dir.glob("docs-*.jsonl"), *self.dir.glob(".*.tmp")]:
            if path.name not in (name, docs_name) and time.time() - path.stat().st_mtime > 600:
                path.unlink(missing_ok=True)
        for leftover in ("state.npz", "labels.tmp.npz"):  # an index of the format before segments
            (self.dir / leftover).unlink(missing_ok=True)
        for leftover in ("bm25_words", "bm25_chars"):
            shutil.rmtree(self.dir / leftover, ignore_errors=True)

    def _prepare_new(self, parsed: list[PlaybookDocument], given: Mapping[str, np.ndarray] | None,
                     say: Callable[[str], None]) -> NewSegment | None:
        """The segment of `parsed` when this process's index says all are new (checked again under the lock)."""
        current = _loaded.get(_cache_key(self.settings))
        docs = {d.id: d for d in parsed}
        if current is None or not docs or len(docs) != len(parsed) or docs.keys() & (current.indexed | current.docs.keys()):
            return None
        return self._prepare_append(current, docs, given, say)

    def _prepare_append(self, current: LoadedIndex, fresh: dict[str, PlaybookDocument],
                        given: Mapping[str, np.ndarray] | None, say: Callable[[str], None]) -> NewSegment:
        """The new documents as one segment: only their chunks are segmented, tagged and embedded."""
        chunks: list[Chunk] = [(cid, d.id, text) for d in fresh.values() for cid, text in d.chunks()]
        texts = [t for _, _, t in chunks]
        word_lists, char_lists = segment_texts(self.dir, texts, say, read_cache=False, write_cache=False)
        # vectors first (a vector no segment names is never a hit); new documents, so new chunks
        return NewSegment(dict(fresh), texts, word_lists, build_segment(chunks, fresh, self.config, word_lists, char_lists),
                          current.vectors.add(chunks, given, stored=False))

    def _commit_append(self, current: LoadedIndex, new: NewSegment) -> None:
        """Under the store's lock: the segment, its documents, words and label sums into the store."""
        remember_words(self.dir, new.texts, new.word_lists)
        sums, segment = LabelSums.load(self.dir / "labels.npz"), new.segment
        sums.add(segment.labels, segment.chunk_ids, new.unit)
        with _docs_path(self.dir, current.manifest).open("a", encoding="utf-8") as fh:
            fh.write("".join(json.dumps(d.model_dump(), ensure_ascii=False) + "\n" for d in new.docs.values()))
        name = _new_name("seg", ".npz")
        segment.save(self.dir / name)
        sums.save(self.dir / "labels.npz", self.config)
        _write_manifest(self.dir, {**current.manifest, "segments": [*current.manifest["segments"], name]})
        self._install(name, segment)

    def _install(self, name: str, segment: Segment) -> None:
        """This process's readers see the committed index at once (the new segment from memory)."""
        with _reload_lock:
            key = _cache_key(self.settings)
            _loaded[key] = _load(self.settings, self.dir, _loaded.get(key), {name: segment})

    def _maybe_merge(self) -> None:
        manifest = read_manifest(self.dir)
        if (manifest is None or len(manifest["segments"]) <= MAX_SEGMENTS or _merge_lock.locked()
                or time.monotonic() - _last_merge[0] < MERGE_PAUSE_S):
            return
        threading.Thread(target=self.merge, name="playbook-merge", daemon=True).start()

    def merge(self) -> bool:
        """Merge segments off the request path: the small ones after the first while they are
        less than half its size, else all. Commits only if no writer replaced them meanwhile."""
        try:
            with _merge_lock:
                _last_merge[0] = time.monotonic()
                current = load_index(self.settings, wait=True)
                sizes = [len(s) for _, s in current.segments]
                if len(sizes) < 2:
                    return False
                start = 1 if len(sizes) > 2 and sizes[0] >= 2 * sum(sizes[1:]) else 0
                picked = current.segments[start:]
                merged = Segment.merge([s for _, s in picked])
                name = _new_name("seg", ".npz")
                merged.save(self.dir / name)
                names = [n for n, _ in picked]
                with _writing(self.dir):
                    manifest = read_manifest(self.dir)
                    if manifest is None or manifest["segments"][start:start + len(names)] != names:
                        (self.dir / name).unlink(missing_ok=True)
                        return False
                    segments = manifest["segments"]
                    _write_manifest(self.dir, {**manifest, "segments": [*segments[:start], name,
                                                                        *segments[start + len(names):]]})
                    self._install(name, merged)
                for old in names:
                    (self.dir / old).unlink(missing_ok=True)
                return True
        except Exception:  # the segments stay as they are; the next add tries again
            log.exception("merging playbook segments under %s failed", self.dir)
            return False

    def remove(self, doc_ids: Iterable[str]) -> int:
        """Drop documents by id and rebuild the indexes without them (their vectors go in the same
        sync); an emptied store loses its index, so search says there is none. Returns how many went."""
        wanted = set(doc_ids)
        with _writing(self.dir):
            docs = self.read_documents()
            gone = [d for d in docs if d in wanted]
            if not gone:
                return 0
            for doc_id in gone:
                del docs[doc_id]
            if docs:
                self._rebuild(docs, None, lambda _m: None)
            else:
                PlaybookVectors(self.settings).sync([])
                shutil.rmtree(self.dir)
            return len(gone)


def index_documents(settings_or_store: Settings | str | os.PathLike[str],
                    docs: Iterable[PlaybookDocument | Mapping[str, Any]],
                    log: Callable[[str], None] | None = None) -> dict[str, int]:
    """Make `docs` (`{"id","kind","text","meta"}`) searchable; re-adding the same document changes nothing.

    `index_documents(settings, [{"id": "doc-1", "kind": "visit_note", "text": "…", "meta": {"outcome": "won"}}])`
    → {"added": 1, "updated": 0, "unchanged": 0, "total": …}
    """
    return PlaybookStore(store_settings(settings_or_store)).add(docs, log=log)
