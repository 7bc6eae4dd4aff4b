"""The happy-call tests' club and its worked day (tests/happycalls), for the surveys report."""

from tests.happycalls.conftest import club  # noqa: F401 - the fixture
from tests.happycalls.test_stats import worked  # noqa: F401 - the fixture
