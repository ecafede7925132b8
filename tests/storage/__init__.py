"""Tests of the storage layer on each database engine."""
