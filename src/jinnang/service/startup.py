"""What a server checks before it accepts work: every configuration file and the embedding model.

A broken journey file or a missing model used to start fine and fail on the first request (a
500, or every ingest job failing); `startup_problems` names each problem with its file, line and
field, and `jinnang serve` exits 2 on any.
"""
from __future__ import annotations

from jinnang.core.settings import Settings
from jinnang.ingest.embed import EmbeddingConfigError, get_embedder
from jinnang.service.configuration import check_configuration


def startup_problems(settings: Settings) -> list[str]:
    """One line a problem; empty when the service may start."""
    problems = [str(error) for _, error in check_configuration() if error is not None]
    try:
        get_embedder(settings.embedding_model)
    except EmbeddingConfigError as exc:
        problems.append(f"setting embedding_model (JINNANG_EMBEDDING_MODEL): {exc}")
    return problems
