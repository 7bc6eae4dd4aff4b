"""What the jobs' tests share: nothing leaves loopback, and an FCM stand-in with its account."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.standins.fcm import FcmStandin, running, write_service_account

# google-auth looks up the service account's "regional access boundary" in the background
# after a token refresh; that lookup is refused here and it carries on without one.
MAY_BE_REFUSED = {"iamcredentials.googleapis.com"}


@pytest.fixture
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Nothing leaves this machine: a name or an address off loopback is refused, and the test
    fails unless it is a lookup google-auth makes on its own."""
    refused: list[str] = []
    getaddrinfo, connect = socket.getaddrinfo, socket.socket.connect

    def local_getaddrinfo(host, *args, **kwargs):
        if host not in ("localhost", None) and not _loopback(host):
            refused.append(host)
            raise socket.gaierror(socket.EAI_NONAME, f"{host} is off loopback")
        return getaddrinfo(host, *args, **kwargs)

    def local_connect(sock: socket.socket, address) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address[0]):
            refused.append(address[0])
            raise ConnectionRefusedError(f"{address[0]} is off loopback")
        connect(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", local_getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", local_connect)
    yield
    assert set(refused) <= MAY_BE_REFUSED, f"tried to reach {sorted(set(refused))}"


def _loopback(host: str | bytes) -> bool:
    try:
        return ipaddress.ip_address(host.decode() if isinstance(host, bytes) else host).is_loopback
    except ValueError:
        return False


@pytest.fixture
def standin() -> Iterator[FcmStandin]:
    with running(FcmStandin()) as serving:
        yield serving


@pytest.fixture
def account(standin: FcmStandin, tmp_path: Path) -> Path:
    return write_service_account(tmp_path / "service-account.json", standin)
