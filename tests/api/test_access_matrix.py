"""Every /v1 route × role (rep, manager, crm, admin) × own/other team, reads and writes, against real stored
accounts, uploaded notes and their extraction records of two teams: another team's data never gets a 2xx,
a refused write changes nothing, and no 2xx body carries another team's raw text, hospital, account id or rep."""
from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from jinnang.api.app import create_app
from jinnang.core.settings import Settings
from tests_support_routes import roles_of, v1_routes

BASE = json.loads((Path(__file__).parents[1] / "rules" / "data" / "healthy_account.json").read_text(encoding="utf-8"))
KEYS = "rep7:rep:rep-07,rep8:rep:rep-08,mgr2:manager:mgr-02:rep-07,crm1:crm:crm,adm:admin:root"  # as tests/conftest.py
ROLE = {"rep7": "rep", "rep8": "rep", "mgr2": "manager", "crm1": "crm", "adm": "admin"}
SEES = {"rep7": {"A"}, "rep8": {"B"}, "mgr2": {"A"}, "crm1": {"A", "B"}, "adm": {"A", "B"}}
NOW = "2026-06-01T09:00:00"


@dataclass
class Team:
    rep: str
    account_id: str
    hospital: str
    note: str
    private_sentence: str  # a sentence of the note no search query here matches: only its readers may see it
    document_id: str = ""
    job_id: str = ""
    record_id: int = 0
    snapshot: dict = field(default_factory=dict)

    @property
    def markers(self) -> tuple[str, ...]:
        return (self.account_id, self.hospital, self.private_sentence, self.rep)


def _team(rep: str, account_id: str, hospital: str, manager: str, first: str, private: str) -> Team:
    snapshot = copy.deepcopy(BASE["account"])
    snapshot.update(account_id=account_id, hospital=hospital, rep_id=rep, manager_id=manager,
                    journey_node="trial_confirmation_signed", node_entered_at="2026-03-10T10:00:00", service_tickets=[])
    return Team(rep, account_id, hospital, f"{hospital}{first}{private}", private, snapshot=snapshot)


TEAMS = {"A": _team("rep-07", "acc-a-0042", "南京鼓楼医院", "mgr-02", "骨科王主任说价格偏高，比进口的还贵。",
                    "下周三带整台手术的费用清单再去找他。"),
         "B": _team("rep-08", "acc-b-0077", "苏州市立医院", "mgr-03", "检验科李科长说试剂价格偏高，要看同级医院的中标价。",
                    "月底前把三家医院的对比表发给他。")}
OWNER_KEY = {"A": "rep7", "B": "rep8"}


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> tuple[TestClient, dict[str, str]]:
    client = TestClient(create_app(Settings(data_dir=tmp_path_factory.mktemp("matrix") / "data", api_keys=KEYS)))
    for name, team in TEAMS.items():
        key = {"X-API-Key": OWNER_KEY[name]}
        assert client.put(f"/v1/accounts/{team.account_id}", json=team.snapshot,
                          headers={"X-API-Key": "crm1"}).status_code == 200
        uploaded = client.post("/v1/documents", headers=key, files={"file": ("visit.txt", team.note.encode())},
                               data={"kind": "visit_note", "account_id": team.account_id, "hospital": team.hospital,
                                     "reference_date": "2026-03-12"}).json()
        team.document_id, team.job_id = uploaded["document_id"], uploaded["job_id"]
        assert client.get(f"/v1/jobs/{team.job_id}", headers=key).json()["status"] == "done"
        records = client.get("/v1/review/records", headers=key).json()
        team.record_id = next(r["id"] for r in records if r["document_id"] == team.document_id)
    track = "话术：客户嫌试剂价格偏高\n先算每个检测的总成本，再给有交换条件的让价。".encode()
    assert client.post("/v1/documents", headers={"X-API-Key": "rep8"}, files={"file": ("track.txt", track)},
                       data={"kind": "talk_track", "account_id": TEAMS["B"].account_id, "hospital": TEAMS["B"].hospital,
                             "meta": '{"objection_category": "price"}'}).status_code == 202
    assert client.post("/v1/playbook/build", headers={"X-API-Key": "mgr2"}).status_code == 200
    scenarios = client.get("/v1/playbook/scenarios", headers={"X-API-Key": "adm"}).json()["scenarios"]
    WORLD["client"] = client
    return client, {"scenario": quote(scenarios[0]["id"], safe="") if scenarios else "none"}


