"""Campaigns: a manager messages a segment of members, with a holdout group that gets nothing.

- `segments`: who a campaign is for (tier, branch, age, gender, city, spend, visits, days
  since the last visit), evaluated in SQL, with a count to preview.
- `templates`: the title and body, filled in with each member's name.
- `manage`: managers create, change, schedule and cancel campaigns (versioned, audited).
- `holdout`: the random, reproducible draw of the members held out.
- `sending`: the start when due (the audience, the holdout, the chunks) and each chunk's send.
- `report`: progress while sending; delivery, redemptions and the uplift over the holdout.
"""
