"""The API's programme operations: approvals, the backlog, learnings and initiatives.

They are declared on the API's own blueprint (`lab.web.api.api`), so they share its
authentication, its errors and its OpenAPI document; `lab.web.init_app` imports this
module before the blueprint is registered.
"""

from __future__ import annotations

from flask import abort, current_app
from flask_login import current_user

from lab import db
from lab.config import parse_weights
from lab.models import Pilot
from lab.pilots import backlog, initiatives, learnings, stances
from lab.portfolio import backlog as backlog_rows
from lab.portfolio import build
from lab.portfolio import learnings as library
from lab.portfolio.coverage import coverage
from lab.portfolio.figures import figures
from lab.web import approvals
from lab.web import approvalschemas as a
from lab.web import backlogschemas as b
from lab.web import figureschemas as e
from lab.web import initiativeschemas as d
from lab.web import learnings as learning_pages
from lab.web import learningschemas as c
from lab.web.api import api, pilot_row
from lab.web.queries import writing


@api.route("GET", "/approvals", summary="List drafts with where their approval stands",
           reply=a.ApprovalQueue, tag="approvals")
def list_approvals():
    """The approval queue, as the caller sees it (may they approve each draft?)."""
    return approvals.queue_of(db.session(), current_user.email)


@api.route("POST", "/pilots/<key>/approval", summary="Approve a draft's plan as it stands "
           "(a manager outside the pilot)", reply=a.ApprovalOut, role="manager",
           body=a.ApprovalIn, status=201, conflicts=True, tag="approvals")
def approve_plan(key: str, body: a.ApprovalIn):
    """Approve with the approver's own credentials: a session or a write-scope token."""
    pilot_row(key)
    return approvals.approve_now(key, body.note, body.plan_hash)


def weights() -> dict[str, float]:
    """Return the lab's backlog weights (LAB_BACKLOG_WEIGHTS)."""
    return parse_weights(current_app.config["BACKLOG_WEIGHTS"])


def entry_out(row: backlog_rows.BacklogRow) -> b.BacklogEntryOut:
    entry, hypothesis = row.entry, row.hypothesis
    scores = {name: getattr(entry, name) if entry else None
              for name in ("expected_value", *backlog.BACKLOG_SCORES)}
    return b.BacklogEntryOut(
        hypothesis=hypothesis.key, statement=hypothesis.statement, process=hypothesis.process,
        expected_benefit=hypothesis.expected_benefit, owner=hypothesis.owner,
        function=row.function or None, expected_unit=entry.expected_unit if entry else "",
        priority=row.priority, band=row.band, state=row.state,
        pilots=[key for key, _ in row.pilots], decisions=row.decisions,
        updated_at=entry.updated_at if entry else None, **scores)


@api.route("GET", "/backlog", summary="The backlog of hypotheses, ranked by priority",
           reply=b.BacklogOut, query=b.BacklogQuery, tag="backlog")
def list_backlog(query: b.BacklogQuery):
    """Rank the hypotheses (filtered), with the decisions counted by priority band."""
    chosen = weights()
    filters = {name: value for name, value in query.model_dump().items() if value}
    listed = backlog_rows.rows(db.session(), chosen, filters)
    return b.BacklogOut(weights=chosen, entries=[entry_out(row) for row in listed],
                        calibration=[b.BandOut(**vars(record), win_rate=record.win_rate)
                                     for record in backlog_rows.calibration(listed)])


@api.route("POST", "/backlog", summary="Put a new hypothesis on the backlog",
           reply=b.BacklogEntryOut, role="member", body=backlog.NewEntry, status=201,
           conflicts=True, tag="backlog")
def add_to_backlog(body: backlog.NewEntry):
    """Write a hypothesis with its expected benefit and scores, before any pilot."""
    with writing() as write:
        backlog.add(write, entry=body, actor=current_user.email)
    return _one(body.hypothesis.key)


@api.route("POST", "/hypotheses/<key>/scores", summary="Score or re-score a hypothesis",
           reply=b.BacklogEntryOut, role="member", body=backlog.Scores, tag="backlog")
def score_hypothesis(key: str, body: backlog.Scores):
    """Set the scores given (the others are kept); the change is audited."""
    with writing() as write:
        backlog.score(write, key=key, scores=body, actor=current_user.email)
    return _one(key)


def _one(key: str) -> b.BacklogEntryOut:
    session = db.session()
    session.expire_all()
    row = next(row for row in backlog_rows.rows(session, weights())
               if row.hypothesis.key == key)
    return entry_out(row)


def learning_out(row, feedback=(), marked=None) -> c.LearningOut:
    card, marked = row.card, marked or {}
    return c.LearningOut(
        pilot=row.pilot.key, title=row.pilot.title, hypothesis=row.hypothesis.key,
        process=row.hypothesis.process, channel=row.channel, segment=row.segment,
        outcome=row.decision.outcome, decided_by=row.decision.decided_by,
        decided_at=row.decision.decided_at, believed=card.believed, observed=card.observed,
        learned=card.learned, next_step=card.next_step, tags=row.tags,
        published_at=card.published_at,
        feedback=[c.FeedbackOut(author=f.author, text=f.text, created_at=f.created_at)
                  for f in feedback],
        supporting=[note.text for note in marked.get("supports", [])],
        contradicting=[note.text for note in marked.get("contradicts", [])])


@api.route("GET", "/learnings", summary="Search the learnings library",
           reply=c.LearningList, query=c.LearningQuery, tag="learnings")
