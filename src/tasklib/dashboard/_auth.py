"""Who may act: the admin token, the signed session cookie, and the CSRF token of its forms.

Reading needs no credentials. Actions (retry, cancel, pause, resume, bulk) exist only when the
app was given an admin token, and only for a browser that logged in with it: the login sets a
session cookie (HttpOnly, SameSite=Strict, signed with HMAC-SHA256), and every form carries a
CSRF token derived from that session. A POST must present both, and an Origin header, when
the browser sends one, must be this site's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

COOKIE = "tasklib_dashboard"
SESSION_SECONDS = 12 * 3600


@dataclass(frozen=True, slots=True)
class Session:
    """A logged-in browser: its id (random) and when its login ends."""

    session_id: str
    expires: float


class Credentials:
    """The admin token and the key that signs sessions (random per process unless given)."""

    def __init__(self, admin_token: str, secret: bytes | None = None) -> None:
        if not admin_token:
            raise ValueError("the admin token must not be empty")
        self._token = hashlib.sha256(admin_token.encode()).digest()
        self._key = secret if secret is not None else secrets.token_bytes(32)

    def token_matches(self, candidate: str) -> bool:
        """Whether ``candidate`` is the admin token (compared in constant time)."""
        return hmac.compare_digest(hashlib.sha256(candidate.encode()).digest(), self._token)

    def new_session(self, now: float | None = None) -> tuple[Session, str]:
        """A new session and its cookie value."""
        session = Session(secrets.token_urlsafe(18), (now or time.time()) + SESSION_SECONDS)
        payload = json.dumps({"sid": session.session_id, "exp": session.expires}).encode()
        body = base64.urlsafe_b64encode(payload).decode()
        return session, f"{body}.{self._sign(body)}"

    def session(self, cookie: str | None, now: float | None = None) -> Session | None:
        """The session a cookie holds, or None if it is absent, forged or expired."""
        if not cookie or "." not in cookie:
            return None
        body, _, signature = cookie.rpartition(".")
        if not hmac.compare_digest(signature, self._sign(body)):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(body.encode()))
            session = Session(str(data["sid"]), float(data["exp"]))
        except (ValueError, KeyError, TypeError):
            return None
        return session if session.expires > (now or time.time()) else None

    def csrf_token(self, session: Session) -> str:
        """The token every form of this session carries."""
        return self._sign("csrf:" + session.session_id)

    def csrf_matches(self, session: Session, candidate: str) -> bool:
        return hmac.compare_digest(candidate, self.csrf_token(session))

    def _sign(self, text: str) -> str:
        digest = hmac.new(self._key, text.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")
