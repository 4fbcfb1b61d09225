"""Who is asking: sessions checked on every request, roles, fresh logins, headers."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import Flask, Response, abort, current_app, g, request, session
from flask_login import LoginManager, UserMixin, current_user, login_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from lab import accounts, db
from lab.models import User

csrf = CSRFProtect()
login_manager = LoginManager()

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# An SVG opened on its own is a document: matplotlib styles it inline, so it gets a
# policy of its own that allows inline styles and loads nothing, scripts least of all.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
HSTS = "max-age=31536000"  # a year; sent only over HTTPS, as RFC 6797 requires
SEEN_EVERY_SECONDS = 60  # how often a session's last-seen time is written back


@dataclass(frozen=True)
class Account(UserMixin):
    """The signed-in person as the web layer sees them, detached from the database."""

    id: int
    email: str
    name: str
    role: str
    session_version: int
    by_token: bool = False

    def get_id(self) -> str:
        """Return the id Flask-Login keeps in the session."""
        return str(self.id)

    def can(self, role: str) -> bool:
        """Tell whether this person has at least the given role."""
        return accounts.role_at_least(self.role, role)

    @classmethod
    def of(cls, user: User, by_token: bool = False) -> Account:
        """Copy what the web layer needs from a user row."""
        return cls(user.id, user.email, user.name, user.role, user.session_version, by_token)


@login_manager.user_loader
def _load_account(user_id: str) -> Account | None:
    """Load the session's user, only if the session is still current for them."""
    user = db.session().get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not user.active or session.get("sv") != user.session_version \
            or _timed_out():
        # The session ended elsewhere (logout, password, role, disable) or ran out of
        # time: forget it here.
        session.clear()
        return None
    now = time.time()
    if now - session.get("seen_at", 0) > SEEN_EVERY_SECONDS:
        session["seen_at"] = now
    return Account.of(user)


def _timed_out() -> bool:
    """Tell whether the session has been idle, or open, for longer than allowed."""
    now, config = time.time(), current_app.config
    idle = now - session.get("seen_at", 0) > config["SESSION_IDLE_MINUTES"] * 60
    return idle or now - session.get("login_at", 0) > config["SESSION_HOURS"] * 3600


def start_session(account: Account) -> None:
    """Begin a fresh session for someone who just proved who they are."""
    session.clear()  # nothing from before the sign-in survives into the new session
    login_user(account)
    session.permanent = True  # the browser drops the cookie at the absolute timeout too
    session["sv"] = account.session_version
    session["login_at"] = session["seen_at"] = time.time()


def use_token_account(user: User) -> None:
    """Make a token's user the current user for this request only."""
    g._login_user = Account.of(user, by_token=True)


def is_fresh() -> bool:
    """Tell whether the current sign-in is recent enough to sign off a decision."""
    if current_user.is_anonymous or current_user.by_token:
        return False
    limit = current_app.config["FRESH_LOGIN_MINUTES"] * 60
    return time.time() - session.get("login_at", 0) <= limit


def role_required(role: str) -> Callable:
    """Refuse a view to anyone without at least this role: 401 signed out, 403 too low."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                abort(401, "Sign in, or send an API token as Authorization: Bearer <token>.")
            if not current_user.can(role):
                abort(403, f"This needs the {role} role; you are signed in as "
                           f"{current_user.role}.")
            return view(*args, **kwargs)

        return checked

    return decorate


def _add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if response.mimetype == "image/svg+xml":
        response.headers["Content-Security-Policy"] = SVG_POLICY
    if request.endpoint != "static":
        # Pages, JSON and exports hold what only the signed-in may see: no cache keeps
        # them, not even the browser's back button.
        response.headers.setdefault("Cache-Control", "no-store")
    if current_app.config["HTTPS"] and request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def _check_session() -> None:
    # Touching the user runs the loader, which drops a session that ended elsewhere,
    # whether or not the view itself looks at who is asking.
    _ = current_user.is_authenticated


def configure(app: Flask) -> None:
    """Derive Flask's own settings from the lab's: upload limit, cookies, proxies."""
    config = app.config
    config["MAX_CONTENT_LENGTH"] = config["MAX_UPLOAD_MB"] * 1024 * 1024
    config.setdefault("WTF_CSRF_TIME_LIMIT", 8 * 3600)  # a working day
    # Flask's own default is None (no SameSite attribute); Lax keeps the cookie off
    # cross-site posts, a second line behind the CSRF tokens.
    config["SESSION_COOKIE_SAMESITE"] = config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=config["SESSION_HOURS"])
    if config["HTTPS"]:
        # __Host-: the browser keeps the cookie only if Secure, for this host, path /.
        config.update(SESSION_COOKIE_SECURE=True, SESSION_COOKIE_NAME="__Host-session",
                      SESSION_COOKIE_PATH="/", SESSION_COOKIE_DOMAIN=False)
    proxies = config["TRUSTED_PROXIES"]
    if proxies:
        # Believe X-Forwarded-For/-Proto/-Host only as far as our own proxies wrote them.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies,
                                x_host=proxies)
    secret_file = app.extensions.get("lab.secret_key_file")
    if secret_file:
        app.logger.warning(
            "LAB_SECRET_KEY is not set: sessions are signed with the key in %s, so they "
            "will not survive on a second host. Set LAB_SECRET_KEY for a team deployment.",
            secret_file)


def init_app(app: Flask) -> None:
    """Install CSRF protection, the login manager and the security headers."""
    configure(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.session_protection = "basic"
    app.before_request(_check_session)
    app.after_request(_add_headers)
