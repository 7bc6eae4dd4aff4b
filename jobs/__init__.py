"""Background work: the arq worker and its tasks (thin: they decode arguments and call
`loyalty`), the cron schedule, the in-process runner used without Redis, and the senders for
the channels (FCM push, SMS)."""
