"""Managers set up the club: branches and staff accounts."""

from typing import Annotated

import strawberry
from strawberry.types import Info

from loyalty import staff
from schema.context import Context
from schema.errors import INPUT, ConflictError, NotFoundError, result_union, returns_errors
from schema.types import Branch, StaffRole, StaffUser, parse_id


@strawberry.input(description="A new branch.")
class CreateBranchInput:
    code: str = strawberry.field(description="Short code, unique in the club (A-Z, 0-9, _ -).")
    name: str = strawberry.field(description="Name shown to people.")
    city: str = strawberry.field(default="", description="City the branch is in.")


@strawberry.input(description="A new staff account.")
class CreateStaffUserInput:
    username: str = strawberry.field(description="Sign-in name (a-z, 0-9, _ . -).")
    password: str = strawberry.field(description="At least 10 characters.")
    role: StaffRole = strawberry.field(description="What the user may do.")
    display_name: str = strawberry.field(default="", description="Name shown to people.")
    branch_id: strawberry.ID | None = strawberry.field(
        default=None, description="Bind the user to a branch (required for stations)."
    )


@strawberry.type(description="A branch was created.")
class BranchCreated:
    branch: Branch = strawberry.field(description="The new branch.")


@strawberry.type(description="A staff account was created.")
class StaffUserCreated:
    staff: StaffUser = strawberry.field(description="The new staff user.")


CreateBranchResult = result_union(
    "CreateBranchResult", "Result of createBranch.", BranchCreated, ConflictError
)
CreateStaffUserResult = result_union(
    "CreateStaffUserResult",
    "Result of createStaffUser.",
    StaffUserCreated,
    ConflictError,
    NotFoundError,
)


@strawberry.type
class BackOfficeMutations:
    @strawberry.mutation(description="Manager: open a branch.")
    @returns_errors
    async def create_branch(
        self,
        info: Info[Context, None],
        input: Annotated[CreateBranchInput, strawberry.argument(description=INPUT)],
    ) -> CreateBranchResult:
        branch = await staff.create_branch(
            info.context.require_actor(), code=input.code, name=input.name, city=input.city
        )
        return BranchCreated(branch=Branch.from_model(branch))

    @strawberry.mutation(description="Manager: create a staff account.")
    @returns_errors
    async def create_staff_user(
        self,
        info: Info[Context, None],
        input: Annotated[CreateStaffUserInput, strawberry.argument(description=INPUT)],
    ) -> CreateStaffUserResult:
        user = await staff.create_staff(
            info.context.require_actor(),
            username=input.username,
            password=input.password,
            role=input.role,
            display_name=input.display_name,
            branch_id=parse_id(input.branch_id, "branchId") if input.branch_id else None,
        )
        return StaffUserCreated(staff=StaffUser.from_model(user))
