"""The database's errors as the edges map them (the web edge answers 503 or 422)."""

from __future__ import annotations

from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

UNAVAILABLE: tuple[type[Exception], ...] = (OperationalError, InterfaceError, PoolTimeout)
"""A lost connection (server restarted, network cut) or an exhausted pool: the transaction was
rolled back, nothing half-written, and the client may retry."""

OutOfRange = DataError
"""A value the database cannot hold (a 64-bit id on a 32-bit column): the client's mistake."""

DatabaseError = DBAPIError
"""Any error the driver raised; ``connection_invalidated`` says whether the connection died."""

__all__ = ["UNAVAILABLE", "DatabaseError", "OutOfRange"]
