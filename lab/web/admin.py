"""Administration: users and their roles, the channel and segment catalogues, the audit log."""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlmodel import Session, col, select

from lab import accounts, db
from lab.models import AuditEvent, Channel, Segment, User
from lab.pilots import audit
from lab.web.forms import ActionForm, CatalogueForm, RoleForm, UserForm
from lab.web.queries import writing
from lab.web.security import role_required

bp = Blueprint("admin", __name__, url_prefix="/admin")

CATALOGUES = {"channel": Channel, "segment": Segment}
CATALOGUE_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")  # the plan's key rule


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        abort(404, f"no user {user_id}")
    return user


def _users_page(status: int = 200, form: UserForm | None = None):
    users = db.session().exec(select(User).order_by(User.email)).all()
    return render_template("admin/users.html", users=users, form=form or UserForm(),
                           role_form=RoleForm(), action_form=ActionForm()), status


@bp.get("/users")
@role_required("admin")
def users():
    """List the accounts with forms to add one, change a role or disable one."""
    return _users_page()


@bp.post("/users")
@role_required("admin")
def add_user():
    """Add an account."""
    form = UserForm()
    try:
        with writing() as write:
            accounts.add_user(write, email=form.email.data or "", name=form.name.data or "",
                              password=form.password.data or "", role=form.role.data or "",
                              actor=current_user.email)
    except accounts.AccountError as error:
        field, _, reason = str(error).partition(": ")
        form[field if field in form else "email"].errors = [reason or str(error)]
        return _users_page(422, form)
    flash(f"Added {form.email.data.strip().lower()} as {form.role.data}.", "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<id:user_id>/role")
@role_required("admin")
def set_role(user_id: int):
    """Change an account's role; its sessions end."""
    form = RoleForm()
    with writing() as write:
        user = accounts.set_role(write, email=_user(write, user_id).email,
                                 role=form.role.data or "", actor=current_user.email)
        done = f"{user.email} is now {user.role}; their sessions have ended."
    flash(done, "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<id:user_id>/disable")
@role_required("admin")
def disable_user(user_id: int):
    """Disable an account; its sessions and tokens stop working."""
    with writing() as write:
        user = accounts.disable(write, email=_user(write, user_id).email,
                                actor=current_user.email)
        done = f"{user.email} is disabled: their sessions and tokens have stopped."
    flash(done, "success")
    return redirect(url_for("admin.users"))


def _catalogue_page(status: int = 200, form: CatalogueForm | None = None):
    read = db.session()
    entries = {name: read.exec(select(model).order_by(model.name)).all()
               for name, model in CATALOGUES.items()}
    return render_template("admin/catalogues.html", entries=entries,
                           form=form or CatalogueForm()), status


@bp.get("/catalogues")
@role_required("admin")
def catalogues():
    """List the channels and segments."""
    return _catalogue_page()


@bp.post("/catalogues")
@role_required("admin")
def add_catalogue_entry():
    """Add a channel or a segment to its catalogue."""
    form = CatalogueForm()
    model = CATALOGUES.get(form.catalogue.data or "")
    name = (form.name.data or "").strip()
    if model is None:
        form.catalogue.errors = ["choose channel or segment"]
    elif not CATALOGUE_KEY.match(name):
        form.name.errors = ["use 1 to 80 lower-case letters, digits, '.', '_' or '-'"]
    elif db.session().exec(select(model).where(model.name == name)).first():
        form.name.errors = [f"{name!r} is already in the {form.catalogue.data} catalogue"]
    if form.catalogue.errors or form.name.errors:
        return _catalogue_page(422, form)
    with writing() as write:
        write.add(model(name=name))
        audit.record(write, actor=current_user.email, action=f"{form.catalogue.data}.add",
                     object_type=form.catalogue.data, object_key=name)
    flash(f"Added {form.catalogue.data} {name!r}.", "success")
    return redirect(url_for("admin.catalogues"))


@bp.get("/audit")
@role_required("admin")
def audit_log():
    """Show the latest audit events, optionally for one action or object."""
    query = select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(300)
    if request.args.get("action"):
        query = query.where(AuditEvent.action == request.args["action"])
    if request.args.get("object"):
        query = query.where(AuditEvent.object_key == request.args["object"])
    return render_template("admin/audit.html", events=db.session().exec(query).all())
