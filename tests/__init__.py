"""Blogroll's tests. A package, as every folder under it, so tests import helpers as `tests.helpers.…`."""

import pytest

# The helpers assert too; pytest rewrites their asserts as it does a test's, for its detailed failures.
pytest.register_assert_rewrite("tests.helpers")
