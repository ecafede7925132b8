"""Plain helpers that tests, conftest files and bench/ import like any module (fixtures stay in conftest)."""
