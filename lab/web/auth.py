"""Signing in and out, one's own password, and one's API tokens."""

from __future__ import annotations

import secrets
import unicodedata
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, logout_user
from itsdangerous import BadData, URLSafeTimedSerializer

from lab import accounts, db
from lab.models import User
from lab.vocabulary import TokenScope
from lab.web.forms import ActionForm, LoginForm, PasswordForm, TokenForm
from lab.web.queries import writing
from lab.web.security import Account, role_required, start_session

bp = Blueprint("auth", __name__)

SAME_ANSWER = "That email and password do not match an active account."
BROWSER_DAYS = 365  # how long a browser is remembered as one its user signs in from


def safe_next(target: str | None) -> str:
    """Return where to go after signing in: a path on this site, never another site."""
    return target if target and _same_site_path(target) else url_for("pages.portfolio_page")


def _same_site_path(target: str) -> bool:
    """Tell whether a target is a plain path here: no scheme, host, backslash or control.

    Browsers drop tabs and newlines from URLs and read a backslash as a slash, so
    "/\t/evil.example" would leave as "//evil.example": any such character is refused.
    """
    if any(unicodedata.category(char)[0] in "CZ" for char in target) or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith("/") \
        and not target.startswith("//")


def _throttle() -> accounts.Throttle:
    """Return the sign-in throttle the settings describe."""
    config = current_app.config
    return accounts.Throttle(account=config["LOGIN_ATTEMPTS"],
                             address=config["LOGIN_ADDRESS_ATTEMPTS"],
                             window_seconds=config["LOGIN_PAUSE_SECONDS"],
                             secret=str(current_app.secret_key))


def _browsers() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="lab.known-browser")


def _browser_cookie() -> str:
    # __Host-: sent only over HTTPS, to this host, for the whole site.
    return "__Host-lab-browser" if current_app.config["HTTPS"] else "lab-browser"


def _known_browser() -> accounts.KnownBrowser | None:
    """Return the browser this request's signed cookie names, if it has one."""
    raw = request.cookies.get(_browser_cookie())
    if not raw:
        return None
    try:
        user_id, browser = _browsers().loads(raw, max_age=BROWSER_DAYS * 86400)
    except (BadData, TypeError, ValueError):
        return None
    return accounts.KnownBrowser(int(user_id), str(browser))


def _remember_browser(response, account: Account, known: accounts.KnownBrowser | None):
    """Mark this browser as one the account signs in from, so others' guesses spare it."""
    browser = known.browser if known and known.user_id == account.id \
        else secrets.token_urlsafe(16)
    response.set_cookie(_browser_cookie(), _browsers().dumps([account.id, browser]),
                        max_age=BROWSER_DAYS * 86400, path="/", httponly=True,
                        samesite="Lax", secure=current_app.config["HTTPS"])
    return response


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the sign-in form, or sign in."""
    form = LoginForm()
    if request.method != "POST":
        if request.args.get("fresh"):
            flash("Sign in again: signing off a decision needs a recent sign-in.", "info")
        return render_template("login.html", form=form, next=request.args.get("next"))
    known = _known_browser()
    with writing() as write:
        result = accounts.authenticate(
            write, email=form.email.data or "", password=form.password.data or "",
            address=request.remote_addr or "unknown", throttle=_throttle(), browser=known)
        account = Account.of(result.user) if result.user else None
    if result.throttled:
        minutes = max(1, round(result.retry_after / 60))
        message = (f"Too many failed sign-ins. "
                   f"Try again in about {minutes} minute{'s' if minutes > 1 else ''}.")
        return render_template("login.html", form=form, error=message,
                               next=request.form.get("next")), 429, {
            "Retry-After": str(result.retry_after)}
    if account is None:
        return render_template("login.html", form=form, error=SAME_ANSWER,
                               next=request.form.get("next")), 401
    start_session(account)
    return _remember_browser(redirect(safe_next(request.form.get("next"))), account, known)


@bp.post("/logout")
def logout():
    """Sign out: every session of this account ends, this one included."""
    if current_user.is_authenticated:
        with writing() as write:
            user = write.get(User, current_user.id)
            accounts.end_sessions(write, user=user, actor=user.email, action="logout")
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


def _account_page(status: int = 200, **shown):
    """Render the account page with fresh forms, or the ones given."""
    shown.setdefault("password_form", PasswordForm())
    shown.setdefault("token_form", TokenForm())
    tokens = accounts.tokens_of(db.session(), current_user.id)
    return render_template("account.html", action_form=ActionForm(), tokens=tokens,
                           **shown), status


def _refused(form, error: accounts.AccountError):
    """Show an account problem next to the field it names."""
    field, _, reason = str(error).partition(": ")
    if field in form:
        form[field].errors = [reason]
    else:
        flash(str(error), "error")
    return form


@bp.get("/account")
@role_required("viewer")
def account():
    """Show one's account: password form and, for analysts, API tokens."""
    return _account_page()


@bp.post("/account/password")
@role_required("viewer")
def change_password():
    """Change one's password; other sessions end, this one continues."""
    form = PasswordForm()
    try:
        with writing() as write:
            user = accounts.change_password(
                write, user=write.get(User, current_user.id),
                current=form.current_password.data or "", new=form.new_password.data or "")
            account = Account.of(user)
    except accounts.AccountError as error:
        return _account_page(422, password_form=_refused(form, error))
    start_session(account)
    flash("Password changed. Your other sessions have been signed out.", "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/tokens")
@role_required("analyst")
def create_token():
    """Create an API token and show its secret once."""
    form = TokenForm()
    days = (form.days.data or "").strip() or str(accounts.TOKEN_DAYS_DEFAULT)
    try:
        with writing() as write:
            token, secret = accounts.create_token(
                write, user=write.get(User, current_user.id), name=form.name.data or "",
                scope=form.scope.data or TokenScope.read,
                days=int(days) if days.isascii() and days.isdigit() else days)
            name = token.name
    except accounts.AccountError as error:
        return _account_page(422, token_form=_refused(form, error))
    return _account_page(201, new_secret=secret, new_token=name)


@bp.post("/account/tokens/<id:token_id>/revoke")
@role_required("analyst")
def revoke_token(token_id: int):
    """Revoke one of one's own tokens."""
    try:
        with writing() as write:
            accounts.revoke_token(write, user=write.get(User, current_user.id),
                                  token_id=token_id)
    except LookupError as error:
        abort(404, str(error.args[0]))
    flash("Token revoked.", "success")
    return redirect(url_for("auth.account"))
