"""Behaviour analysis: each member's figures kept current by a job, RFM scores and segments,
the churn-risk flag, the segments' history, and the segments managers save for campaigns.

- `figures`: the per-member figures, set-based SQL (SQLite and PostgreSQL);
- `rfm`: scores, named segments, churn risk, snapshots and movement;
- `runs`: the nightly full run and the cheap incremental one the jobs call;
- `reads`: what managers read; `saved`: saved segments.
"""
