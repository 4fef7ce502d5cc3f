"""Sending one message out: 企业微信 and 钉钉 group robots (webhooks) and e-mail over SMTP.

Each sender raises ChannelError with a short reason when the message did not arrive; the delivery
worker keeps the reason and tries again later.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import time
import urllib.error
import urllib.parse
import urllib.request
from email.message import EmailMessage

from jinnang.service.alerts.config import Channel


class ChannelError(Exception):
    """The channel did not take the message (a refused request, an error code, no connection)."""


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int | None = None) -> str:
    """钉钉's 加签 mode: `timestamp` (ms) and `sign` = base64(HMAC-SHA256(secret, "timestamp\\nsecret"))."""
    timestamp = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    query = urllib.parse.urlencode({"timestamp": timestamp, "sign": base64.b64encode(digest).decode()})
    return url + ("&" if "?" in url else "?") + query


def _with_link(text: str, link: str | None) -> str:
    return text if not link or link in text else f"{text}\n[{link}]({link})"


def robot_body(channel: Channel, title: str, text: str, link: str | None) -> dict:
    """The robot's markdown message: 企业微信 {"markdown": {"content"}}, 钉钉 {"markdown": {"title", "text"}}."""
    body = _with_link(text, link)
    if channel.kind == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": f"**{title}**\n{body}"}}
    return {"msgtype": "markdown", "markdown": {"title": title, "text": f"#### {title}\n{body}"}}


def _post_json(url: str, body: dict, timeout: float) -> None:
    request = urllib.request.Request(url, data=json.dumps(body, ensure_ascii=False).encode("utf-8"), method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 - the configured robot
            raw = answer.read(65536)
    except urllib.error.HTTPError as exc:
        raise ChannelError(f"HTTP {exc.code} from the robot") from None
    except (urllib.error.URLError, OSError) as exc:
        raise ChannelError(f"no answer from the robot: {getattr(exc, 'reason', exc)}") from None
    try:
        reply = json.loads(raw or b"{}")
    except ValueError:
        raise ChannelError("the robot answered something that is not JSON") from None
    # both robots answer 200 with {"errcode": 0, "errmsg": "ok"}; anything else is a refusal
    if isinstance(reply, dict) and reply.get("errcode", 0) != 0:
        raise ChannelError(f"robot refused: errcode {reply.get('errcode')} {reply.get('errmsg', '')}".strip())


def _send_email(channel: Channel, address: str, title: str, text: str, link: str | None, timeout: float) -> None:
    assert channel.smtp_host and channel.sender  # checked when the channels file loads
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = title, channel.sender, address
    message.set_content(_with_link(text, link).replace("**", ""), charset="utf-8")
    try:
        with smtplib.SMTP(channel.smtp_host, channel.smtp_port, timeout=timeout) as smtp:
            if channel.starttls:
                smtp.starttls()
            if channel.username:
                smtp.login(channel.username, channel.password or "")
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise ChannelError(f"SMTP {channel.smtp_host}:{channel.smtp_port}: {exc}") from None


def send(channel: Channel, *, title: str, text: str, link: str | None, address: str | None, timeout: float) -> None:
    """Deliver one message through `channel`, or raise ChannelError."""
    if channel.kind == "in_app":
        return  # stored is delivered
    if channel.kind == "email":
        if not address:
            raise ChannelError("no e-mail address for the recipient")
        _send_email(channel, address, title, text, link, timeout)
        return
    assert channel.url
    url = dingtalk_signed_url(channel.url, channel.secret) if channel.kind == "dingtalk" and channel.secret \
        else channel.url
    _post_json(url, robot_body(channel, title, text, link), timeout)
