"""Accounts jinnang keeps itself (SQLite): state, transition history, work orders, stall episodes.

tables (the rows) → store (load, save, moves, uploads) → extraction (notes update accounts)
and reports (stall scan, process health index, forecast accuracy from the stored history).
"""
from jinnang.rules.accounts.extraction import ExtractionApplied, apply_extraction
from jinnang.rules.accounts.forget import forget_document
from jinnang.rules.accounts.reports import process_health_index, scan_stalls, signing_forecasts, team_month
from jinnang.rules.accounts.store import (
    add_document,
    load_account,
    move_account,
    set_signing_date,
    transitions,
    upsert_account,
    work_orders,
)
from jinnang.rules.accounts.tables import TABLES

__all__ = [
    "TABLES", "ExtractionApplied", "add_document", "apply_extraction", "forget_document", "load_account", "move_account",
    "process_health_index", "scan_stalls", "set_signing_date", "signing_forecasts", "team_month",
    "transitions", "upsert_account", "work_orders",
]
