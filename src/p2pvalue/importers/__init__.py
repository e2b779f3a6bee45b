"""Bringing work recorded elsewhere (git, …) into a space's log as contribution claims."""
