"""Coaching: playbook search over sales documents and the playbook (锦囊) mined from won deals.

Entry points other packages use:
- `index_documents(settings_or_store, docs)` — make documents searchable (idempotent by id);
- `search_playbook(settings, query, k=10, filters=None)` — hybrid search, best first
  (not named `search`: that is the submodule `coaching.search`);
- `talk_tracks_for(category, settings)` — evidence dicts of the best talk tracks for an objection.
"""
from __future__ import annotations

from typing import Any


def index_documents(settings_or_store: Any, docs: list[dict[str, Any]], log: Any = None) -> dict[str, int]:
    from jinnang.coaching.store import index_documents as _index

    return _index(settings_or_store, docs, log=log)


def search_playbook(settings: Any, query: str, k: int = 10, filters: dict[str, str] | None = None) -> list[dict[str, Any]]:
    from jinnang.coaching.search import search as _search

    return _search(settings, query, k=k, filters=filters)


def talk_tracks_for(category: str, settings: Any, limit: int = 2) -> list[dict[str, Any]]:
    from jinnang.coaching.playbook import talk_tracks_for as _talk

    return _talk(category, settings, limit=limit)
