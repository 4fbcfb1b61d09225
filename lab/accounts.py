"""Accounts: users and their roles, passwords, sign-in and API tokens.

Plain functions taking the session as a keyword; they flush, the caller's
`db.writing()` block commits. Every change is written to the audit log.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, col, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from lab import passwords, throttling
from lab.errors import Invalid, NotFound
from lab.models import ApiToken, User
from lab.models.base import aware, utcnow
from lab.pilots import audit
from lab.throttling import KnownBrowser, Throttle
from lab.vocabulary import TokenScope, UserRole, values

ROLES = tuple(values(UserRole))  # lowest to highest: each role can do what those below can
MIN_PASSWORD_LENGTH = 10
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
TOKEN_PREFIX = "lab_"
TOKEN_DAYS = (1, 365)  # the shortest and longest life a token may be given
TOKEN_DAYS_DEFAULT = 90
UNKNOWN = "unknown"  # who a sign-in with an email that names no account is logged as


class AccountError(Invalid):
    """A change to an account that cannot be made; str() says why."""


@dataclass(frozen=True)
class LoginResult:
    """What a sign-in attempt came to: a user, a refusal, or a pause."""

    user: User | None
    retry_after: int = 0  # seconds until the pause ends, when throttled

    @property
    def throttled(self) -> bool:
        """Tell whether the attempt was refused without checking the password."""
        return self.retry_after > 0


def role_at_least(role: str, needed: str) -> bool:
    """Tell whether a role includes the rights of the needed role."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


def hash_password(password: str) -> str:
    """Hash a password with scrypt."""
    return generate_password_hash(password, method="scrypt")


def normal_email(email: str) -> str:
    """Return the email as it is stored: trimmed and lower case."""
    return (email or "").strip().lower()


def check_new_password(password: str, email: str) -> None:
    """Refuse a password that is blank, short, an e-mail address or a common one."""
    password = password or ""
    folded = password.strip().casefold()
    if not folded:
        raise AccountError("password: must not be blank (spaces alone are no password)")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password: must be at least {MIN_PASSWORD_LENGTH} characters")
    if EMAIL.match(folded) or folded in (email.casefold(), email.casefold().split("@")[0]):
        raise AccountError("password: must not be an e-mail address or the account's name")
    if passwords.is_common(folded):
        raise AccountError(f"password: is one of the {passwords.COMMON_COUNT:,} most common "
                           "passwords, which are guessed first; choose another")


def check_role(role: str) -> None:
    """Refuse a role that does not exist."""
    if role not in ROLES:
        raise AccountError(f"role: must be one of {', '.join(ROLES)}, not {role!r}")


def find_user(session: Session, email: str) -> User | None:
    """Return the user with this email, or None."""
    return session.exec(select(User).where(User.email == normal_email(email))).first()


def get_user(session: Session, email: str) -> User:
    """Return the user with this email, or raise AccountError."""
    user = find_user(session, email)
    if user is None:
        raise AccountError(f"no user {normal_email(email)!r}")
    return user


