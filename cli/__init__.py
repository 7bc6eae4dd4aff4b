"""The `loyalty` command."""
