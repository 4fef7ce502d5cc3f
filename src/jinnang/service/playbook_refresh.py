"""Keeping the playbook (锦囊) built: after ingest it is mined again when — and only when — what it is
mined from changed, so it is never empty while there are won deals, and never rebuilt for nothing.

What the playbook is mined from: talk tracks and notes of won or lost deals, and the mining
configuration. A note of an open deal (most uploads) changes nothing; `refresh_if_stale` sees that
from the search store's documents and skips the build. A stat of the store's `version` file answers
the common case (nothing indexed since the last check) without reading anything.

    playbook_refresh_hook(settings, session, document)   # a document hook: after `playbook_hook`
    refresh_if_stale(settings)                           # after a batch, at start-up, before a page

The rule file's built-in talk tracks (next_actions.yaml) are indexed as company knowledge on the
first refresh, so a fresh install already answers 「竞品已经进院了怎么应对」.
"""
from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from jinnang.core.settings import Settings

log = logging.getLogger(__name__)
STATE_FILE = "playbook_state.json"  # beside the store: what the playbook was last built from
_lock = threading.Lock()
_fingerprints: dict[str, Any] = {}  # (the objects are kept so their ids are not reused)
_checked: dict[str, tuple[int, int, str]] = {}  # store dir → (version mtime, size, config) last seen fresh


def _store_dir(settings: Settings) -> Path:
    from jinnang.coaching.store import store_dir

    return store_dir(settings)


def _version_stamp(settings: Settings) -> tuple[int, int] | None:
    try:
        st = (_store_dir(settings) / "version").stat()
    except FileNotFoundError:
        return None
    return st.st_mtime_ns, st.st_size


def _config_fingerprint() -> str:
    """Of the mining configuration and the built-in advice; recomputed only when a file was edited
    (each loader hands out a new object then)."""
    from jinnang.coaching.config import load_concepts, load_playbook_config
    from jinnang.coaching.scenario_text import built_in_talk_tracks
    from jinnang.rules.config import default_ruleset

    objects = (load_playbook_config(), load_concepts(), default_ruleset())
    key = tuple(id(o) for o in objects)
    if _fingerprints.get("key") != key:
        raw = objects[0].model_dump_json() + objects[1].model_dump_json()
        raw += json.dumps(built_in_talk_tracks(), ensure_ascii=False, sort_keys=True)
        _fingerprints.update(key=key, value=hashlib.sha1(raw.encode("utf-8")).hexdigest(), objects=objects)
    return str(_fingerprints["value"])


def mined_inputs(settings: Settings) -> str:
    """Fingerprint of the documents the playbook is mined from (talk tracks, won and lost deals)."""
    from jinnang.coaching.store import PlaybookStore

    relevant = sorted(f"{d.id}:{d.hash}" for d in PlaybookStore(settings).read_documents().values()
                      if affects_playbook(d.kind, d.meta))
    return hashlib.sha1("\n".join(relevant).encode("utf-8")).hexdigest()


def affects_playbook(kind: str | None, meta: dict[str, Any] | None) -> bool:
    return kind == "talk_track" or (meta or {}).get("outcome") in ("won", "lost")


def _read_state(settings: Settings) -> dict[str, Any]:
    try:
        return dict(json.loads((_store_dir(settings) / STATE_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def _write_state(settings: Settings, state: dict[str, Any]) -> None:
    path = _store_dir(settings) / STATE_FILE
    path.write_text(json.dumps(state), encoding="utf-8")


def ensure_built_in_talk_tracks(settings: Settings) -> dict[str, int]:
    """Index the rule file's default talk tracks (idempotent: unchanged ones cost a read of the store)."""
    from jinnang.coaching import index_documents
    from jinnang.coaching.scenario_text import built_in_talk_tracks

    return index_documents(settings, built_in_talk_tracks())


def mark_stale(settings: Settings) -> None:
    """Make the next `refresh_if_stale` look at the documents again."""
    _checked.pop(str(_store_dir(settings)), None)
    path = _store_dir(settings) / STATE_FILE
    state = _read_state(settings)
    if state:
        state["stale"] = True
        _write_state(settings, state)
    elif path.parent.is_dir():
        _write_state(settings, {"stale": True})


def refresh_if_stale(settings: Settings, force: bool = False) -> dict[str, Any]:
    """Build the playbook if what it is mined from changed since the last build; cheap when not.
    Returns {"rebuilt": bool, "seconds": …, plus the build's counts when it ran}."""
    started = time.perf_counter()
    key = str(_store_dir(settings))
    config = _config_fingerprint()
    stamp = _version_stamp(settings)
    if not force and stamp is not None and _checked.get(key) == (*stamp, config):
        return {"rebuilt": False, "seconds": round(time.perf_counter() - started, 4)}
    with _lock:
        state = _read_state(settings)
        if stamp is None or state.get("config") != config:
            ensure_built_in_talk_tracks(settings)  # a fresh store, or edited built-in advice
            stamp = _version_stamp(settings)
        if stamp is None:  # nothing to index (cannot happen while built-in talk tracks exist)
            return {"rebuilt": False, "seconds": round(time.perf_counter() - started, 4)}
        fresh_stamp = [stamp[0], stamp[1]]
        if (not force and not state.get("stale") and state.get("version") == fresh_stamp
                and state.get("config") == config):
            _checked[key] = (*stamp, config)
            return {"rebuilt": False, "seconds": round(time.perf_counter() - started, 4)}
        inputs = mined_inputs(settings)
        result: dict[str, Any] = {"rebuilt": False}
        if force or state.get("stale") or state.get("inputs") != inputs or state.get("config") != config:
            from jinnang.coaching.playbook import build_playbook

            result = {"rebuilt": True, **build_playbook(settings)}
        _write_state(settings, {"version": fresh_stamp, "inputs": inputs, "config": config, "stale": False,
                                "built_at": time.time() if result["rebuilt"] else state.get("built_at")})
        _checked[key] = (*stamp, config)
        result["seconds"] = round(time.perf_counter() - started, 4)
        if result["rebuilt"]:
            log.info("playbook rebuilt in %.2f s: %s", result["seconds"], result)
        return result


def playbook_refresh_hook(settings: Settings, session: Session, document: Any) -> None:
    """A document hook (run it after `playbook_hook`, before `extract_hook` opens its write): a talk
    track or a note of a won or lost deal rebuilds the playbook now; any other document changes
    nothing mined. A failure leaves the playbook marked stale for the next refresh, never fails the job."""
    if not affects_playbook(getattr(document, "kind", None), getattr(document, "meta", None)):
        return
    try:
        mark_stale(settings)
        refresh_if_stale(settings)
    except Exception:  # the document is ingested either way; the next refresh_if_stale builds
        log.exception("playbook refresh after document %s failed; left stale", getattr(document, "id", "?"))
