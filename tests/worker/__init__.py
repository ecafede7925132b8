"""Tests of the feed worker, against a fixture HTTP server on 127.0.0.1."""
