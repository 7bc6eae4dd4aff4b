"""Members' privacy: who sees their phone number, their data exported, and erasure."""
