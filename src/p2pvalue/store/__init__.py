"""The event store and its projections on SQLAlchemy Core (SQLite or PostgreSQL)."""
