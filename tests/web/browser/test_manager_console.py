"""A manager's morning in a real browser: the 看板, the review queue, a correction that changes the 看板,
and another team's account refused."""
from __future__ import annotations


def quality_of(page, rep: str) -> dict:
    data = page.evaluate("async () => (await fetch('/dashboard/data')).json()")
    return next(row for row in data["quality"] if row["rep"] == rep)


def test_the_dashboard_draws_its_charts_from_our_own_echarts(visit):
    manager = visit().sign_in("demo-manager")
    assert manager.page.url.endswith("/dashboard")
    manager.page.wait_for_selector("[data-testid=chart-nodes] svg")
    manager.page.wait_for_selector("[data-testid=chart-quality] svg")
    assert manager.page.locator("[data-testid=overdue-top5] tbody tr").count() == 5
    assert manager.page.locator("[data-testid=phi]").inner_text().strip()
    manager.screenshot("dashboard-1280")


def test_review_in_confidence_order_then_a_correction_shows_on_the_dashboard(visit):
    manager = visit().sign_in("demo-manager")
    before = quality_of(manager.page, "rep-08")
    manager.open("/review")
    confidences = manager.page.locator("[data-testid=review-item]").evaluate_all(
        "items => items.map(i => parseFloat(i.dataset.confidence))")
    assert len(confidences) > 10 and confidences == sorted(confidences)
    manager.screenshot("review-queue")

    manager.open("/review?rep=rep-08")
    record_id = manager.page.locator("[data-testid=review-item]").first.get_attribute("data-record-id")
    manager.open(f"/review/{record_id}")
    assert manager.page.locator("[data-testid=note-text] mark").count() > 0  # evidence highlighted in the note
    visit_field = manager.page.locator(".review-field[data-field=visit]")
    visit_field.locator("button[data-action=edit]").first.click()
    form = visit_field.locator("form.edit").first
    form.locator("input[name=sample_brought]").check()
    form.locator("input[name=questions_resolved]").fill("3")
    with manager.page.expect_navigation():  # the page saves, then reloads to show the stored record
        form.locator("button[type=submit]").click()
    manager.page.wait_for_selector(".review-field[data-field=visit] [data-testid=review-field-item]"
                                   "[data-status=corrected], .review-field[data-field=visit] "
                                   "[data-testid=review-field-item][data-status=added]")
    manager.screenshot("review-record-corrected")

    after = quality_of(manager.page, "rep-08")
    assert after["high"] == before["high"] + 1  # the corrected visit now counts as a high-quality one
    manager.open("/dashboard")
    manager.page.wait_for_selector("[data-testid=chart-quality] svg")
    manager.screenshot("dashboard-after-correction")


def test_an_account_page_shows_its_journey_and_another_team_is_refused(visit):
    manager = visit().sign_in("demo-manager")
    manager.open("/accounts/acc-demo-01")
    for marker in ("account-node", "account-missing", "account-committee", "account-objections", "account-actions"):
        assert manager.page.locator(f"[data-testid={marker}]").count() == 1, marker
    manager.screenshot("account-page")
    refused = manager.open("/accounts/acc-west-01")
    assert refused.status == 403
    assert manager.page.locator("[data-testid=error-page]").count() == 1
    other = visit().sign_in("west-manager", "other-team-pass")
    assert other.open("/accounts/acc-demo-01").status == 403
    assert other.open("/review").status == 200
    assert "金华" not in other.page.content()  # the demo team's records are not in another team's queue
