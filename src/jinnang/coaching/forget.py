"""Taking a deleted document out of coaching: the playbook search store (its docs, indexes and
vectors) and the mined tips that cite it.

A tip citing the document is deleted even when it cites other deals too: its text may be the
deleted note's sentence, and its won/lost counts include that deal. The next `playbook build`
mines the remaining documents again (the scenario's deal counts are refreshed then).
"""
from __future__ import annotations

import json

from sqlalchemy import Engine, select

from jinnang.coaching.playbook import PlaybookTip
from jinnang.coaching.store import PlaybookStore
from jinnang.coaching.vectors import PlaybookVectors
from jinnang.core.db import ensure_schema, open_engine, session_factory
from jinnang.core.settings import Settings


def playbook_vector_ids(settings: Settings, document_id: str) -> list[str]:
    """Ids of the document's chunk vectors in the playbook collection."""
    return list(PlaybookVectors(settings).collection.get(where={"doc_id": document_id}, include=[])["ids"])


def playbook_engine(settings: Settings) -> Engine:
    engine = open_engine(settings.db_url)
    ensure_schema(engine)
    return engine


def tips_citing(settings: Settings, document_id: str) -> list[int]:
    with session_factory(playbook_engine(settings))() as session:
        rows = session.scalars(select(PlaybookTip).where(PlaybookTip.sources.contains(json.dumps(document_id))))
        return [t.id for t in rows if document_id in json.loads(t.sources)]


def forget_in_coaching(settings: Settings, document_id: str) -> dict[str, int]:
    """Remove the document from the search store (rebuilding its indexes) and its tips; counts by kind."""
    vectors = len(playbook_vector_ids(settings, document_id))
    documents = PlaybookStore(settings).remove([document_id])
    tip_ids = tips_citing(settings, document_id)
    with session_factory(playbook_engine(settings))() as session, session.begin():
        for tip in session.scalars(select(PlaybookTip).where(PlaybookTip.id.in_(tip_ids))):
            session.delete(tip)
    left = len(playbook_vector_ids(settings, document_id))
    return {"playbook_documents": documents, "playbook_vectors": vectors - left, "playbook_tips": len(tip_ids)}
