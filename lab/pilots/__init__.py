"""The pilot domain: plans, the registry and its lock, lifecycle, decisions, evidence,
observations and the audit log. Plain functions taking the session as a keyword; the
caller's `db.writing()` block commits."""