WORLD: dict[str, TestClient] = {}
_throwaways = iter(range(1000))


def _delete(team: Team, caller: str) -> tuple:
    """Deleting erases for good: each caller deletes a fresh note of the team, filed by its rep without account."""
    note = f"临时记录{next(_throwaways)}：客户约了下周再谈。".encode()
    uploaded = WORLD["client"].post("/v1/documents", headers={"X-API-Key": OWNER_KEY[team_name(team)]},
                                    files={"file": ("tmp.txt", note)}, data={"kind": "visit_note"}).json()
    return "DELETE", f"/v1/documents/{uploaded['document_id']}", {}


def team_name(team: Team) -> str:
    return next(name for name, t in TEAMS.items() if t is team)


def _upload(team: Team, caller: str) -> tuple:
    form = {"kind": "visit_note", "account_id": team.account_id} | ({} if ROLE[caller] == "rep" else {"rep_id": team.rep})
    note = f"{caller}跟进{team.hospital[:2]}的客户，约了下周再谈。".encode()
    return "POST", "/v1/documents", {"files": {"file": ("more.txt", note)}, "data": form}


# (method, path) → the request against one team's data; None for routes that are not about one team
PER_TEAM = {
    ("POST", "/v1/documents"): _upload,
    ("GET", "/v1/documents/{document_id}"): lambda t, c: ("GET", f"/v1/documents/{t.document_id}", {}),
    ("GET", "/v1/jobs/{job_id}"): lambda t, c: ("GET", f"/v1/jobs/{t.job_id}", {}),
    ("GET", "/v1/documents/{document_id}/original"): lambda t, c: ("GET", f"/v1/documents/{t.document_id}/original", {}),
    ("DELETE", "/v1/documents/{document_id}"): _delete,
    ("GET", "/v1/review/records"): lambda t, c: ("GET", "/v1/review/records", {"params": {"rep_id": t.rep}}),
    ("GET", "/v1/review/records/{record_id}"): lambda t, c: ("GET", f"/v1/review/records/{t.record_id}", {}),
    ("POST", "/v1/review/records/{record_id}/fields/{field}"):
        lambda t, c: ("POST", f"/v1/review/records/{t.record_id}/fields/objections", {"json": {"action": "accept"}}),
    ("POST", "/v1/review/records/{record_id}/items"):
        lambda t, c: ("POST", f"/v1/review/records/{t.record_id}/items",
                      {"json": {"field": "objections", "index": 0, "action": "accept"}}),
    ("PUT", "/v1/accounts/{account_id}"): lambda t, c: ("PUT", f"/v1/accounts/{t.account_id}", {"json": t.snapshot}),
    ("GET", "/v1/accounts/{account_id}"): lambda t, c: ("GET", f"/v1/accounts/{t.account_id}", {"params": {"now": NOW}}),
    ("GET", "/v1/accounts/{account_id}/transitions"): lambda t, c: ("GET", f"/v1/accounts/{t.account_id}/transitions", {}),
    ("POST", "/v1/accounts/{account_id}/transitions"):
        lambda t, c: ("POST", f"/v1/accounts/{t.account_id}/transitions",
                      {"json": {"to_node": "trial_in_progress", "at": "2026-03-17T09:00:00"}}),
    ("POST", "/v1/accounts/{account_id}/documents"):
        lambda t, c: ("POST", f"/v1/accounts/{t.account_id}/documents",
                      {"json": {"type": "trial_feedback", "uploaded_at": "2026-03-12T09:00:00"}}),
    ("POST", "/v1/accounts/{account_id}/signing-date"):
        lambda t, c: ("POST", f"/v1/accounts/{t.account_id}/signing-date", {"json": {"date": "2026-05-14"}}),
    ("GET", "/v1/accounts/{account_id}/next-actions"):
        lambda t, c: ("GET", f"/v1/accounts/{t.account_id}/next-actions", {"params": {"now": NOW}}),
    ("POST", "/v1/next-actions"): lambda t, c: ("POST", "/v1/next-actions", {"json": t.snapshot, "params": {"now": NOW}}),
}
SHARED = {
    ("GET", "/v1/accounts:stalls"): ("GET", "/v1/accounts:stalls", {"params": {"now": NOW}}),
    ("POST", "/v1/accounts:stalls"): ("POST", "/v1/accounts:stalls", {"params": {"now": NOW}}),
    ("GET", "/v1/accounts:process-health"): ("GET", "/v1/accounts:process-health", {"params": {"month": "2026-06"}}),
    ("POST", "/v1/next-actions:batch"): ("POST", "/v1/next-actions:batch",
                                         {"json": {"items": [{"id": "1", "now": NOW, "account": TEAMS["A"].snapshot}]}}),
    ("GET", "/v1/playbook/search"): ("GET", "/v1/playbook/search", {"params": {"q": "价格偏高怎么办", "k": 10}}),
    ("POST", "/v1/playbook/build"): ("POST", "/v1/playbook/build", {}),
    ("GET", "/v1/audit"): ("GET", "/v1/audit", {}),
    ("GET", "/v1/playbook/scenarios"): ("GET", "/v1/playbook/scenarios", {}),
    ("GET", "/v1/playbook/scenarios/{scenario_id}"): ("GET", "/v1/playbook/scenarios/{scenario}", {}),
    ("GET", "/v1/playbook/talk-tracks/{category}"): ("GET", "/v1/playbook/talk-tracks/price", {}),
}
ROUTES = {(m, r.path): r for r in v1_routes() for m in r.methods}


