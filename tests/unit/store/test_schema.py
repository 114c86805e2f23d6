"""The schema's column types: Decimals as exact text, times as aware UTC, on both back ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import StatementError

from ibbot.store import Journal
from ibbot.store.schema import DecimalText, UtcDateTime, state

T = datetime(2026, 3, 4, 14, 30, 0, 1, tzinfo=UTC)


def test_decimals_are_kept_as_their_text_and_floats_refused() -> None:
    column = DecimalText()
    dialect = sqlite.dialect()
    assert column.process_bind_param(Decimal("1.500"), dialect) == "1.500"
    assert column.process_result_value("1E+3", dialect) == Decimal("1E+3")
    assert column.process_bind_param(None, dialect) is None
    with pytest.raises(TypeError, match="needs a Decimal"):
        column.process_bind_param(1.5, dialect)  # type: ignore[arg-type]


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()], ids=["sqlite", "postgresql"])
def test_times_go_in_as_utc_and_come_back_aware(dialect: sa.Dialect) -> None:
    column = UtcDateTime()
    plus_two = T.astimezone(timezone(timedelta(hours=2)))
    bound = column.process_bind_param(plus_two, dialect)
    assert bound == (T.replace(tzinfo=None) if dialect.name == "sqlite" else T)
    back = column.process_result_value(bound, dialect)
    assert back == T and back is not None and back.tzinfo == UTC
    with pytest.raises(ValueError, match="naive"):
        column.process_bind_param(T.replace(tzinfo=None), dialect)


def test_times_sort_chronologically_and_keep_microseconds(journal_url: str) -> None:
    Journal.open(journal_url).close()
    probe = sa.Table("probe", sa.MetaData(), sa.Column("at", UtcDateTime), sa.Column("price", DecimalText))
    engine = sa.create_engine(journal_url)
    try:
        probe.create(engine)
        moments = [T + timedelta(microseconds=n) for n in (5, 1, 30)] + [T - timedelta(days=400)]
        with engine.begin() as connection:
            connection.execute(probe.insert(), [{"at": m, "price": Decimal("0.10")} for m in moments])
            with pytest.raises(StatementError, match="naive"):
                connection.execute(probe.insert().values(at=T.replace(tzinfo=None)))
        with engine.connect() as connection:
            rows = connection.execute(sa.select(probe).order_by(probe.c.at)).all()
            assert connection.execute(sa.select(sa.func.count()).select_from(state)).scalar() == 0
    finally:
        engine.dispose()
    assert [row.at for row in rows] == sorted(moments)
    assert {str(row.price) for row in rows} == {"0.10"}
