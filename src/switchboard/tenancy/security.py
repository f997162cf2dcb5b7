"""Password hashing (argon2 via pwdlib) and JWT access tokens (PyJWT)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import jwt
from pwdlib import PasswordHash

from switchboard.kit.clock import utcnow
from switchboard.kit.errors import Unauthorized

_hasher = PasswordHash.recommended()
_ALGORITHM = "HS256"
# The web app's session cookie: it holds an ordinary access token (see web/auth.py).
SESSION_COOKIE = "sb_session"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    return _hasher.verify(password, password_hash)


def create_access_token(
    *, user_id: uuid.UUID, tenant_id: uuid.UUID, role: str, secret: str, minutes: int
) -> str:
    now = utcnow()
    claims: dict[str, Any] = {
        "sub": str(user_id),
        "tid": str(tenant_id),
        "role": role,
        "iat": now,
        "exp": now + timedelta(minutes=minutes),
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def access_token_expiry(token: str, secret: str) -> float:
    """When a token (already checked by `decode_access_token`) expires, as a Unix time: a
    live socket opened with it is closed then."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[_ALGORITHM],
            options={"require": ["exp"], "verify_exp": False, "verify_iat": False},
        )
        return float(claims["exp"])
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
        raise Unauthorized("invalid or expired token") from exc


def decode_access_token(token: str, secret: str) -> tuple[uuid.UUID, uuid.UUID]:
    """Returns (user_id, tenant_id) or raises Unauthorized."""
    try:
        # Expiry is checked against our clock, the one that stamped the token, not PyJWT's.
        claims = jwt.decode(
            token,
            secret,
            algorithms=[_ALGORITHM],
            options={"require": ["exp"], "verify_exp": False, "verify_iat": False},
        )
        if float(claims["exp"]) <= utcnow().timestamp():
            raise Unauthorized("expired token")
        return uuid.UUID(claims["sub"]), uuid.UUID(claims["tid"])
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
        raise Unauthorized("invalid or expired token") from exc
