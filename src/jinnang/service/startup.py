"""What a server checks before it accepts work: every configuration file and the embedding model.

A broken journey file or a missing model used to start fine and fail on the first request (a
500, or every ingest job failing); `startup_problems` names each problem with its file, line and
field, and `jinnang serve` exits 2 on any. `warm_up` then loads the models and the playbook index
before the first search (lazily loaded they made it take 3–4.5 s).
"""
from __future__ import annotations

from typing import Any

from jinnang.core.settings import Settings
from jinnang.ingest.embed import EmbeddingConfigError, get_embedder
from jinnang.nlp.calibration import check_calibrator
from jinnang.service.configuration import check_configuration


def startup_problems(settings: Settings) -> list[str]:
    """One line a problem; empty when the service may start."""
    problems = [str(error) for _, error in check_configuration() if error is not None]
    if (problem := check_calibrator()) is not None:
        problems.append(f"the extraction confidence calibrator (nlp/models/calibration.json): {problem}")
    try:
        get_embedder(settings.embedding_model)
    except EmbeddingConfigError as exc:
        problems.append(f"setting embedding_model (JINNANG_EMBEDDING_MODEL): {exc}")
    return problems


def warm_up(settings: Settings) -> dict[str, float]:
    """Load what the first search needs (LAC, the embedding model, the concept matcher, the name
    gazetteers for anonymised hits, Chroma and the playbook index) and bring the playbook up to date,
    so the first search answers as fast as the hundredth. Seconds per step; a step that fails is
    logged and skipped (the service still starts; that step then loads on first use)."""
    import logging
    import time

    from jinnang.core.access import Viewer

    log = logging.getLogger(__name__)
    timings: dict[str, float] = {}

    def step(name: str, work: Any) -> None:
        started = time.perf_counter()
        try:
            work()
        except Exception:
            log.exception("warm-up step %s failed", name)
        timings[name] = round(time.perf_counter() - started, 3)

    def search_once() -> None:
        from jinnang.coaching.search import search_hits

        # a viewer who sees only their own notes: the anonymising path (gazetteers, LAC names) loads too
        search_hits(settings, "主任说价格太贵怎么办", k=5, viewer=Viewer(role="rep", subject="warm-up"))

    def playbook() -> None:
        from jinnang.coaching import index_documents
        from jinnang.service.playbook_refresh import refresh_if_stale

        index_documents(settings, [])  # a store of the older, non-segmented format is rebuilt in the new one
        refresh_if_stale(settings)

    def models() -> None:
        from jinnang.coaching.search import mask_identifiers
        from jinnang.coaching.vectors import query_embedder

        query_embedder(settings.embedding_model).embed(["预热"])
        mask_identifiers("金华市人民医院王主任说价格太贵")

    step("models", models)
    step("playbook", playbook)
    step("search", search_once)
    return timings
