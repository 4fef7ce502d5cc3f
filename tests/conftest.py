"""Shared fixtures: an isolated data dir per test and the shared dev set's location."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from jinnang.core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SHARED_DEV = ROOT.parent / "shared" / "data" / "dev"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data",
                    api_keys="rep7:rep:rep-07,rep8:rep:rep-08,mgr2:manager:mgr-02:rep-07,crm1:crm:crm,adm:admin:root")


@pytest.fixture
def shared_dev() -> Path:
    if not SHARED_DEV.is_dir():
        pytest.skip("shared/data/dev is not beside this checkout")
    return SHARED_DEV


os.environ.setdefault("OMP_THREAD_LIMIT", "1")
