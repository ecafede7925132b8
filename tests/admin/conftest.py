"""Admin fixtures: `keeper` and `browser` (a client signed in as the keeper) live in tests/conftest.py,
shared with the submissions tests; the sign-in steps are in tests/admin/forms.py."""
