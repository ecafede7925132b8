"""Tests of the HTML pages and the blogroll's own feeds (Atom, OPML)."""
