"""Security primitives of the web app: the Content-Security-Policy, password hashing, signed cookies, CSRF.

Why each is the way it is:

- **CSP**: pose runs in the browser from files we serve; nothing of ours may talk to another host. ``connect-src
  'self'`` stops any fetch/beacon/WebSocket to an outside address (the usage logger of tasks-vision 1.x would be
  blocked even if someone bumped the pin). ``'wasm-unsafe-eval'`` is the one relaxation tasks-vision needs
  (compiling its wasm); there is no ``'unsafe-inline'`` and no ``'unsafe-eval'``. Pages that must carry inline
  markup (the CLI's self-contained report, the OpenAPI page) get hashes of exactly that markup, never a wildcard.
- **Passwords**: Argon2id through ``pwdlib`` (maintained; passlib is not).
- **Cookies**: the session cookie is signed and timestamped (``itsdangerous``), HttpOnly, SameSite=Lax.
- **CSRF**: double-submit token: a random ``hc_csrf`` cookie (SameSite=Strict) that every state-changing request
  must echo in a form field or an ``X-CSRF`` header. Another site can neither read the cookie nor set the header.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from typing import Final

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

SESSION_COOKIE: Final[str] = "hc_session"
CSRF_COOKIE: Final[str] = "hc_csrf"
CSRF_HEADER: Final[str] = "x-csrf"
CSRF_FIELD: Final[str] = "csrf"
SESSION_MAX_AGE_S: Final[int] = 14 * 24 * 3600

BASE_CSP: Final[dict[str, tuple[str, ...]]] = {
    "default-src": ("'self'",),
    "connect-src": ("'self'",),
    "script-src": ("'self'", "'wasm-unsafe-eval'"),
    "style-src": ("'self'",),
    "img-src": ("'self'", "data:", "blob:"),
    "media-src": ("'self'", "blob:"),
    "worker-src": ("'self'", "blob:"),
    "font-src": ("'self'",),
    "object-src": ("'none'",),
    "base-uri": ("'none'",),
    "form-action": ("'self'",),
    "frame-ancestors": ("'none'",),
}
"""The policy every response carries (``blob:`` workers/media: tasks-vision and the camera preview use them)."""

SECURITY_HEADERS: Final[dict[str, str]] = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def sha256_source(text: str) -> str:
    """A CSP hash source for an inline block or attribute: ``'sha256-<base64>'``."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def csp_header(
    *, style_hashes: Iterable[str] = (), script_hashes: Iterable[str] = (), attr_styles: bool = False
) -> str:
    """The CSP string, optionally allowing exactly the inline blocks whose hashes are given."""
    policy = {k: list(v) for k, v in BASE_CSP.items()}
    policy["style-src"].extend(style_hashes)
    policy["script-src"].extend(script_hashes)
    if attr_styles:  # style="..." attributes are allowed only by hash with 'unsafe-hashes'
        policy["style-src"].insert(1, "'unsafe-hashes'")
    return "; ".join(f"{k} {' '.join(v)}" for k, v in policy.items())


_STYLE_BLOCK = re.compile(r"<style[^>]*>(.*?)</style>", re.S | re.I)
_STYLE_ATTR = re.compile(r'\sstyle="([^"]*)"', re.I)
_SCRIPT_BLOCK = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>(.*?)</script>", re.S | re.I)


def csp_for_html(html: str) -> str:
    """A CSP that allows this document's own inline ``<style>``/``<script>`` blocks and style attributes, by hash.

    Used for documents we render ourselves whose inline markup is fixed by a template (the self-contained report,
    the OpenAPI page); anything injected later would not match a hash and would be refused.
    """
    styles = [sha256_source(s) for s in _STYLE_BLOCK.findall(html)]
    attrs = sorted({sha256_source(_unescape(a)) for a in _STYLE_ATTR.findall(html)})
    scripts = [sha256_source(s) for s in _SCRIPT_BLOCK.findall(html)]
    return csp_header(style_hashes=[*styles, *attrs], script_hashes=scripts, attr_styles=bool(attrs))


def _unescape(value: str) -> str:
    return (
        value.replace("&quot;", '"')
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
    )


# ---------------------------------------------------------------------------------------------- passwords
_HASHER: Final[PasswordHash] = PasswordHash((Argon2Hasher(),))
MIN_PASSWORD_LEN: Final[int] = 8


def hash_password(password: str) -> str:
    """Argon2id hash with a random salt (the encoded string carries its parameters)."""
    return _HASHER.hash(password)


def verify_password(password: str, encoded: str) -> bool:
    """True when ``password`` matches; False for a wrong password or a malformed hash."""
    try:
        return bool(_HASHER.verify(password, encoded))
    except Exception:  # a corrupt stored hash must read as "no", never as a 500
        return False


# ---------------------------------------------------------------------------------------------- cookies, CSRF
class Signer:
    """Signs and checks the session cookie's payload (the user id and a per-login nonce)."""

    def __init__(self, secret: str) -> None:
        self._s = URLSafeTimedSerializer(secret, salt="hingecoach.session")

    def dumps(self, user_id: int) -> str:
        return self._s.dumps({"uid": user_id, "n": secrets.token_urlsafe(8)})

    def loads(self, token: str, max_age_s: int = SESSION_MAX_AGE_S) -> int | None:
        """The user id, or None for a missing, tampered or expired cookie."""
        try:
            data = self._s.loads(token, max_age=max_age_s)
        except (BadSignature, SignatureExpired):
            return None
        uid = data.get("uid") if isinstance(data, dict) else None
        return uid if isinstance(uid, int) else None


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_ok(cookie: str | None, submitted: str | None) -> bool:
    """Double-submit check in constant time; both must be present and equal."""
    if not cookie or not submitted:
        return False
    return hmac.compare_digest(cookie.encode(), submitted.encode())
