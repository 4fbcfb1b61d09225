"""Web forms: they render fields and carry the CSRF token; pydantic and the domain validate.

Fields are plain text on purpose: the values go, as typed, into the same models and
functions the API and the CLI use, so a value is refused for the same reason, in the
same words, wherever it comes from. The problems then come back to the fields here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length

from lab.accounts import TOKEN_DAYS_DEFAULT
from lab.pilots.approval import NOTE_LENGTH
from lab.vocabulary import DECIDED, Arm, NoteKind, Outcome, Phase, TokenScope, UserRole, values

DATE = {"type": "date"}
NUMBER = {"inputmode": "decimal"}


def choices(allowed: Iterable[str], blank: str | None = None,
            labels: dict[str, str] | None = None) -> list[SelectChoice]:
    """Return select choices (a vocabulary or a list of values), labelled as people read them."""
    options = [SelectChoice(value, (labels or {}).get(value) or value.replace("_", " ")
                            .replace("-", " ")) for value in map(str, allowed)]
    return ([SelectChoice("", blank)] if blank is not None else []) + options


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class LoginForm(FlaskForm):
    email = StringField("Email", render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField("Password", render_kw={"autocomplete": "current-password"})


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password",
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField("New password", render_kw={"autocomplete": "new-password"})


class TokenForm(FlaskForm):
    name = StringField("Token name", render_kw={"placeholder": "e.g. weekly import script"})
    scope = SelectField("May", choices=choices(
        values(TokenScope), labels={"read": "read only", "write": "read and write"}))
    days = StringField("Expires after (days)", default=str(TOKEN_DAYS_DEFAULT))


class UserForm(FlaskForm):
    email = StringField("Email")
    name = StringField("Name")
    role = SelectField("Role", choices=choices(UserRole))
    password = PasswordField("Initial password", render_kw={"autocomplete": "new-password"})


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=choices(UserRole))


class CatalogueForm(FlaskForm):
    catalogue = SelectField("Catalogue", choices=choices(["channel", "segment"]))
    name = StringField("Name", render_kw={"placeholder": "lower-case key, e.g. whatsapp"})


class ObservationForm(FlaskForm):
    metric = SelectField("Metric", choices=[])
    arm = SelectField("Arm", choices=choices(Arm))
    phase = SelectField("Phase", choices=choices(Phase), default=str(Phase.during))
    period = StringField("Period starting", render_kw=DATE)
    successes = StringField("Successes", render_kw=NUMBER)
    trials = StringField("Trials", render_kw=NUMBER)
    n = StringField("n", render_kw=NUMBER)
    mean = StringField("Mean", render_kw=NUMBER)
    sd = StringField("SD", render_kw=NUMBER)
    events = StringField("Events", render_kw=NUMBER)
    exposure = StringField("Exposure", render_kw=NUMBER)
    correct = BooleanField("This corrects a value logged before")


class UploadForm(FlaskForm):
    file = FileField("CSV file", render_kw={"accept": ".csv,text/csv"})
    correct = BooleanField("Rows that differ from logged values are corrections")


class NoteForm(FlaskForm):
    kind = SelectField("Kind", choices=choices(NoteKind))
    noted_on = StringField("Date", render_kw=DATE)
    source = StringField("Who said or saw it")
    text = TextAreaField("Note", render_kw={"rows": 3})


class SpendForm(FlaskForm):
    spent_on = StringField("Date", render_kw=DATE)
    amount = StringField("Amount", render_kw=NUMBER)
    description = StringField("What for")


class SignOffForm(FlaskForm):
    outcome = SelectField("Decision", choices=choices(DECIDED, labels={
        Outcome.scale_up: "Scale up", Outcome.revise: "Revise (a next iteration is drafted)",
        Outcome.withdraw: "Withdraw"}))
    rationale = TextAreaField("Rationale (required when it differs from the recommendation)",
                              render_kw={"rows": 4})


class ApprovalForm(FlaskForm):
    # The plan version the approver read: a plan edited since is refused, not approved.
    plan_hash = HiddenField()
    note = TextAreaField("Note (optional: why, or on what condition)", render_kw={"rows": 2},
                         validators=[Length(max=NOTE_LENGTH)])


def values(form: FlaskForm, *names: str) -> dict[str, Any]:
    """Return the named fields as submitted, with blanks left out."""
    found = {}
    for name in names:
        value = form[name].data
        if isinstance(value, str):
            value = value.strip()
        if value not in ("", None):
            found[name] = value
    return found


def field_at(form: Any, path: str) -> Field | None:
    """Find the field a dotted problem path ('pilot.team.0.name') points at."""
    node: Any = form
    for part in path.split("."):
        if hasattr(node, "entries") and part.isdigit():
            if int(part) >= len(node.entries):
                break
            node = node.entries[int(part)]
            continue
        found = _child(node, part)
        if found is None:
            break
        node = found
    return node if isinstance(node, Field) and not hasattr(node, "entries") else None


def _child(node: Any, name: str) -> Any:
    # A field named like a form method carries a trailing "_" (see lab.web.registration).
    for candidate in (name, name + "_"):
        try:
            return node[candidate]
        except (KeyError, TypeError):
            continue
    return None


def place_problems(form: FlaskForm, problems: list[dict[str, str]]) -> list[str]:
    """Put each problem next to its field; return those no field can show."""
    unplaced = []
    for problem in problems:
        field = field_at(form, problem["field"]) if problem["field"] else None
        if field is None or hasattr(field, "form"):
            label = problem.get("label", problem["field"])
            unplaced.append(f"{label}: {problem['reason']}" if label else problem["reason"])
        else:
            field.errors = [*field.errors, problem["reason"]]
    return unplaced
