"""Tests of feed discovery, against the worker's fixture HTTP server on 127.0.0.1."""
