"""Signing in: members by phone and one-time code, staff by username and password."""