def test_the_matrix_covers_every_v1_route():
    assert set(ROUTES) == set(PER_TEAM) | set(SHARED)


def _state(client: TestClient, team: Team) -> tuple:
    """What a write could change about a team's data, as admin reads it."""
    admin = {"X-API-Key": "adm"}
    return tuple(client.get(url, headers=admin, params=params).json() for url, params in (
        (f"/v1/accounts/{team.account_id}", {"now": NOW}), (f"/v1/accounts/{team.account_id}/transitions", {}),
        (f"/v1/review/records/{team.record_id}", {}), ("/v1/review/records", {"rep_id": team.rep, "limit": 500})))


def _leaks(caller: str, body: str) -> list[str]:
    return [m for name, team in TEAMS.items() if name not in SEES[caller] for m in team.markers if m in body]


@pytest.mark.parametrize("route", sorted(PER_TEAM), ids=" ".join)
def test_another_teams_data_is_refused_and_own_is_served_without_leaks(world, route):
    client, _ = world
    admitted = roles_of(ROUTES[route].dependant) or set()
    for caller in ROLE:
        for name, team in TEAMS.items():
            method, url, kwargs = PER_TEAM[route](team, caller)
            before = _state(client, team) if method != "GET" else None
            response = client.request(method, url, headers={"X-API-Key": caller}, **kwargs)
            allowed = ROLE[caller] in admitted | {"admin"} and name in SEES[caller]
            if not allowed:
                assert response.status_code == 403, (caller, name, response.text)
                assert response.json()["field"] == "caller"
                if before is not None:
                    assert _state(client, team) == before, (caller, name, "a refused write changed the data")
                continue
            assert response.status_code < 500 and response.status_code not in (401, 403), (caller, name, response.text)
            if method == "GET":
                assert response.status_code == 200, (caller, name, response.text)
            if response.is_success:
                assert _leaks(caller, response.text) == [], (caller, name)


