"""The demo's people: two reps, their manager and an admin, as `../shared/spec/web-contract.md` fixes them."""
from __future__ import annotations

import os

from jinnang.core.db import open_engine
from jinnang.core.settings import Settings
from jinnang.core.users import User, add_user, get_user, update_user

DEMO_TEAM = "demo-east"
DEMO_USERS = (  # user name, role, rep id, display name
    ("demo-rep", "rep", "rep-07", "张伟 (rep-07)"),
    ("demo-rep2", "rep", "rep-08", "李娜 (rep-08)"),
    ("demo-manager", "manager", "mgr-02", "王经理 (mgr-02)"),
    ("demo-admin", "admin", None, "管理员"),
)


def demo_password() -> str:
    return os.environ.get("JINNANG_DEMO_PASSWORD") or "jinnang-demo"


def ensure_demo_users(settings: Settings) -> list[User]:
    """Create the demo users, or reset their password to the demo's if they exist (a second demo run)."""
    engine = open_engine(settings.db_url)
    password = demo_password()
    users = []
    for name, role, rep_id, display in DEMO_USERS:
        teams = [DEMO_TEAM] if role != "admin" else []
        if get_user(engine, name) is None:
            users.append(add_user(engine, name, role=role, password=password, rep_id=rep_id, teams=teams,
                                  display_name=display))
        else:
            users.append(update_user(engine, name, password=password, active=True, teams=teams))
    return users
