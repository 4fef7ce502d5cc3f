"""`/accounts/{id}` over the ingested demo: journey and missing evidence, the buying committee as
roles covered and missing, objections, next actions with reasons, documents linked to their
extraction records (for managers), and who may open the page at all."""
from __future__ import annotations

import lxml.html
from sqlalchemy import select
from sqlalchemy.orm import Session

from jinnang.core.db import open_engine
from jinnang.nlp.store import ExtractionRow
from jinnang.rules.accounts.tables import AccountRow
from jinnang.rules.config import default_ruleset

SECTIONS = ("account-journey", "account-node", "account-missing", "account-committee", "account-objections",
            "account-dates", "account-actions", "account-timeline", "account-documents")


def by_testid(node, name: str, below: str = "") -> list:
    return node.xpath(f'.//*[@data-testid="{name}"]{below}')


def accounts_of(web, rep_id: str) -> list[AccountRow]:
    with Session(open_engine(web.settings.db_url)) as session:
        return list(session.scalars(select(AccountRow).where(AccountRow.rep_id == rep_id).order_by(AccountRow.account_id)))


def test_the_rep_sees_journey_committee_objections_and_next_actions(demo_web):
    row = accounts_of(demo_web, "rep-07")[0]
    answer = demo_web.client("demo-rep").get(f"/accounts/{row.account_id}")
    assert answer.status_code == 200
    doc = lxml.html.fromstring(answer.text)
    for section in SECTIONS:
        assert by_testid(doc, section), section
    rules = default_ruleset()
    assert by_testid(doc, "account-node")[0].get("data-node") == row.journey_node
    assert rules.node_by_id[row.journey_node].label in by_testid(doc, "account-node")[0].text_content()
    slots = rules.scores.customer_health.params["buying_roles"]
    roles = by_testid(doc, "committee-role")
    assert [r.get("data-slot") for r in roles] == [s["slot"] for s in slots]
    covered = sum(r.get("data-covered") == "yes" for r in roles)
    assert by_testid(doc, "committee-completeness")[0].get("data-value") == str(round(covered / len(slots) * 100))
    for role in roles:   # a missing role says so in words, a covered one names its people
        assert ("未覆盖" in role.text_content()) == (role.get("data-covered") == "no")
    for action in by_testid(doc, "next-action"):
        assert "原因" in action.text_content() and action.get("data-action")
    # a rep may not open the review queue: no links to records
    assert by_testid(doc, "record-link") == []


def test_documents_link_to_their_extraction_records_for_the_manager(demo_web):
    row = accounts_of(demo_web, "rep-07")[0]
    doc = lxml.html.fromstring(demo_web.client("demo-manager").get(f"/accounts/{row.account_id}").text)
    links = by_testid(doc, "record-link")
    assert links
    with Session(open_engine(demo_web.settings.db_url)) as session:
        records = {r.id: r for r in session.scalars(select(ExtractionRow).where(ExtractionRow.account_id == row.account_id))}
    for link in links:
        record_id = int(link.get("href").rsplit("/", 1)[1])
        assert link.get("href") == f"/review/{record_id}"
        item = link.xpath("./ancestor::li[1]")[0]
        assert records[record_id].document_id == item.get("data-document")


def test_other_reps_and_other_teams_get_403_admin_404_for_unknown(demo_web):
    row = accounts_of(demo_web, "rep-07")[0]
    account_id = row.account_id
    for who in ("demo-rep2", "west-rep", "west-manager"):
        answer = demo_web.client(who).get(f"/accounts/{account_id}")
        assert answer.status_code == 403, who
        doc = lxml.html.fromstring(answer.text)
        assert by_testid(doc, "error-page") and by_testid(doc, "account-journey") == []
        hospital = row.snapshot.get("hospital")
        assert hospital is None or hospital not in doc.text_content()
    assert demo_web.client("demo-admin").get(f"/accounts/{account_id}").status_code == 200
    assert demo_web.client("demo-admin").get("/accounts/acc-none").status_code == 404
    assert demo_web.client("demo-manager").get("/accounts/acc-none").status_code == 403   # no probing ids
    signed_out = demo_web.anonymous().get(f"/accounts/{account_id}", follow_redirects=False)
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/login")
