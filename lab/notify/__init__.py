"""Notices: telling people, by e-mail and signed webhook, when something needs them.

- `events`: what happened since the last run (an outcome changed, a decision is overdue,
  a plan awaits approval), each kept once as a Notice, so a scheduled `lab notify` sends
  every event exactly once (also when two runs overlap: see `delivery`).
- `delivery`: SMTP e-mail and the webhook (HMAC-signed JSON, retried with back-off).
- `digest`: the weekly HTML summary for managers (`lab digest`).

Secrets (the SMTP password, the webhook key) come from LAB_* settings (lab.config),
never from the database or the repository.
"""
