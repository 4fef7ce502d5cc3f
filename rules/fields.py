"""Registered field checks referenced from `field_rules` in a journey file."""
from __future__ import annotations

import re
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, field_validator

from rules.context import Missing
from rules.registry import field_checks


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


@field_checks.register("jinnang.field.province_pattern.v1")
def province_pattern(account, rule) -> list[Missing]:
    """Required (public hospitals) and matched against the province's pattern where one is configured."""
    p = rule.params
    if p["public_only"] and not account.is_public:
        return []
    value = account.fields.get(rule.field)
    if value is None:
        return [Missing("field", rule.field, rule.label)] if p["required"] else []
    pattern = p["province_patterns"].get(account.province or "")
    if pattern and not _compiled(pattern).fullmatch(str(value)):
        return [Missing("invalid_field", rule.field, rule.label, f"“{value}”不符合{account.province}格式 {pattern}")]
    return []


province_pattern.Params = ProvincePatternParams
