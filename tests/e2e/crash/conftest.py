"""The crash test runs on both journal back ends, as the order path's integration suites do."""

from integration.orders.conftest import journal_url, order_postgres

__all__ = ["journal_url", "order_postgres"]
