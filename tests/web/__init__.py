"""Tests of the HTTP layer: the JSON API in-process, the pages in a real browser."""
