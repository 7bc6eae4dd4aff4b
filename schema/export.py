"""The schema as SDL, for `mobile_contract/schema.graphql`."""

from loyalty.settings import get_settings
from schema import build_schema


def sdl() -> str:
    return build_schema(get_settings()).as_str() + "\n"
