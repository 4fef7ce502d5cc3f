"""Coaching: playbook search over sales documents and the playbook (锦囊) mined from won deals.

Entry points other packages use:
- `index_documents(settings_or_store, docs)` — make documents searchable (idempotent by id);
- `coaching.search.search_hits(settings, query, k=10, filters=None)` — hybrid search, best first
  (`coaching.search.search` gives the same as dicts, the JSON of the CLI and the API);
- `talk_tracks_for(category, settings)` — evidence dicts of the best talk tracks for an objection.

Each module imports only modules listed before it: config, records, text, snippets, vectors, indexing,
snapshot, store, search, mining (the NLP of deal notes, cached by text), scenario_text (the Chinese of a
scenario, its URL id, the built-in talk tracks), playbook, forget (a deleted document out of the
store and the tips); `lc` (the LangChain faces) is a leaf that nothing in jinnang imports.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinnang.coaching.records import PlaybookDocument
    from jinnang.core.settings import Settings

# The submodules are imported when called: `import jinnang.coaching.config` (the lexicon, config
# checks) should not load Chroma and SQLAlchemy.


def index_documents(settings_or_store: Settings | str | os.PathLike[str],
                    docs: Iterable[PlaybookDocument | Mapping[str, Any]],
                    log: Callable[[str], None] | None = None) -> dict[str, int]:
    from jinnang.coaching.store import index_documents as _index

    return _index(settings_or_store, docs, log=log)


def talk_tracks_for(category: str, settings: Settings, limit: int = 2) -> list[dict[str, Any]]:
    from jinnang.coaching.playbook import talk_tracks_for as _talk

    return _talk(category, settings, limit=limit)
