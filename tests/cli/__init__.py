"""The `blogroll` command, as an operator types it."""
