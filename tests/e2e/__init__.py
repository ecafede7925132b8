"""End-to-end tests: the Compose stack on a real Docker engine, only through its proxy."""
