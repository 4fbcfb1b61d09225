"""The tables of lab. Importing this package registers them all on SQLModel.metadata."""

from lab.models.briefs import DecisionBrief
from lab.models.catalogue import Channel, Segment
from lab.models.governance import AuditEvent, Decision
from lab.models.logged import VALUE_COLUMNS, Note, Observation, Spend
from lab.models.notices import Notice, NoticeSubscription
from lab.models.people import ApiToken, LoginThrottle, User
from lab.models.pilots import Hypothesis, Metric, Pilot, TeamMember
from lab.models.programme import (
    BacklogEntry,
    Initiative,
    LearningCard,
    LearningFeedback,
    NoteStance,
    PlanApproval,
)
from lab.models.standby import StandbyFiring
from lab.models.stored import LabVersion, StoredRecommendation

__all__ = [
    "ApiToken", "AuditEvent", "BacklogEntry", "Channel", "Decision", "DecisionBrief",
    "Hypothesis", "Initiative", "LabVersion", "LearningCard", "LearningFeedback",
    "LoginThrottle", "Metric", "Note", "NoteStance", "Notice", "NoticeSubscription",
    "Observation", "Pilot", "PlanApproval", "Segment", "Spend", "StandbyFiring",
    "StoredRecommendation", "TeamMember", "User", "VALUE_COLUMNS",
]
