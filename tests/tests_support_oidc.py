"""A small OpenID Connect provider on loopback for the sign-in tests: discovery, authorize, token, JWKS.

It signs ID tokens with its own RSA key (RS256) and "signs in" whoever the test names in
`provider.next_user`; `provider.tamper` lets a test make it misbehave (wrong nonce, wrong audience,
a key the JWKS does not hold) to show the client refuses.
"""
from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey


class Provider:
    def __init__(self, client_id: str = "jinnang", client_secret: str = "s3cret-for-tests"):
        self.client_id, self.client_secret = client_id, client_secret
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig", "alg": "RS256"})
        self.other_key = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig", "alg": "RS256"})
        self.next_user = "demo-manager"
        self.tamper: str | None = None  # "nonce" | "audience" | "key"
        self.codes: dict[str, dict] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()

    def id_token(self, nonce: str) -> str:
        claims = {"iss": self.url, "sub": "u-" + self.next_user, "aud": self.client_id,
                  "preferred_username": self.next_user, "nonce": nonce, "iat": int(time.time()),
                  "exp": int(time.time()) + 300}
        if self.tamper == "nonce":
            claims["nonce"] = "not-the-one-sent"
        if self.tamper == "audience":
            claims["aud"] = "some-other-client"
        key = self.other_key if self.tamper == "key" else self.key
        return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args) -> None:
                pass

            def _json(self, body: dict, status: int = 200) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/.well-known/openid-configuration":
                    self._json({"issuer": provider.url, "authorization_endpoint": provider.url + "/authorize",
                                "token_endpoint": provider.url + "/token", "jwks_uri": provider.url + "/jwks",
                                "response_types_supported": ["code"], "id_token_signing_alg_values_supported": ["RS256"]})
                elif url.path == "/jwks":
                    self._json(KeySet([provider.key]).as_dict(private=False))
                elif url.path == "/authorize":
                    if query.get("client_id") != provider.client_id or query.get("response_type") != "code":
                        self._json({"error": "invalid_request"}, 400)
                        return
                    code = secrets.token_urlsafe(16)
                    provider.codes[code] = {"nonce": query.get("nonce", ""), "redirect_uri": query["redirect_uri"]}
                    self.send_response(302)
                    self.send_header("Location", query["redirect_uri"] + "?" + urlencode(
                        {"code": code, "state": query.get("state", "")}))
                    self.end_headers()
                else:
                    self._json({"error": "not_found"}, 404)

            def do_POST(self) -> None:  # noqa: N802
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()}
                basic = base64.b64encode(f"{provider.client_id}:{provider.client_secret}".encode()).decode()
                sent_secret = form.get("client_secret") == provider.client_secret
                if self.headers.get("Authorization") != f"Basic {basic}" and not sent_secret:
                    self._json({"error": "invalid_client"}, 401)
                    return
                grant = provider.codes.pop(form.get("code", ""), None)  # a code works once
                if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
                    self._json({"error": "invalid_grant"}, 400)
                    return
                self._json({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 300,
                            "id_token": provider.id_token(grant["nonce"])})

        return Handler
