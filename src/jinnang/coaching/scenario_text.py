"""How a playbook scenario reads in Chinese, its URL-safe id, and the company's built-in talk tracks.

Labels come from the rule files sales operations already edit: journey node labels from the journey,
objection category labels and the built-in talk tracks (the advice next actions fall back on) from
`rules/config/next_actions.yaml`. The built-in talk tracks are indexed as company knowledge, so
「竞品已经进院了怎么应对」 finds the competitor advice even before any deal was won.
"""
from __future__ import annotations

import logging
from typing import Any

from jinnang.coaching.text import pinyin_slug

log = logging.getLogger(__name__)
GENERAL_LABEL = "综合情况"
ANY_NODE_LABEL = "任一阶段"
BUILT_IN_PREFIX = "builtin-"
KIND_LABELS = {"answer": "赢单做法", "lesson": "输单教训", "talk_track": "话术"}


def _objection_params() -> dict[str, Any]:
    from jinnang.rules.config import default_ruleset

    try:
        rule = next(r for r in default_ruleset().next_actions.suggestions if r.action == "handle_objection")
        return dict(rule.params)
    except Exception:  # a rule file being edited: the ids and English names still read
        log.exception("cannot read objection labels from the next-action rules")
        return {}


def category_label(category: str) -> str:
    if category == "general":
        return GENERAL_LABEL
    return str(_objection_params().get("category_labels", {}).get(category, category))


def node_label(node: str) -> str:
    if node == "any":
        return ANY_NODE_LABEL
    from jinnang.rules.config import default_ruleset

    try:
        found = default_ruleset().node_by_id.get(node)
    except Exception:
        log.exception("cannot read journey node labels")
        found = None
    return found.label if found is not None else node


def scenario_slug(department: str, node: str, category: str) -> str:
    """An id fit for a URL as it is: `price-any-zonghe` for 综合|any|price."""
    return f"{category}-{node}-{pinyin_slug(department)}".replace("_", "-").lower()


def title(s: dict[str, Any]) -> str:
    return f"锦囊 · {s['department']} · {node_label(s['journey_node'])} · {category_label(s['category'])}"


def situation(s: dict[str, Any]) -> str:
    """The situation in a sentence: 「骨科 在「多科室评审」阶段，客户提出价格方面的顾虑。」"""
    where = "任何阶段" if s["journey_node"] == "any" else f"「{node_label(s['journey_node'])}」阶段"
    if s["category"] == "general":
        return f"{s['department']}，{where}：没有明确异议时推动成交的做法。"
    return f"{s['department']}，{where}：客户提出{category_label(s['category'])}方面的顾虑。"


def evidence_summary(s: dict[str, Any]) -> str:
    """Where the tips come from, said plainly; no statistics of zero."""
    won, lost = s["won_deals"], s["lost_deals"]
    if won == 0 and lost == 0:
        return "这个场景还没有成交或丢单记录支撑，下面是公司整理的话术，尚未经过成单验证。"
    if won == 0:
        return f"这个场景还没有赢单记录，只有 {lost} 个丢单：下面是丢单的教训和公司话术，尚未经过成单验证。"
    lost_part = f"、{lost} 个丢单" if lost else ""
    return f"从 {won} 个赢单{lost_part}中提炼。"


def tip_frequency(tip: dict[str, Any]) -> str:
    """How often a tip's key terms appear in won (and lost) deals, or why there is no figure."""
    won, lost = tip["won"], tip["lost"]
    if won["deals"] == 0:
        return "尚无赢单数据"
    text = f"同类异议的 {won['deals']} 个赢单中有 {won['hits']} 个用到"
    if lost["deals"]:
        text += f"，{lost['deals']} 个丢单中有 {lost['hits']} 个"
    return text


def tip_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


def built_in_talk_tracks() -> list[dict[str, Any]]:
    """The rule file's default talk tracks as searchable company knowledge (kind talk_track)."""
    params = _objection_params()
    labels = params.get("category_labels", {})
    docs = []
    for category, tracks in (params.get("default_talk_tracks") or {}).items():
        label = labels.get(category, category)
        for track in tracks:
            track = dict(track)
            docs.append({"id": BUILT_IN_PREFIX + str(track["id"]), "kind": "talk_track",
                         "text": f"话术（公司内置）：客户提出{label}方面的顾虑怎么应对\n{track['snippet']}",
                         "meta": {"objection_category": category, "situation": f"客户提出{label}方面的顾虑",
                                  "origin": "built_in"}})
    return docs
