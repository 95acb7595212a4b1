"""The history store (SQLite, or PostgreSQL by URL) and what changed between runs.

``store.py`` reads and writes (SQLAlchemy 2, schema by Alembic in
``migrations/``); ``changes.py`` is pure and what the report uses. Importing
this package imports no database library: the report must not need one.
"""