def list_learnings(query: c.LearningQuery):
    """The cards matching every word of q and the filters (viewers: published only)."""
    filters = query.model_dump(exclude={"q"}, exclude_none=True)
    listed = library.rows(db.session(), query=query.q or "", filters=filters,
                          published_only=learning_pages.published_only())
    return c.LearningList(learnings=[learning_out(row) for row in listed])


def _learning(key: str) -> c.LearningOut:
    session = db.session()
    session.expire_all()
    learnings.decision_for(session, key)  # 404 for no pilot, or no decision
    row = next((row for row in library.rows(session) if row.pilot.key == key), None)
    if row is None or (row.card.published_at is None and learning_pages.published_only()):
        abort(404, f"the learning card of '{key}' is not published")
    return learning_out(row, learnings.feedback_on(session, row.card),
                        stances.marked_notes(session, row.pilot.id))


@api.route("GET", "/learnings/<key>", summary="Get a decision's learning card",
           reply=c.LearningOut, tag="learnings")
def get_learning(key: str):
    """One card with its feedback."""
    return _learning(key)


@api.route("POST", "/learnings/<key>", summary="Edit a learning card (its signer)",
           reply=c.LearningOut, role="manager", body=learnings.CardEdit, tag="learnings")
def edit_learning(key: str, body: learnings.CardEdit):
    """Change the fields sent; only the manager who signed the decision may."""
    with writing() as write:
        learnings.save(write, pilot_key=key, edit=body, actor=current_user.email)
    return _learning(key)


@api.route("POST", "/learnings/<key>/publish", summary="Publish a learning card (its "
           "signer)", reply=c.LearningOut, role="manager", conflicts=True, tag="learnings")
def publish_learning(key: str):
    """Make the card readable by everyone signed in."""
    with writing() as write:
        learnings.publish(write, pilot_key=key, actor=current_user.email)
    return _learning(key)


@api.route("POST", "/learnings/<key>/feedback", summary="Leave feedback on a published "
           "card (viewers too)", reply=c.FeedbackOut, role="viewer", body=c.FeedbackIn,
           status=201, tag="learnings")
def learning_feedback(key: str, body: c.FeedbackIn):
    """The one write a viewer may make."""
    with writing() as write:
        found = learnings.add_feedback(write, pilot_key=key, author=current_user.email,
                                       text=body.text)
        return c.FeedbackOut(author=found.author, text=found.text,
                             created_at=found.created_at)


def initiative_out(row) -> d.InitiativeOut:
    return d.InitiativeOut.model_validate(row, from_attributes=True)


@api.route("GET", "/initiatives", summary="Initiatives elsewhere, their overlaps with "
           "pilots and the coverage map", reply=d.InitiativeList, tag="initiatives")
def list_initiatives():
    """Every initiative, each clash with a pilot's scope, and the process × channel map."""
    session = db.session()
    found = coverage(session)
    return d.InitiativeList(
        initiatives=[initiative_out(row) for row in initiatives.listed(session)],
        clashes=[d.ClashOut(initiative=c.initiative, pilot=c.pilot, scope=c.scope,
                            start=c.start, end=c.end, message=c.message)
                 for c in initiatives.clashes(session)],
        coverage=[d.CellOut(process=process, channel=channel,
                            pilots=found.cell(process, channel).pilots,
                            initiatives=found.cell(process, channel).initiatives)
                  for process in found.processes for channel in found.channels])


@api.route("POST", "/initiatives", summary="Register or update an initiative elsewhere",
           reply=d.InitiativeOut, role="member", body=initiatives.InitiativeSpec,
           tag="initiatives")
def register_initiative(body: initiatives.InitiativeSpec):
    """Create the initiative, or update the one with this key."""
    with writing() as write:
        return initiative_out(initiatives.register(write, spec=body,
                                                   actor=current_user.email))


@api.route("POST", "/initiatives/<key>/adopt", summary="Adopt an initiative as a "
           "hypothesis on the backlog", reply=d.AdoptedOut, role="member", status=201,
           conflicts=True, tag="initiatives")
def adopt_initiative(key: str):
    """Put it on the backlog, prefilled; register its pilot next (POST /pilots)."""
    with writing() as write:
        return d.AdoptedOut(initiative=key, hypothesis=initiatives.adopt(
            write, key=key, actor=current_user.email))


@api.route("GET", "/programme/figures", summary="Programme figures per start quarter",
           reply=e.FigureList, tag="programme")
def programme_figures():
    """Win rate, share decided, weeks to decision, spend by outcome, summed extra outcomes."""
    quarters = []
    for q in figures(build(db.session())):
        low, high = q.extra_interval or (None, None)
        quarters.append(e.FigureOut(
            quarter=q.quarter, started=q.started, decided=q.decided,
            share_decided=q.share_decided, scaled_up=q.scaled_up, win_rate=q.win_rate,
            median_weeks=q.median_weeks,
            **{f"spend_{name}": value for name, value in q.spend.items()},
            extra_outcomes=q.extra if q.extra_pilots else None, extra_low=low,
            extra_high=high))
    return e.FigureList(quarters=quarters)


@api.route("POST", "/notes/<id:note_id>/stance", summary="Mark a note as supporting or "
           "contradicting its hypothesis", reply=c.StanceOut, role="member",
           body=c.StanceIn, tag="evidence")
def mark_note(note_id: int, body: c.StanceIn):
    """Set, change or (with null) remove the note's stance."""
    with writing() as write:
        note = stances.mark(write, note_id=note_id, stance=body.stance,
                            actor=current_user.email)
        return c.StanceOut(note=note_id, pilot=write.get(Pilot, note.pilot_id).key,
                           stance=body.stance)
