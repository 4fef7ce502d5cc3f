"""Every /v1 route checks its caller's role: a key of a role it does not admit gets 403, and a missing or
unknown key 401, both in the documented error shape {status, field, path, message}."""
import re

import pytest
from fastapi.testclient import TestClient

from jinnang.api.app import create_app
from tests_support_routes import roles_of as _roles
from tests_support_routes import v1_routes

ROLE_KEYS = {"rep": "rep7", "manager": "mgr2", "crm": "crm1"}


def test_every_v1_route_declares_its_roles():
    undeclared = [f"{sorted(r.methods)} {r.path}" for r in v1_routes() if _roles(r.dependant) is None]
    assert undeclared == []


@pytest.mark.parametrize("route", v1_routes(), ids=lambda r: f"{'/'.join(sorted(r.methods))} {r.path}")
def test_route_refuses_roles_it_does_not_admit(route, settings):
    client = TestClient(create_app(settings))
    path = re.sub(r"\{[^}]+\}", "x-1", route.path)
    refused = [role for role in ROLE_KEYS if role not in _roles(route.dependant)]
    if not refused:
        pytest.skip("open to every role")
    for role in refused:
        for method in route.methods:
            response = client.request(method, path, headers={"X-API-Key": ROLE_KEYS[role]}, json={})
            assert response.status_code == 403, (role, method, path, response.text)
            assert response.json()["status"] == 403 and response.json()["field"] == "caller"  # the error shape


@pytest.mark.parametrize("route", v1_routes(), ids=lambda r: f"{'/'.join(sorted(r.methods))} {r.path}")
def test_route_refuses_missing_and_unknown_keys(route, settings):
    client = TestClient(create_app(settings))
    path = re.sub(r"\{[^}]+\}", "x-1", route.path)
    method = sorted(route.methods)[0]
    missing = client.request(method, path, json={})
    assert missing.status_code == 401
    assert missing.json() == {"status": 401, "field": "X-API-Key", "path": "X-API-Key",
                              "message": "missing X-API-Key header (or sign in at /login)"}
    assert client.request(method, path, headers={"X-API-Key": "nope"}, json={}).status_code == 401
