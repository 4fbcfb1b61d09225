"""The browser tests use the web tests' accounts."""

from tests.web.conftest import password_hash, people  # noqa: F401 - fixtures, used by name
