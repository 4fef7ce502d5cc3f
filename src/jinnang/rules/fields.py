"""Registered field checks referenced from `field_rules` in a journey file."""
from __future__ import annotations

import re
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, field_validator

from jinnang.rules.evidence import Missing
from jinnang.rules.registry import field_checks


@lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


class ProvincePatternParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    public_only: bool = True
    required: bool = True
    province_patterns: dict[str, str] = {}

    @field_validator("province_patterns")
    @classmethod
    def _valid_regex(cls, patterns: dict[str, str]) -> dict[str, str]:
        for province, pattern in patterns.items():
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern for {province} is not a valid regular expression: {exc}") from None
        return patterns


_PROVINCE_SUFFIXES = ("壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "特别行政区", "省", "市")


def _short(province: str) -> str:
    return next((province.removesuffix(s) for s in _PROVINCE_SUFFIXES if province.endswith(s)), province)


def _pattern_for(patterns: dict[str, str], province: str | None) -> str | None:
    """The pattern keyed by the province, written either way (浙江 / 浙江省)."""
    if not province:
        return None
    return patterns.get(province) or next((pat for key, pat in patterns.items() if _short(key) == _short(province)), None)


@field_checks.register("jinnang.field.province_pattern.v1")
def province_pattern(account, rule) -> list[Missing]:
    """Checked only where the province has a pattern (journey.md: a province without one is not
    checked); there it is required (public hospitals) and must match."""
    p = rule.params
    if p["public_only"] and not account.is_public:
        return []
    pattern = _pattern_for(p["province_patterns"], account.province)
    if pattern is None:
        return []
    value = account.fields.get(rule.field)
    if value is None:
        return [Missing("field", rule.field, rule.label)] if p["required"] else []
    if not _compiled(pattern).fullmatch(str(value)):
        return [Missing("invalid_field", rule.field, rule.label, f"“{value}”不符合{account.province}格式 {pattern}")]
    return []


province_pattern.Params = ProvincePatternParams
