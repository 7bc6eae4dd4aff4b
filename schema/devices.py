"""The member app registers the phones it runs on, for push notifications."""

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from loyalty import devices
from loyalty import models as m
from schema.context import Context
from schema.errors import INPUT, NotFoundError, result_union, returns_errors


@strawberry.enum(description="The kind of device.")
class DevicePlatform(Enum):
    ANDROID = "android"
    IOS = "ios"
    WEB = "web"


@strawberry.type(description="A device the member's notifications go to.")
class Device:
    id: strawberry.ID = strawberry.field(description="The device's id.")
    platform: DevicePlatform = strawberry.field(description="Android, iOS or the web.")
    registered_at: datetime = strawberry.field(description="When it was first registered.")
    last_seen_at: datetime = strawberry.field(description="When it last registered.")

    @classmethod
    def from_model(cls, row: m.Device) -> "Device":
        return cls(
            id=strawberry.ID(str(row.id)),
            platform=DevicePlatform(row.platform),
            registered_at=row.created_at,
            last_seen_at=row.last_seen_at,
        )


@strawberry.input(description="A push token of this app on this phone.")
class RegisterDeviceInput:
    token: str = strawberry.field(description="The FCM registration token.")
    platform: DevicePlatform = strawberry.field(description="Android, iOS or the web.")


@strawberry.input(description="A push token to stop sending to.")
class UnregisterDeviceInput:
    token: str = strawberry.field(description="The FCM registration token.")


@strawberry.type(description="Notifications now go to this device.")
class DeviceRegistered:
    device: Device = strawberry.field(description="The device.")


@strawberry.type(description="Notifications no longer go to this device.")
class DeviceUnregistered:
    token: str = strawberry.field(description="The token that was removed.")


RegisterDeviceResult = result_union(
    "RegisterDeviceResult", "Result of registerDevice.", DeviceRegistered
)
UnregisterDeviceResult = result_union(
    "UnregisterDeviceResult", "Result of unregisterDevice.", DeviceUnregistered, NotFoundError
)


@strawberry.type
class DeviceMutations:
    @strawberry.mutation(
        description="Member: send my notifications to this phone (call after each sign-in and "
        "whenever FCM gives the app a new token; calling again changes nothing)."
    )
    @returns_errors
    async def register_device(
        self,
        info: Info[Context, None],
        input: Annotated[RegisterDeviceInput, strawberry.argument(description=INPUT)],
    ) -> RegisterDeviceResult:
        device = await devices.register(
            info.context.require_actor(), token=input.token, platform=input.platform.value
        )
        return DeviceRegistered(device=Device.from_model(device))

    @strawberry.mutation(description="Member: stop sending my notifications to this phone.")
    @returns_errors
    async def unregister_device(
        self,
        info: Info[Context, None],
        input: Annotated[UnregisterDeviceInput, strawberry.argument(description=INPUT)],
    ) -> UnregisterDeviceResult:
        await devices.unregister(info.context.require_actor(), token=input.token)
        return DeviceUnregistered(token=input.token)
