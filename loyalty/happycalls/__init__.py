"""Happy calls: operators phone members after a purchase and run a survey script.

- `rules`: which purchases managers want called (a sample, first purchases, big ones, low
  in-app survey scores), with which CALL survey, how urgently.
- `queue`: the job that fills the queue from recent purchases and expires what is late; an
  operator's atomic claim of the next call, and giving it back.
- `outcomes`: what came of a call, once per idempotency key: answers, retries at other times
  of day, a call back, a wrong number, a member who asks not to be called again.
- `complaints`: tickets raised from a call, and their follow-ups.
- `card`: what an operator sees of the member while calling.
- `stats`: an operator's own day, and the supervisors' view.
"""

from loyalty.models import Role

# Who works calls, and who watches the call centre.
WORKERS = (Role.OPERATOR, Role.SUPERVISOR, Role.MANAGER)
SUPERVISORS = (Role.SUPERVISOR, Role.MANAGER)
