"""Trusted documents: in production the app's endpoint runs only the operations the app ships.

The manifest (`mobile_contract/trusted-documents.json`, made by `loyalty contract manifest`)
maps each operation's id, `sha256:<hex of its UTF-8 text>`, to the text in
`mobile_contract/operations/`. The app sends `{"documentId": "sha256:…", "variables": …}`;
the full text is accepted too when its hash is in the manifest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from starlette.responses import JSONResponse

CONTRACT = Path(__file__).resolve().parents[1] / "mobile_contract"
OPERATIONS = CONTRACT / "operations"
DEFAULT_MANIFEST = CONTRACT / "trusted-documents.json"

# Codes of refused requests (transport errors: they come with no data and a 4xx status).
PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
UNTRUSTED_DOCUMENT = "UNTRUSTED_DOCUMENT"
USE_APP_ENDPOINT = "USE_APP_ENDPOINT"


class ManifestError(Exception):
    """The manifest cannot be read, or an id in it does not match its text."""


class Refused(Exception):
    """A request refused before execution, answered as a GraphQL error with its code."""

    def __init__(self, code: str, message: str, status_code: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status_code = status_code

    def response(self) -> JSONResponse:
        error = {"message": self.message, "extensions": {"code": self.code}}
        return JSONResponse({"errors": [error]}, status_code=self.status_code)


def document_id(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def manifest_from(operations: Path = OPERATIONS) -> dict[str, str]:
    """Every operation file, by its id."""
    texts = [path.read_text(encoding="utf-8") for path in sorted(operations.glob("*.graphql"))]
    return {document_id(text): text for text in texts}


def manifest_json(manifest: Mapping[str, str]) -> str:
    return json.dumps(dict(sorted(manifest.items())), indent=2, ensure_ascii=False) + "\n"


def load_manifest(path: Path) -> dict[str, str]:
    hint = "(run `loyalty contract manifest`, or set LOYALTY_TRUSTED_DOCUMENTS)"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ManifestError(f"cannot read the trusted documents {path}: {exc} {hint}") from None
    if not isinstance(manifest, dict) or not all(isinstance(t, str) for t in manifest.values()):
        raise ManifestError(f"{path} is not a JSON object of document ids to texts {hint}")
    if wrong := [key for key, text in manifest.items() if key != document_id(text)]:
        raise ManifestError(f"{path}: ids that are not the sha256 of their text: {wrong} {hint}")
    return manifest


@dataclass(frozen=True, slots=True)
class TrustedDocuments:
    """The app's documents by id. `enforced`: refuse any other document (production)."""

    documents: Mapping[str, str]
    enforced: bool

    def resolve(self, requested_id: object, query: str | None) -> str | None:
        """The text to run for a request that named `requested_id` (or None) and sent `query`."""
        if requested_id is not None:
            text = self.documents.get(requested_id) if isinstance(requested_id, str) else None
            if text is None:
                raise Refused(
                    PERSISTED_QUERY_NOT_FOUND,
                    f"no trusted document has the id {requested_id!r}: update the app, or "
                    "regenerate the manifest with `loyalty contract manifest`",
                )
            return text
        if self.enforced and (query is None or document_id(query) not in self.documents):
            raise Refused(
                UNTRUSTED_DOCUMENT,
                'this endpoint runs only the app\'s operations: send {"documentId": '
                '"sha256:<hex>", "variables": {...}} (mobile_contract/trusted-documents.json)',
            )
        return query


def for_app_endpoint(path: Path | None, enforced: bool) -> TrustedDocuments:
    """The manifest at `path` (default: the repository's). Production without it cannot run;
    elsewhere a missing manifest only means ids are unknown (any text is run)."""
    path = path or DEFAULT_MANIFEST
    if not enforced and not path.exists():
        return TrustedDocuments({}, enforced=False)
    return TrustedDocuments(load_manifest(path), enforced)
