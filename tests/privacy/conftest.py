"""Privacy tests use the API tests' in-process app and the happy-call tests' small club."""

from tests.api.conftest import api  # noqa: F401  (fixtures)
from tests.happycalls.conftest import club  # noqa: F401
from tests.happycalls.test_complaints_and_card import call  # noqa: F401
