"""Storage: the models, the engine and sessions, migrations, and plain query functions."""
