"""The JSON API for programs, under /api/v1; its OpenAPI document is generated.

Scripts authenticate with `Authorization: Bearer <token>` and need no CSRF token; a
browser session may call the API too, but then every write needs the CSRF token
(header X-CSRFToken), because a cookie is sent by any site's form.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, request
from flask_login import current_user

from lab import accounts, db
from lab.models import User
from lab.pilots import evidence, find, firings, lifecycle, reads, registry, stances
from lab.pilots.observations import ObservationError, record_observations
from lab.pilots.plans import Preregistration
from lab.portfolio import recommendations
from lab.portfolio.standing import target_attainment
from lab.vocabulary import TokenScope
from lab.web import replies, tables
from lab.web import schemas as s
from lab.web.checkschemas import CheckOut
from lab.web.openapi import Api
from lab.web.queries import writing
from lab.web.security import csrf, is_fresh, use_token_account
from lab.web.signoff import sign_off_now

bp = Blueprint("api", __name__, url_prefix="/api/v1")
api = Api(bp)
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


@bp.before_request
def authenticate() -> None:
    """Take the bearer token if there is one; otherwise a session write needs CSRF."""
    header = request.headers.get("Authorization", "")
    if not header:
        if request.method in UNSAFE:
            if not current_user.is_authenticated:
                abort(401, "Sign in, or send an API token as Authorization: Bearer <token>.")
            csrf.protect()
        return
    scheme, _, secret = header.partition(" ")
    found = accounts.user_for_token(db.session(), secret.strip()) \
        if scheme.lower() == "bearer" else None
    if found is None:
        abort(401, "The bearer token is unknown, revoked or expired "
                   "(send Authorization: Bearer <token>).")
    user, token = found
    if request.method in UNSAFE and token.scope != TokenScope.write:
        abort(403, f"This token may only read (scope {token.scope}); "
                   "create a token with the write scope to change anything.")
    use_token_account(user)
    if accounts.stale_use(token):
        with writing() as write:
            accounts.note_use(write, token_id=token.id)


@bp.get("/openapi.json")
def openapi():
    """Return the OpenAPI document of this API."""
    return jsonify(api.document("lab API", "1"))


def pilot_row(key: str) -> reads.PilotRow:
    """Return the pilot's row, or answer 404."""
    return reads.pilot_row(db.session(), key)



@api.route("GET", "/hypotheses", summary="List hypotheses", reply=s.HypothesisList,
           tag="hypotheses")
def list_hypotheses():
    """List every hypothesis with its pilots."""
    grouped: dict[str, list] = {}
    for row in reads.pilot_rows(db.session()):
        grouped.setdefault(row.hypothesis.key, []).append(row)
    return s.HypothesisList(hypotheses=[replies.hypothesis_out(rows, rows[0].hypothesis)
                                        for rows in grouped.values()])


@api.route("GET", "/hypotheses/<key>", summary="Get a hypothesis", reply=s.HypothesisOut,
           tag="hypotheses")
def get_hypothesis(key: str):
    """Describe one hypothesis."""
    found = find.get_hypothesis(db.session(), key)
    return replies.hypothesis_out(reads.pilot_rows(db.session(), hypothesis_id=found.id),
                                  found)


@api.route("GET", "/pilots", summary="List pilots", reply=s.PilotList, query=s.PilotQuery)
def list_pilots(query: s.PilotQuery):
    """List pilots, optionally by status or hypothesis."""
    session = db.session()
    spent = reads.spend_totals(session)
    rows = [row for row in reads.pilot_rows(session)
            if query.status in (None, row.pilot.status)
            and query.hypothesis in (None, row.hypothesis.key)]
    answers = recommendations(session, full=False)
    return s.PilotList(pilots=[replies.pilot_out(session, row, spent.get(row.pilot.id, 0.0),
                                                 _attainment(answers.get(row.pilot.key)))
                               for row in rows])


def _attainment(answer: dict | None) -> str | None:
    """Return where a pilot's service-level targets stand (None: none, or a draft)."""
    return target_attainment((answer or {}).get("metrics") or [])


@api.route("POST", "/pilots", summary="Register a pilot's plan (create or update a draft)",
           reply=s.RegistrationOut, role="member", body=Preregistration, conflicts=True)
def register_pilot(body: Preregistration):
    """Register a pre-registration, exactly as `lab sync` would."""
    with writing() as write:
        result = registry.register(write, spec=body, actor=current_user.email,
                                   source="request")
    return s.RegistrationOut.model_validate(result, from_attributes=True)


@api.route("GET", "/pilots/<key>", summary="Get a pilot", reply=s.PilotOut)
def get_pilot(key: str):
    """Describe one pilot."""
    row, session = pilot_row(key), db.session()
    return replies.pilot_out(session, row, evidence.spend_total(session, row.pilot.id),
                             _attainment(recommendations(session, [key], full=False).get(key)))


@api.route("POST", "/pilots/<key>/start", summary="Start a draft pilot (locks its plan)",
           reply=s.PilotOut, role="member", conflicts=True)
def start_pilot(key: str):
    """Start a draft pilot."""
    with writing() as write:
        lifecycle.start(write, pilot_key=key, actor=current_user.email,
                        approval_required=current_app.config["APPROVAL"])
        row = reads.pilot_row(write, key)
        return replies.pilot_out(write, row, evidence.spend_total(write, row.pilot.id))


@api.route("GET", "/pilots/<key>/observations", summary="List a pilot's observations",
           reply=s.ObservationList, tag="observations")
def list_observations(key: str):
    """List every observation of a pilot."""
    row = pilot_row(key)
    return s.ObservationList(pilot=key, observations=[
        replies.observation_out(observation, metric)
        for observation, metric in reads.observations(db.session(), row.pilot.id)])


