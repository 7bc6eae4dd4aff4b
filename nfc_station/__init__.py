"""The NFC card station (issue 7): a reader thread, the card record, an offline queue, and an
HTTP client of the club's API. It imports nothing of the server: it talks to it over HTTP."""
