"""The programme read model: where each plan's approval stands, as a typed frame.

The notebooks read it (`lab.notebook.programme`); the approval queue page and the API
read the same `lab.pilots.approval.queue`, so the three cannot disagree.
"""

from __future__ import annotations

import pandas as pd
from sqlmodel import Session, col, select

from lab.models import Pilot, PlanApproval
from lab.pilots import approval, firings
from lab.pilots.frames import DATE, FLOAT, INT, STAMP, TEXT, category, typed
from lab.vocabulary import (
    Function,
    InitiativeStatus,
    Process,
    StandbyAction,
    StandbyBound,
    Status,
)

APPROVAL_STATES = ("approved", "stale", "awaiting")
APPROVALS = {"pilot": TEXT, "status": category(Status), "plan_hash": TEXT,
             "approved_by": TEXT, "approved_at": STAMP, "note": TEXT,
             "current": "boolean"}
INITIATIVES = {"key": TEXT, "name": TEXT, "function": category(Function), "channel": TEXT,
               "segment": TEXT, "process": category(Process),
               "status": category(InitiativeStatus), "start_date": DATE, "end_date": DATE,
               "measures": TEXT, "contact": TEXT, "adopted_as": TEXT, "overlaps": TEXT}
STANDBY = {"pilot": TEXT, "status": category(Status), "rule": INT, "metric": TEXT,
           "when": category(StandbyBound), "side": category(("above", "below")),
           "threshold": FLOAT, "value": FLOAT, "look": INT, "period": DATE,
           "action": category(StandbyAction), "fired_at": STAMP, "words": TEXT}
QUEUE = {"pilot": TEXT, "title": TEXT, "owner": TEXT,
         "approval": category(APPROVAL_STATES), "plan_hash": TEXT,
         "approved_by": TEXT, "approved_at": STAMP}


def approvals_frame(session: Session) -> pd.DataFrame:
    """Return every approval ever given, one row each, oldest first.

    `current` tells whether it approves the pilot's plan as it stands (a plan edited
    after its approval leaves that approval on record, no longer current).
    """
    rows = session.exec(select(PlanApproval, Pilot).join(Pilot)
                        .order_by(col(PlanApproval.id)))
    return typed([{"pilot": pilot.key, "status": pilot.status, "plan_hash": row.plan_hash,
                   "approved_by": row.approved_by, "approved_at": row.approved_at,
                   "note": row.note, "current": row.plan_hash == approval.plan_hash(pilot.plan)}
                  for row, pilot in rows], APPROVALS)


def queue_frame(session: Session) -> pd.DataFrame:
    """Return the approval queue: every draft with where its approval stands."""
    return typed([{"pilot": pilot.key, "title": pilot.title, "owner": pilot.owner,
                   "approval": found.status, "plan_hash": found.plan_hash,
                   "approved_by": found.current.approved_by if found.current else None,
                   "approved_at": found.current.approved_at if found.current else None}
                  for pilot, found in approval.queue(session)], QUEUE)


def standby_frame(session: Session) -> pd.DataFrame:
    """Return every stand-by rule that fired, one row each, in the order they fired."""
    pilots = {pilot.id: pilot for pilot in session.exec(select(Pilot))}
    return typed([{**{name: entry[name] for name in STANDBY if name in entry},
                   "pilot": pilots[pilot_id].key, "status": pilots[pilot_id].status}
                  for pilot_id, fired in firings.by_pilot(session).items()
                  for entry in fired], STANDBY)
