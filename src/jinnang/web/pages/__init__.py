"""Every page area's router, in the order they are matched."""
from __future__ import annotations

from fastapi import APIRouter

from jinnang.web.pages import (
    accounts,
    admin,
    auth,
    dashboard,
    docs,
    health,
    home,
    notifications,
    playbook,
    reports,
    review,
    visits,
)

PAGE_ROUTERS: list[APIRouter] = [m.router for m in (auth, docs, home, review, dashboard, accounts, playbook, visits,
                                                   reports, health, notifications, admin)]