@api.route("POST", "/pilots/<key>/observations", summary="Log observations (idempotent)",
           reply=s.ImportOut, role="member", body=s.ObservationBatch, tag="observations")
def log_observations(key: str, body: s.ObservationBatch):
    """Log a batch of rows: all or none; re-sending the same rows changes nothing."""
    pilot_row(key)
    rows = [{"pilot": key, **row.model_dump(exclude_none=True)} for row in body.rows]
    try:
        with writing() as write:
            result = record_observations(write, rows=rows, actor=current_user.email,
                                         correct=body.correct, source="request")
    except ObservationError as error:
        # Line n of the rows is the nth row; name it as the request reads it.
        error.problems = [(f"rows[#{p.line}].{p.column}".rstrip(".") if p.line else p.column,
                           p.message) for p in error.problems]
        raise
    return s.ImportOut.model_validate(result, from_attributes=True)


@api.route("GET", "/pilots/<key>/check", summary="Check a pilot: its recommendation",
           reply=CheckOut, tag="checks")
def check_pilot(key: str):
    """Return the pilot's recommendation, as `lab check --json` prints it, and fired rules."""
    row = pilot_row(key)
    found = recommendations(db.session(), [key]).get(key)
    if found is None:
        abort(404, f"pilot '{key}' is a draft: there is nothing to check until it starts")
    fired = firings.by_pilot(db.session(), [row.pilot.id]).get(row.pilot.id, [])
    return CheckOut.model_validate({**found, "standby": fired})


@api.route("GET", "/pilots/<key>/decisions", summary="List decisions on a pilot's iterations",
           reply=s.DecisionList, tag="decisions")
def list_decisions(key: str):
    """List the signed-off decisions of every iteration of this pilot."""
    session = db.session()
    chain = reads.iterations(session, pilot_row(key).pilot)
    return s.DecisionList(decisions=[replies.decision_out(session, pilot, decision)
                                     for pilot, decision in chain if decision])


@api.route("POST", "/pilots/<key>/decisions", summary="Sign off a decision (managers, fresh "
           "browser sign-in)", reply=s.DecisionOut, role="manager", body=s.DecisionIn,
           status=201, conflicts=True, tag="decisions")
def sign_off(key: str, body: s.DecisionIn):
    """Sign off a running pilot; never its owner, and never with a token."""
    pilot_row(key)
    if current_user.by_token or not is_fresh():
        abort(403, "Signing off needs a browser sign-in within the last "
                   "LAB_FRESH_LOGIN_MINUTES minutes; API tokens cannot sign off.")
    return sign_off_now(key, body.outcome, body.rationale)


@api.route("GET", "/pilots/<key>/notes", summary="List a pilot's notes", reply=s.NoteList,
           tag="evidence")
def list_notes(key: str):
    """List a pilot's notes, newest first."""
    session, pilot = db.session(), pilot_row(key).pilot
    marked = stances.of_pilot(session, pilot.id)
    return s.NoteList(notes=[replies.note_out(note, marked.get(note.id))
                             for note in replies.notes_of(session, pilot.id)])


@api.route("POST", "/pilots/<key>/notes", summary="Add a note", reply=s.NoteOut,
           role="member", body=s.NoteIn, status=201, tag="evidence")
def add_note(key: str, body: s.NoteIn):
    """Attach a note to a pilot."""
    with writing() as write:
        note = evidence.add_note(write, pilot_key=key, actor=current_user.email,
                                 **body.model_dump())
        return replies.note_out(note)


@api.route("GET", "/pilots/<key>/spend", summary="List a pilot's spend", reply=s.SpendList,
           tag="evidence")
def list_spend(key: str):
    """List a pilot's spend with the total against the budget."""
    pilot = pilot_row(key).pilot
    entries = replies.spend_of(db.session(), pilot.id)
    return s.SpendList(total=sum(entry.amount for entry in entries), budget=pilot.budget,
                       currency=pilot.currency,
                       spend=[replies.spend_out(entry) for entry in entries])


@api.route("POST", "/pilots/<key>/spend", summary="Record spend", reply=s.SpendOut,
           role="member", body=s.SpendIn, status=201, tag="evidence")
def add_spend(key: str, body: s.SpendIn):
    """Record spend against a pilot's budget."""
    with writing() as write:
        spend = evidence.add_spend(write, pilot_key=key, actor=current_user.email,
                                   **body.model_dump())
        return replies.spend_out(spend)


@api.route("GET", "/tokens", summary="List your API tokens", reply=s.TokenList,
           role="analyst", tag="tokens")
def list_tokens():
    """List one's own tokens that are not revoked."""
    return s.TokenList(tokens=[replies.token_out(token)
                               for token in accounts.tokens_of(db.session(), current_user.id)])


@api.route("POST", "/tokens", summary="Create an API token", reply=s.TokenCreated,
           role="analyst", body=s.TokenIn, status=201, tag="tokens")
def create_token(body: s.TokenIn):
    """Create a token; its secret is in this reply only."""
    with writing() as write:
        token, secret = accounts.create_token(write, user=write.get(User, current_user.id),
                                              name=body.name, scope=body.scope, days=body.days)
        return s.TokenCreated(**replies.token_out(token).model_dump(), secret=secret)


@api.route("DELETE", "/tokens/<id:token_id>", summary="Revoke one of your API tokens",
           reply=None, role="analyst", status=204, tag="tokens")
def revoke_token(token_id: int):
    """Revoke a token of one's own."""
    with writing() as write:
        accounts.revoke_token(write, user=write.get(User, current_user.id), token_id=token_id)


# The export's tables are their own module, routed here on this blueprint so they
# share its authentication and its OpenAPI document.
tables.register(api)
