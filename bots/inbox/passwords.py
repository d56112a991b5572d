"""Staff passwords: argon2 hashes through pwdlib (passlib is unmaintained)."""

from __future__ import annotations

from pwdlib import PasswordHash

MIN_PASSWORD = 8

_HASHER = PasswordHash.recommended()
# Checked against when an email has no account, so a wrong email costs as long as a wrong
# password and sign-in timing does not tell which accounts exist.
_DUMMY = _HASHER.hash("frontdesk-no-such-account")


def hash_password(password: str) -> str:
    """An argon2 hash of `password`, salted."""
    return _HASHER.hash(password)


def check_password(password: str, hashed: str | None) -> bool:
    """Whether `password` matches `hashed` (always False, after the same work, for None)."""
    if hashed is None:
        _HASHER.verify(password, _DUMMY)
        return False
    return _HASHER.verify(password, hashed)
