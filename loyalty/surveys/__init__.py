"""Satisfaction surveys, for both channels: in the app after a purchase, and (with the
happy-call console) read out by operators on a call.

- `definitions`: what a survey asks (choice questions whose choices carry scores, 0-10
  ratings, yes/no, free text) and whom; an app survey asks 4-choice questions only, plus an
  optional comment.
- `manage`: managers create, change and switch surveys on and off (versioned, audited).
- `offers`: a member's pending survey, offered once per purchase.
- `answers`: answering once, for the survey's points, exactly once.
- `results`: counts and average scores per question, response rates; the reports build on it.
"""
