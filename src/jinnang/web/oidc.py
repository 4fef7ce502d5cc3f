"""Sign-in through an OpenID Connect provider (authorization-code flow), with Authlib and joserfc.

`GET /login/oidc` sends the browser to the provider with a fresh state and nonce (kept in a short
HttpOnly cookie); `GET /login/oidc/callback` exchanges the code, checks the ID token's signature
(the provider's JWKS), issuer, audience, expiry and nonce, and signs in the jinnang user the
configured claim names. Nobody is created by signing in: an admin makes the user first.
"""
from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from functools import lru_cache

import httpx
from authlib.integrations.httpx_client import OAuth2Client
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from jinnang.core.settings import Settings

STATE_COOKIE = "oidc_state"
SCOPE = "openid profile"


class OidcError(Exception):
    """The provider's answer cannot be trusted or used; the message says why (shown on the sign-in page)."""


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


def configured(settings: Settings) -> bool:
    return bool(settings.oidc_issuer and settings.oidc_client_id and settings.oidc_client_secret)


@lru_cache(maxsize=4)
def _discover(issuer: str, _minute: int) -> Provider:
    try:
        answer = httpx.get(issuer.rstrip("/") + "/.well-known/openid-configuration", timeout=10)
        answer.raise_for_status()
        meta = answer.json()
        provider = Provider(issuer=meta["issuer"], authorization_endpoint=meta["authorization_endpoint"],
                            token_endpoint=meta["token_endpoint"], jwks_uri=meta["jwks_uri"])
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        raise OidcError(f"the sign-in provider at {issuer} cannot be reached or described: {exc}") from None
    if provider.issuer.rstrip("/") != issuer.rstrip("/"):
        raise OidcError(f"the provider calls itself {provider.issuer}, not {issuer}")
    return provider


def discover(settings: Settings) -> Provider:
    # the discovery document is kept for a minute: a provider's keys rotate, but not per sign-in
    return _discover(str(settings.oidc_issuer), int(time.time() // 60))


def _client(settings: Settings, redirect_uri: str) -> OAuth2Client:
    return OAuth2Client(client_id=settings.oidc_client_id, client_secret=settings.oidc_client_secret,
                        scope=SCOPE, redirect_uri=redirect_uri, timeout=10)


def start(settings: Settings, redirect_uri: str, next_path: str) -> tuple[str, str]:
    """The provider's authorization URL and the cookie value that must come back with the answer."""
    provider = discover(settings)
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    with _client(settings, redirect_uri) as client:
        url, _ = client.create_authorization_url(provider.authorization_endpoint, state=state, nonce=nonce)
    return url, json.dumps({"state": state, "nonce": nonce, "next": next_path})


def finish(settings: Settings, redirect_uri: str, cookie: str | None, state: str, code: str) -> tuple[str, str]:
    """(the user name the provider vouches for, where to go next), or OidcError."""
    try:
        kept = json.loads(cookie or "")
    except ValueError:
        raise OidcError("the sign-in took too long or started elsewhere; try again") from None
    if not secrets.compare_digest(str(kept.get("state", "")), state):
        raise OidcError("the provider's answer does not belong to this sign-in")
    provider = discover(settings)
    try:
        with _client(settings, redirect_uri) as client:
            token = client.fetch_token(provider.token_endpoint, code=code, grant_type="authorization_code")
        keys = KeySet.import_key_set(httpx.get(provider.jwks_uri, timeout=10).json())
        decoded = jwt.decode(token["id_token"], keys)
        jwt.JWTClaimsRegistry(iss={"essential": True, "value": provider.issuer},
                              aud={"essential": True, "value": str(settings.oidc_client_id)},
                              nonce={"essential": True, "value": str(kept.get("nonce", ""))},
                              exp={"essential": True}).validate(decoded.claims)
    except (httpx.HTTPError, KeyError, ValueError, JoseError) as exc:
        raise OidcError(f"the provider's sign-in could not be verified: {type(exc).__name__}: {exc}") from None
    username = decoded.claims.get(settings.oidc_username_claim)
    if not isinstance(username, str) or not username:
        raise OidcError(f"the provider's token has no {settings.oidc_username_claim!r}")
    return username, str(kept.get("next") or "/")
