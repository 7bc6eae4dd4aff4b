"""Privacy tests use the API tests' in-process app."""

from tests.api.conftest import api  # noqa: F401  (a fixture)
