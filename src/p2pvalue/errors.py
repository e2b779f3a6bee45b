"""Errors that reach a caller with a precise, machine-readable reason."""

from __future__ import annotations


class P2PError(Exception):
    """A refusal with a stable `code`, a human `message` and the HTTP status it maps to."""

    status = 400

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        if status is not None:
            self.status = status


class EventError(P2PError):
    """An event that is not well-formed, not correctly signed, or cannot join the log."""

    status = 422


class NotFound(P2PError):
    status = 404


class Unauthorized(P2PError):
    status = 401


class Forbidden(P2PError):
    status = 403


class Conflict(P2PError):
    status = 409
