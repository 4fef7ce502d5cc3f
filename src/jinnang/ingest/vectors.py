"""Chroma behind one factory: embedded PersistentClient by default, a server when configured.

Every collection is opened with the project's embedding function, never Chroma's
default (which would download a model).
"""
from __future__ import annotations

import contextlib
import re
import threading
from typing import Any

import chromadb
from chromadb.config import Settings as ChromaSettings

from jinnang.core.locks import file_lock
from jinnang.core.settings import Settings
from jinnang.ingest import chroma_claim
from jinnang.ingest.embed import EmbeddingConfigError, JinnangEmbeddingFunction, get_embedder

_clients: dict[str, Any] = {}
# get_or_create_collection is a round trip to the system database (or the server) each call:
# a collection is opened once a process and client, then reused
_collections: dict[tuple[str, str], Any] = {}
_lock = threading.Lock()


def _client_key(settings: Settings) -> str:
    if settings.chroma_host:
        return f"{settings.chroma_host}:{settings.chroma_port}/{settings.chroma_database}"
    return str(settings.chroma_dir.resolve())


def open_chroma(settings: Settings) -> Any:
    """`open_chroma(settings)` → a Chroma client (embedded under data_dir, or HttpClient)."""
    key = _client_key(settings)
    if key not in _clients:
        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if settings.chroma_host:
            _ensure_server_database(settings)
            _clients[key] = chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port,
                                                settings=chroma_settings, database=settings.chroma_database)
        elif (owner := chroma_claim.serving(settings)) is not None:
            _clients[key] = _served_client(settings, owner, chroma_settings)
        else:
            # Chroma makes its tables on the first open and two processes doing so at once fail
            # ("table collections already exists", "database is locked"): opens take turns
            with file_lock(settings.chroma_dir / ".open-lock"):
                _clients[key] = chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)
    return _clients[key]


def _served_client(settings: Settings, owner: dict[str, Any], chroma_settings: ChromaSettings) -> Any:
    """The store another process owns: through the local Chroma server `jinnang serve` runs on it."""
    server = str(owner.get("server") or "")
    if ":" not in server:
        raise chroma_claim.StoreInUse(
            "data_dir", f"`{owner.get('command') or 'jinnang serve'}` (pid {owner.get('pid', '?')}) has "
                        f"{settings.data_dir}'s vector store open, which allows one process only; wait for it to "
                        f"end or stop it (a server started with workers lets other commands share its Chroma server)")
    host, port = server.rsplit(":", 1)
    # the database the embedded store keeps its collections in
    return chromadb.HttpClient(host=host, port=int(port), settings=chroma_settings, database="default_database")


def _ensure_server_database(settings: Settings) -> None:
    """Create the configured database on the Chroma server the first time a deployment uses it."""
    admin = chromadb.AdminClient(ChromaSettings(
        chroma_api_impl="chromadb.api.fastapi.FastAPI", chroma_server_host=settings.chroma_host,
        chroma_server_http_port=settings.chroma_port, anonymized_telemetry=False))
    try:
        admin.get_database(settings.chroma_database)
    except Exception:  # Chroma raises NotFoundError (or a plain ValueError in older servers) for a missing one
        try:
            admin.create_database(settings.chroma_database)
        except Exception:  # another process (a worker starting beside this one) made it meanwhile
            admin.get_database(settings.chroma_database)  # if not, what went wrong is raised from here


def collection_name(base: str, model: str) -> str:
    """One collection per embedding model, so vectors of different sizes never mix."""
    slug = re.sub(r"[^a-zA-Z0-9_-]+", "-", model.rsplit("/", 1)[-1]).strip("-")[:40] or "model"
    return f"{base}__{slug}"


def open_collection(settings: Settings, base: str, model: str | None = None) -> Any:
    model = model or settings.embedding_model
    key = (_client_key(settings), collection_name(base, model))
    with _lock:
        if key not in _collections:
            dimension = model_dimension(model)
            client = open_chroma(settings)  # before the turn below: flock is not re-entrant
            with _opening(settings):
                collection = client.get_or_create_collection(
                    name=key[1], embedding_function=JinnangEmbeddingFunction(model),
                    metadata={"hnsw:space": "cosine", "dimension": dimension})
            _collections[key] = _checked_dimension(collection, model, dimension)
        return _collections[key]


def _opening(settings: Settings) -> contextlib.AbstractContextManager[None]:
    """Creating a collection in the embedded store takes the same turns as opening it."""
    return contextlib.nullcontext() if settings.chroma_host else file_lock(settings.chroma_dir / ".open-lock")


def model_dimension(model: str) -> int:
    """Size of `model`'s vectors (a sentence-transformers model knows it once loaded)."""
    embedder = get_embedder(model)
    return int(embedder.dimension or embedder.embed(["维"]).shape[1])


def _checked_dimension(collection: Any, model: str, dimension: int) -> Any:
    """A collection's vector size is kept in its metadata (older ones: read from one stored vector);
    a model of another size is refused here, saying what to do, not deep inside Chroma on a write."""
    stored = (collection.metadata or {}).get("dimension")
    if stored is None:
        got = collection.peek(1)["embeddings"]
        stored = len(got[0]) if got is not None and len(got) else dimension
    if int(stored) != dimension:
        raise EmbeddingConfigError(
            f"Chroma collection {collection.name!r} holds {stored}-dimensional vectors, but embedding model "
            f"{model!r} makes {dimension}-dimensional ones; set JINNANG_EMBEDDING_MODEL back, or remove the "
            f"collection and re-index")
    return collection
