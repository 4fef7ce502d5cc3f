"""Commands run in-process read their settings from the environment: a fresh data dir per test."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jinnang.core.settings import get_settings


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Iterator[Path]:
    monkeypatch.setenv("JINNANG_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()
