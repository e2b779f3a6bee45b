"""Pages and API of a space's health."""
