"""The app registers its phone for push notifications, and the member sees it."""

from __future__ import annotations

from pathlib import Path

from tests.api.conftest import Api

OPERATIONS = Path(__file__).parent.parent.parent / "mobile_contract" / "operations"
REGISTER = (OPERATIONS / "RegisterDevice.graphql").read_text()
UNREGISTER = (OPERATIONS / "UnregisterDevice.graphql").read_text()
MY_DEVICES = "query { me { devices { platform } } }"


async def test_the_app_registers_and_unregisters_its_phone(api: Api) -> None:
    token, _ = await api.member_token()
    device = {"token": "fcm-token-1", "platform": "ANDROID"}
    registered = (await api.call(REGISTER, {"input": device}, token))["registerDevice"]
    assert registered["__typename"] == "DeviceRegistered"
    assert registered["device"]["platform"] == "ANDROID"
    assert (await api.call(MY_DEVICES, token=token))["me"]["devices"] == [{"platform": "ANDROID"}]

    gone = await api.call(UNREGISTER, {"input": {"token": "fcm-token-1"}}, token)
    assert gone["unregisterDevice"] == {"__typename": "DeviceUnregistered", "token": "fcm-token-1"}
    assert (await api.call(MY_DEVICES, token=token))["me"]["devices"] == []
    again = await api.call(UNREGISTER, {"input": {"token": "fcm-token-1"}}, token)
    assert again["unregisterDevice"]["code"] == "NOT_FOUND"


async def test_staff_and_strangers_cannot_register_a_device(api: Api) -> None:
    device = {"input": {"token": "t", "platform": "IOS"}}
    staff = await api.call(REGISTER, device, await api.staff_token())
    assert staff["registerDevice"]["code"] == "PERMISSION_DENIED"
    stranger = await api.call(REGISTER, device)
    assert stranger["registerDevice"]["code"] == "AUTHENTICATION_FAILED"
