"""Password hashes (the lockout that counts attempts is in :mod:`.lockout`).

Passwords are hashed with Argon2 (pwdlib). An unknown or deactivated user costs as much
time as a wrong password, so response times do not reveal which names exist.
"""

from __future__ import annotations

from pwdlib import PasswordHash
from sqlalchemy.orm import Session

from ..persistence.models import User

_HASHER = PasswordHash.recommended()
# Verifying against this keeps an unknown username as slow as a wrong password.
_DUMMY_HASH = _HASHER.hash("flowdesk-timing-equaliser")
MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    return _HASHER.hash(password)



def password_hash_of(session: Session, username: str) -> str | None:
    """The stored hash of an active user, or None (unknown or deactivated)."""
    user = session.get(User, username)
    return user.password_hash if user is not None and user.active else None


def verify_password(password: str, password_hash: str | None) -> bool:
    """Check a password; an unknown user costs as much time as a wrong password."""
    if password_hash is None:
        _HASHER.verify(password, _DUMMY_HASH)
        return False
    try:
        return _HASHER.verify(password, password_hash)
    except Exception:  # a corrupt stored hash refuses the login, it does not crash it
        return False