def add_user(session: Session, *, email: str, password: str, role: str, actor: str,
             name: str = "") -> User:
    """Create an account with a role and a scrypt-hashed password."""
    email = normal_email(email)
    if not EMAIL.match(email) or len(email) > 254:
        raise AccountError(f"email: {email!r} is not an email address")
    check_role(role)
    check_new_password(password, email)
    if find_user(session, email) is not None:
        raise AccountError(f"email: a user {email!r} already exists")
    user = User(email=email, name=name.strip(), role=role, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    audit.record(session, actor=actor, action="user.add", object_type="user",
                 object_key=email, after={"role": role})
    return user


def end_sessions(session: Session, *, user: User, actor: str, action: str) -> User:
    """End every session of a user, everywhere, and record why."""
    user.session_version += 1
    session.add(user)
    session.flush()
    audit.record(session, actor=actor, action=action, object_type="user",
                 object_key=user.email)
    return user


def set_role(session: Session, *, email: str, role: str, actor: str) -> User:
    """Give a user another role; their sessions end so the new rights apply at once.

    Below analyst their API tokens end too; the last active admin keeps the role.
    """
    check_role(role)
    user = get_user(session, email)
    if role != "admin":
        _keep_an_admin(session, user, "made " + role)
    before = user.role
    user.role = role
    user.session_version += 1
    session.add(user)
    session.flush()
    audit.record(session, actor=actor, action="user.role", object_type="user",
                 object_key=user.email, before={"role": before}, after={"role": role})
    if not role_at_least(role, "analyst"):
        end_tokens(session, user=user, actor=actor)
    return user


def disable(session: Session, *, email: str, actor: str) -> User:
    """Disable an account: its sessions and tokens end and it can no longer sign in."""
    user = get_user(session, email)
    _keep_an_admin(session, user, "disabled")
    user.active = False
    user.session_version += 1
    session.add(user)
    session.flush()
    audit.record(session, actor=actor, action="user.disable", object_type="user",
                 object_key=user.email, before={"active": True}, after={"active": False})
    end_tokens(session, user=user, actor=actor)
    return user


def _keep_an_admin(session: Session, user: User, change: str) -> None:
    """Refuse to take the last active admin's rights away, whoever asks."""
    if user.role != "admin" or not user.active:
        return
    # Lock every active admin row (PostgreSQL; SQLite writers queue anyway), in one
    # order, so two admins demoting each other at once cannot both succeed.
    admins = session.exec(select(User.id).where(User.role == "admin", col(User.active))
                          .order_by(col(User.id)).with_for_update()).all()
    if list(admins) == [user.id]:
        raise AccountError(f"{user.email} is the last active admin and cannot be {change}; "
                           "make another account admin first")


def change_password(session: Session, *, user: User, current: str, new: str) -> User:
    """Change a user's own password; every other session of theirs ends."""
    if not check_password_hash(user.password_hash, current or ""):
        raise AccountError("current_password: is not right")
    check_new_password(new, user.email)
    user.password_hash = hash_password(new)
    return end_sessions(session, user=user, actor=user.email, action="user.password")


def authenticate(session: Session, *, email: str, password: str, address: str,
                 throttle: Throttle, browser: KnownBrowser | None = None) -> LoginResult:
    """Check a sign-in, throttled per account, address and browser; audit the outcome."""
    email = normal_email(email)[:254]
    address = (address or "unknown")[:64]
    user = find_user(session, email)
    named = email if user is not None else UNKNOWN  # typed text is kept only if it names one
    keys = throttling.keys_for(user.id if user else None, email, address, browser, throttle)
    wait = throttling.attempt(session, keys, throttle.window_seconds)
    throttling.forget_expired(session, throttle.window_seconds)
    if wait:
        audit.record(session, actor=named, action="login.throttled", object_type="user",
                     object_key=named, after={"address": address})
        return LoginResult(None, wait)
    valid = check_password_hash(user.password_hash if user else _dummy_hash(), password or "")
    if user is None or not valid or not user.active:
        audit.record(session, actor=named, action="login.failed", object_type="user",
                     object_key=named, after={"address": address})
        return LoginResult(None)
    for key in keys:
        if key.startswith("address:"):
            throttling.take_back(session, key)
        else:
            throttling.clear(session, key)
    audit.record(session, actor=email, action="login", object_type="user",
                 object_key=email, after={"address": address})
    return LoginResult(user)


@functools.cache
def _dummy_hash() -> str:
    """Return a hash of a random password, made on first use (scrypt takes 0.2 s)."""
    # Unknown emails are checked against it, so they take as long to refuse as a wrong
    # password does.
    return hash_password(secrets.token_hex(16))


def token_digest(secret: str) -> str:
    """Return the sha256 hex digest a token is stored as."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(session: Session, *, user: User, name: str, scope: str = TokenScope.read,
                 days: int = TOKEN_DAYS_DEFAULT) -> tuple[ApiToken, str]:
    """Create an API token for a user; the secret is shown once and stored hashed."""
    if not role_at_least(user.role, "analyst"):
        raise AccountError("only analysts, managers and admins can create API tokens")
    name = (name or "").strip()
    if not 1 <= len(name) <= 120:
        raise AccountError("name: give the token a name of 1 to 120 characters")
    if scope not in values(TokenScope):
        raise AccountError(f"scope: must be one of {', '.join(values(TokenScope))}, "
                           f"not {scope!r}")
    low, high = TOKEN_DAYS
    if not isinstance(days, int) or not low <= days <= high:
        raise AccountError(f"days: a token lasts {low} to {high} days, not {days!r}")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=token_digest(secret),
                     scope=scope, expires_at=utcnow() + timedelta(days=days))
    session.add(token)
    session.flush()
    audit.record(session, actor=user.email, action="token.create", object_type="api_token",
                 object_key=str(token.id), after={"name": name, "scope": scope, "days": days})
    return token, secret


def end_tokens(session: Session, *, user: User, actor: str) -> None:
    """Revoke every token of a user that is still valid, and record it."""
    ended = session.exec(update(ApiToken).where(
        ApiToken.user_id == user.id, col(ApiToken.revoked_at).is_(None))
        .values(revoked_at=utcnow())).rowcount
    if ended:
        audit.record(session, actor=actor, action="token.end", object_type="user",
                     object_key=user.email, after={"tokens": ended})


def tokens_of(session: Session, user_id: int) -> list[ApiToken]:
    """Return a user's tokens that are still valid, newest first."""
    return list(session.exec(select(ApiToken).where(
        ApiToken.user_id == user_id, col(ApiToken.revoked_at).is_(None),
        ApiToken.expires_at > utcnow())
        .order_by(col(ApiToken.id).desc())))


def revoke_token(session: Session, *, user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens; anyone else's is reported as not found."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        raise NotFound(f"no token {token_id} of yours")
    token.revoked_at = utcnow()
    session.add(token)
    session.flush()
    audit.record(session, actor=user.email, action="token.revoke", object_type="api_token",
                 object_key=str(token.id))
    return token


def user_for_token(session: Session, secret: str) -> tuple[User, ApiToken] | None:
    """Return the active analyst (or above) and token a bearer secret belongs to, or None.

    A revoked or expired token is no token, and neither is one whose owner has been
    disabled or demoted below analyst since it was made.
    """
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = session.exec(select(ApiToken).where(
        ApiToken.token_hash == token_digest(secret), col(ApiToken.revoked_at).is_(None),
        ApiToken.expires_at > utcnow())).first()
    if token is None:
        return None
    user = session.get(User, token.user_id)
    usable = user is not None and user.active and role_at_least(user.role, "analyst")
    return (user, token) if usable else None


def stale_use(token: ApiToken) -> bool:
    """Tell whether the token's last use is worth recording again (once a minute at most)."""
    last = token.last_used_at
    return last is None or utcnow() - aware(last) > timedelta(minutes=1)


def note_use(session: Session, *, token_id: int) -> None:
    """Record that a token was used just now."""
    token = session.get(ApiToken, token_id)
    if token is not None:
        token.last_used_at = utcnow()
        session.add(token)
