"""Membership as people meet it: invitations by username or by link, and join requests."""
