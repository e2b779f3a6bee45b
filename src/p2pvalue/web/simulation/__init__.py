"""The what-if API and pages of a space."""
