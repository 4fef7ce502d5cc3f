"""No route answers bad input with a 500: every malformed request gets a 4xx that says what is wrong."""
import re

import pytest
from fastapi.testclient import TestClient

from jinnang.api.app import create_app
from tests_support_routes import v1_routes

BAD_BODIES = [None, {}, [], "x", {"account": "not an object"}, {"items": "nope"}, {"items": [{"id": 1}]},
              {"account_id": 5, "journey_node": "moon", "visits": [{"date": "2026-13-40"}]},
              {"action": "correct", "value": {"deep": [1, 2, {"x": None}]}}, {"to_node": "", "by": None},
              {"date": "不是日期", "q": "\x00"}]
BAD_QUERY = "?q=&month=2026-99&low_confidence=7&limit=-1&date_from=yesterday&product_line=%00"


@pytest.mark.parametrize("route", v1_routes(), ids=lambda r: f"{'/'.join(sorted(r.methods))} {r.path}")
def test_malformed_requests_never_get_a_500(route, settings):
    client = TestClient(create_app(settings), raise_server_exceptions=False)
    path = re.sub(r"\{[^}]+\}", "acc-1", route.path)
    for method in route.methods:
        for body in BAD_BODIES:
            response = client.request(method, path + BAD_QUERY, headers={"X-API-Key": "adm"}, json=body)
            assert response.status_code < 500, (method, path, body, response.text[:300])
        response = client.request(method, path, headers={"X-API-Key": "adm", "Content-Type": "application/json"},
                                  content=b"{not json")
        assert response.status_code < 500, (method, path, response.text[:300])
