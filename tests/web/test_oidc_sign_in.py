"""Signing in through an OpenID Connect provider (企业微信/钉钉/飞书 speak it), against a real provider on loopback."""
from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from jinnang.core.settings import Settings
from jinnang.service.demo import ensure_demo_users
from jinnang.web.app import create_app
from tests_support_oidc import Provider


@pytest.fixture
def provider():
    running = Provider()
    yield running
    running.close()


@pytest.fixture
def browser(tmp_path, provider) -> TestClient:
    settings = Settings(data_dir=tmp_path / "data", oidc_issuer=provider.url, oidc_client_id=provider.client_id,
                        oidc_client_secret=provider.client_secret)
    ensure_demo_users(settings)
    return TestClient(create_app(settings), headers={"accept": "text/html"})


def through_provider(browser: TestClient, next_path: str = "/") -> httpx.Response:
    """Start at our sign-in link, let the provider answer, come back to our callback."""
    start = browser.get(f"/login/oidc?next={next_path}", follow_redirects=False)
    assert start.status_code == 303
    at_provider = httpx.get(start.headers["location"], follow_redirects=False)
    assert at_provider.status_code == 302
    back = urlsplit(at_provider.headers["location"])
    assert back.path == "/login/oidc/callback"
    return browser.get(f"{back.path}?{back.query}", follow_redirects=False)


def test_the_sign_in_page_offers_the_provider_when_configured(browser):
    assert "用企业微信登录" in browser.get("/login").text


def test_a_user_the_provider_vouches_for_is_signed_in_and_sent_on(browser, provider):
    provider.next_user = "demo-manager"
    answer = through_provider(browser, "/review")
    assert answer.status_code == 303 and answer.headers["location"] == "/review"
    assert "王经理" in browser.get("/", follow_redirects=True).text


@pytest.mark.parametrize("tamper", ["nonce", "audience", "key"])
def test_an_id_token_that_does_not_check_out_is_refused(browser, provider, tamper):
    provider.tamper = tamper
    answer = through_provider(browser)
    assert answer.status_code == 401
    assert "could not be verified" in answer.text
    assert browser.get("/", follow_redirects=False).status_code == 303  # still signed out


def test_an_answer_with_another_state_is_refused(browser, provider):
    start = browser.get("/login/oidc", follow_redirects=False)
    at_provider = httpx.get(start.headers["location"], follow_redirects=False)
    back = urlsplit(at_provider.headers["location"])
    forged = back.query.replace("state=", "state=x")
    answer = browser.get(f"{back.path}?{forged}", follow_redirects=False)
    assert answer.status_code == 401 and "does not belong to this sign-in" in answer.text


def test_nobody_is_created_by_signing_in(browser, provider):
    provider.next_user = "stranger"
    answer = through_provider(browser)
    assert answer.status_code == 403 and "stranger has no jinnang account" in answer.text


def test_without_configuration_there_is_no_provider_link(web):
    browser = web.anonymous()
    assert "oidc-sign-in" not in browser.get("/login").text
    assert browser.get("/login/oidc").status_code == 404