@pytest.mark.parametrize("route", sorted(SHARED), ids=" ".join)
def test_routes_over_everyone_show_each_caller_only_their_teams_data(world, route):
    client, ids = world
    admitted = roles_of(ROUTES[route].dependant) or set()
    method, url, kwargs = SHARED[route]
    for caller in ROLE:
        response = client.request(method, url.format(**ids), headers={"X-API-Key": caller}, **kwargs)
        if ROLE[caller] not in admitted | {"admin"}:
            assert response.status_code == 403, (caller, response.text)
            continue
        assert response.status_code == 200, (caller, response.text)
        assert _leaks(caller, response.text) == [], caller


def test_stalls_and_search_still_show_each_team_its_own(world):
    client, _ = world
    for caller, team in (("rep8", TEAMS["B"]), ("rep7", TEAMS["A"])):
        hits = client.get("/v1/playbook/search", params={"q": "价格偏高怎么办"}, headers={"X-API-Key": caller}).json()
        own = next(h for h in hits["results"] if h["doc_id"] == team.document_id)
        assert own["meta"]["hospital"] == team.hospital and own["meta"]["account_id"] == team.account_id
    alerts = client.get("/v1/accounts:stalls", params={"now": NOW}, headers={"X-API-Key": "mgr2"}).json()["alerts"]
    assert {a["account_id"] for a in alerts} <= {TEAMS["A"].account_id} and alerts


def test_another_teams_note_is_a_search_hit_without_who_or_where(world):
    client, _ = world
    hits = client.get("/v1/playbook/search", params={"q": "价格偏高怎么办"}, headers={"X-API-Key": "rep7"}).json()
    theirs = next(h for h in hits["results"] if h["doc_id"] == TEAMS["B"].document_id)
    assert set(theirs["meta"]) <= {"product_line", "department", "journey_node", "outcome", "objection_category"}
    assert "价格偏高" in theirs["snippet"] and "李科长" not in theirs["snippet"]


def test_a_rep_cannot_file_a_note_into_another_reps_account(world):
    client, _ = world
    a, before = TEAMS["A"], _state(world[0], TEAMS["A"])
    note = "李科长说可以先试用，联系人换成李科长。".encode()
    for key, form in (("rep8", {}), ("mgr2", {"rep_id": "rep-08"}), ("mgr2", {"rep_id": "rep-07", "account_id": "acc-b-0077"})):
        form = {"kind": "visit_note", "account_id": a.account_id, **form}
        response = client.post("/v1/documents", headers={"X-API-Key": key}, files={"file": ("x.txt", note)}, data=form)
        assert response.status_code == 403 and response.json()["field"] == "caller", (key, form, response.text)
    assert _state(client, a) == before


def test_an_account_not_stored_yet_is_created_by_its_own_rep(world):
    client, _ = world
    response = client.post("/v1/documents", headers={"X-API-Key": "rep8"},
                           files={"file": ("new.txt", "无锡人民医院设备科周科长说可以安排演示。".encode())},
                           data={"kind": "visit_note", "account_id": "acc-b-new", "reference_date": "2026-03-20"})
    assert response.status_code == 202, response.text
    created = client.get("/v1/accounts/acc-b-new", headers={"X-API-Key": "adm"}).json()["account"]
    assert created["rep_id"] == "rep-08"
    assert client.get("/v1/accounts/acc-b-new", headers={"X-API-Key": "rep8"}).status_code == 200
    assert client.get("/v1/accounts/acc-b-new", headers={"X-API-Key": "rep7"}).status_code == 403
    assert re.fullmatch(r"doc-[0-9a-f]{16}", response.json()["document_id"])
