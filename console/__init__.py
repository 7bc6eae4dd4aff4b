"""The happy-call console: a Textual app operators phone members from.

It talks to the club's API over HTTP like any other client (console.client is the only module
that does), and keeps the results it could not send yet in a local queue (console.outbox).
"""
