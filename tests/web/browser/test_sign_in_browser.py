"""Signing in with a real browser, and the API's reference pages working offline."""
from __future__ import annotations


def test_a_rep_signs_in_on_a_phone_and_lands_on_their_home(visit):
    rep = visit({"width": 390, "height": 844})
    rep.open("/")
    assert "/login" in rep.page.url
    rep.screenshot("login-390")
    rep.sign_in("demo-rep")
    assert rep.page.url.endswith("/")
    assert rep.page.locator("header .who").inner_text().startswith("张伟")
    # nothing wider than the phone: no horizontal scrolling
    assert rep.page.evaluate("document.documentElement.scrollWidth") <= 390
    rep.screenshot("rep-home-390")


def test_a_wrong_password_shows_the_error_on_the_form(visit):
    someone = visit()
    someone.open("/login")
    someone.page.fill("input[name=username]", "demo-rep2")
    someone.page.fill("input[name=password]", "wrong-password")
    someone.page.click("button[type=submit]")
    assert someone.page.locator("[data-testid=login-error]").inner_text() == "用户名或密码不对"


def test_swagger_and_redoc_render_from_our_own_origin(visit):
    reader = visit()
    reader.open("/docs")
    reader.page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)
    assert reader.page.locator(".opblock").count() > 10
    reader.screenshot("api-docs-swagger")
    reader.open("/redoc")
    reader.page.wait_for_selector("[data-section-id]", timeout=30_000)
    reader.screenshot("api-docs-redoc")
    # the fixture then checks that neither page asked anything of another origin


def test_what_a_library_tries_to_fetch_from_elsewhere_is_stopped_in_the_browser(visit):
    reader = visit()
    reader.open("/redoc")
    reader.page.wait_for_selector("[data-section-id]", timeout=30_000)
    reader.page.wait_for_timeout(500)
    # ReDoc's footer asks its CDN for a logo; the page's Content-Security-Policy stops it
    assert [u for u in reader.blocked if "cdn.redoc.ly" in u]
