"""An index of the small corpus, built once per test module (real LAC, bm25s, USE and Chroma)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from jinnang.core.settings import Settings

_spec = importlib.util.spec_from_file_location("coaching_corpus_small", Path(__file__).with_name("corpus_small.py"))
corpus_small = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus_small)


@pytest.fixture(scope="module")
def small_docs() -> list[dict]:
    return [dict(d, meta=dict(d["meta"])) for d in corpus_small.DOCS]


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory, small_docs: list[dict]) -> Settings:
    from jinnang.coaching import index_documents

    settings = Settings(data_dir=tmp_path_factory.mktemp("store"))
    index_documents(settings, small_docs)
    return settings
