"""The demo's accounts: one per role, with passwords printed for people trying the app."""

from __future__ import annotations

from sqlmodel import Session

from lab.accounts import ROLES, add_user, find_user


def demo_emails() -> list[str]:
    """Return the demo accounts' emails, one per role."""
    return [f"{role}@lab.example" for role in ROLES]


def create_demo_users(session: Session) -> list[tuple[str, str, str]]:
    """Create one demo user per role (if missing); return (email, password, role)."""
    credentials = []
    for role, email in zip(ROLES, demo_emails(), strict=True):
        password = f"demo-{role}"
        if find_user(session, email) is None:
            add_user(session, email=email, password=password, role=role, actor="demo",
                     name=f"Demo {role}")
        credentials.append((email, password, role))
    return credentials
