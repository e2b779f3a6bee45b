"""Collaboration: projects, tasks and discussion threads folded from a space's log."""
