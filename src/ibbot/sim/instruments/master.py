"""The security master: finding instruments the way TWS does for reqContractDetails, reqMatchingSymbols,
reqSecDefOptParams and reqMarketRule.

Theory of operation (IB's matching rules for reqContractDetails, message 9):
- a conId > 0 identifies one contract; the other fields are ignored, except an exchange that the contract
  does not trade on, which finds nothing;
- otherwise the request needs a symbol, a local symbol or a security id (ISIN ...); every other field is a
  filter, and an empty field (0 for strike, "" for text, "?" or "0" for right) means "any";
- lastTradeDateOrContractMonth is YYYYMM (every expiry of that month) or YYYYMMDD (that day);
- a request without a security type finds only stocks, funds, indices and forex: an untyped request never
  lists a future's expiries or an option chain (thousands of contracts), as IB refuses those too;
- CONTFUT (ib_async's ContFuture) finds the front future of each trading class, typed CONTFUT;
- an ambiguous request answers every match (IB sends them all before contractDetailsEnd), sorted;
  a request that matches nothing answers an empty tuple: the caller sends error 200.
A request naming another valid exchange than the instrument's own (ISLAND instead of SMART) gets the
contract with that exchange, as TWS echoes it. Text comparisons ignore case. A SMART (or unrouted) stock
request's primaryExchange is a hint, as TWS takes it: it matches the listing exchange or any exchange the
stock trades on (its validExchanges; ISLAND names NASDAQ), and contracts whose listing it names exactly win
over those it only names a venue of.

The catalog's option chains (`ibbot.sim.instruments.chains`) are listed per listing day and built on demand:
`advance(now)` moves them (the simulator calls it with every request and step), `generation` counts the
moves so callers that memoise lookups know when to forget them. Iterating the master gives the other
instruments; `options_of` gives an underlying's listed options.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from ibbot.errors import ConfigError
from ibbot.protocol.types import Contract, ContractDescription, ContractDetails, PriceIncrement
from ibbot.sim.instruments.chains import ChainSpec, OptionChains, SpotSource
from ibbot.sim.instruments.instrument import DERIVATIVE_SEC_TYPES, Instrument, market_rule, to_contract_details

MAX_SYMBOL_SAMPLES = 16  # reqMatchingSymbols answers at most 16 descriptions
_ANY_RIGHT = {"", "?", "0"}
_RIGHTS = {"C": "C", "CALL": "C", "P": "P", "PUT": "P"}
_STRIKE_TOLERANCE = 1e-6
_SEARCHABLE = frozenset({"STK", "IND"})  # what reqMatchingSymbols lists
_PRIMARY_ALIASES = {"ISLAND": "NASDAQ"}  # a venue name TWS takes for a listing exchange
_NO_CHAINS_NOW = datetime(2000, 1, 3, tzinfo=UTC)  # the listing day of a master without chains: any will do


@dataclass(frozen=True, slots=True, kw_only=True)
class OptionChain:
    """One securityDefinitionOptionParameter answer: an exchange's chain of one trading class."""

    exchange: str
    underlying_con_id: int
    trading_class: str
    multiplier: str
    expirations: tuple[str, ...]
    strikes: tuple[float, ...]


class SecurityMaster:
    """An immutable, indexed set of instruments (built once for a given `now`, see ibbot.sim.instruments.catalog)."""

    __slots__ = (
        "_by_con_id",
        "_by_local_symbol",
        "_by_sec_id",
        "_by_symbol",
        "_options_by_under",
        "chains",
        "generation",
    )

    def __init__(
        self,
        instruments: Iterable[Instrument],
        *,
        chains: Iterable[ChainSpec] = (),
        spots: SpotSource | None = None,
        now: datetime | None = None,
    ) -> None:
        """`chains`: the option chains to list (their underlyings among `instruments`), as of `now`, centred
        on `spots` (the reference prices without it)."""
        self._by_con_id: dict[int, Instrument] = {}
        by_symbol: defaultdict[str, list[Instrument]] = defaultdict(list)
        by_local: defaultdict[str, list[Instrument]] = defaultdict(list)
        by_sec_id: defaultdict[tuple[str, str], list[Instrument]] = defaultdict(list)
        options: defaultdict[int, list[Instrument]] = defaultdict(list)
        for instrument in instruments:
            clash = self._by_con_id.get(instrument.con_id)
            if clash is not None:
                raise ConfigError(f"conId {instrument.con_id} is used by both {_label(clash)} and {_label(instrument)}")
            self._by_con_id[instrument.con_id] = instrument
            by_symbol[instrument.symbol.upper()].append(instrument)
            by_local[(instrument.local_symbol or instrument.symbol).upper()].append(instrument)
            for tag, value in instrument.sec_ids:
                by_sec_id[(tag.upper(), value.upper())].append(instrument)
            if instrument.sec_type in {"OPT", "FOP"} and instrument.under_con_id:
                options[instrument.under_con_id].append(instrument)
        self._by_symbol = {k: tuple(v) for k, v in by_symbol.items()}
        self._by_local_symbol = {k: tuple(v) for k, v in by_local.items()}
        self._by_sec_id = {k: tuple(v) for k, v in by_sec_id.items()}
        self._options_by_under = {k: tuple(v) for k, v in options.items()}
        specs = tuple(chains)
        if specs and now is None:
            raise ValueError("option chains are listed as of a moment: pass now")
        pairs = []
        for spec in specs:
            under = next((i for i in self._by_symbol.get(spec.symbol, ()) if i.sec_type == "STK"), None)
            if under is None:
                raise ConfigError(f"option chain {spec.symbol}: no stock of that symbol to list it on")
            pairs.append((spec, under))
        self.chains = OptionChains(pairs, spots, now or _NO_CHAINS_NOW)
        self.generation = 0

    def advance(self, now: datetime) -> None:
        """List the option chains as of `now` (a new listing day adds strikes and expiries, drops the expired)."""
        if self.chains.advance(now):
            self.generation += 1

    def __len__(self) -> int:
        return len(self._by_con_id)

    def __iter__(self) -> Iterator[Instrument]:
        return iter(self._by_con_id.values())

    def by_con_id(self, con_id: int) -> Instrument | None:
        """Any instrument by conId, options of the chains also for a while after they expired."""
        found = self._by_con_id.get(con_id)
        return found if found is not None else self.chains.by_con_id(con_id)

    def options_of(self, underlying_con_id: int) -> tuple[Instrument, ...]:
        """Every listed option (or future option) on an underlying, in chain order."""
        listed = self.chains.select(underlying_con_id) if underlying_con_id in self.chains else []
        return tuple(sorted((*self._options_by_under.get(underlying_con_id, ()), *listed), key=_sort_key))

    def has_options(self, underlying_con_id: int) -> bool:
        return underlying_con_id in self.chains or underlying_con_id in self._options_by_under

    # --- reqContractDetails ----------------------------------------------------------------------------

    def match(self, request: Contract) -> tuple[Instrument, ...]:
        """Every instrument a reqContractDetails request describes (empty: the caller sends error 200)."""
        exchange = request.exchange.strip().upper()
        if request.con_id > 0:
            found = self.by_con_id(request.con_id)
            if found is None or (exchange and not _trades_on(found, exchange)) or self._expired(found):
                return ()
            return (found.on_exchange(exchange) if exchange else found,)
        if request.sec_type.strip().upper() == "CONTFUT":
            return self._continuous(request)
        candidates = self._candidates(request)
        if candidates is None:
            return ()
        matches = [i for i in candidates if _passes(i, request)]
        primary = request.primary_exchange.strip().upper()
        if primary and any(i.primary_exchange.upper() == primary for i in matches):
            matches = [i for i in matches if i.primary_exchange.upper() == primary]  # named exactly: those win
        if exchange:
            matches = [i.on_exchange(exchange) for i in matches]
        return tuple(sorted(matches, key=_sort_key))

    def tradable(self, con_id: int) -> bool:
        """Whether `con_id` is a listed contract (not an unknown one, nor an option past its last day)."""
        found = self.by_con_id(con_id)
        return found is not None and not self._expired(found)

    def _expired(self, instrument: Instrument) -> bool:
        """An option of a chain past its last day (resolvable by conId, no longer listed)."""
        expiry = instrument.expiry
        return instrument.under_con_id in self.chains and expiry is not None and expiry < self.chains.day

    def _continuous(self, request: Contract) -> tuple[Instrument, ...]:
        """CONTFUT: the front future of each trading class, typed CONTFUT (it shares the front's conId)."""
        futures = self.match(replace(request, sec_type="FUT", last_trade_date_or_contract_month=""))
        fronts: dict[str, Instrument] = {}
        for future in futures:  # sorted by expiry: the first of each class is the front
            fronts.setdefault(future.trading_class, future)
        return tuple(replace(f, sec_type="CONTFUT") for f in fronts.values())

    def _candidates(self, request: Contract) -> tuple[Instrument, ...] | None:
        if request.symbol.strip():
            found = self._by_symbol.get(request.symbol.strip().upper(), ())
            return (*found, *self._chain_options(request)) if request.sec_type.strip().upper() == "OPT" else found
        if request.local_symbol.strip():
            found = self._by_local_symbol.get(request.local_symbol.strip().upper(), ())
            option = self.chains.by_local_symbol(request.local_symbol.strip())
            return found if option is None else (*found, option)
        if request.sec_id_type.strip() and request.sec_id.strip():
            return self._by_sec_id.get((request.sec_id_type.strip().upper(), request.sec_id.strip().upper()), ())
        return None  # nothing to look up by

    def _chain_options(self, request: Contract) -> list[Instrument]:
        """A chain's options the request's expiry, strike and right select (the other fields filter later)."""
        under = self.chains.underlying_of(request.symbol)
        if under is None:
            return []
        right = request.right.strip().upper()
        if right not in _ANY_RIGHT and right not in _RIGHTS:
            return []
        expiry = request.last_trade_date_or_contract_month.strip().split(" ")[0]
        return self.chains.select(under, expiry, request.strike, "" if right in _ANY_RIGHT else _RIGHTS[right])

    def contract_details(self, instrument: Instrument, now: datetime) -> ContractDetails:
        return to_contract_details(instrument, now)

    # --- reqMatchingSymbols ----------------------------------------------------------------------------

    def match_symbols(self, pattern: str) -> tuple[ContractDescription, ...]:
        """Stocks and indices whose symbol or name matches `pattern`, best first, at most 16.

        Rank: exact symbol, symbol prefix, a word of the name starting with the pattern, symbol or name
        containing it; then shorter symbols first, then alphabetically.
        """
        needle = pattern.strip().upper()
        if not needle:
            return ()
        ranked: list[tuple[int, int, str, int, Instrument]] = []
        for instrument in self._by_con_id.values():
            if instrument.sec_type not in _SEARCHABLE:
                continue
            rank = _symbol_rank(instrument, needle)
            if rank is not None:
                symbol = instrument.symbol
                ranked.append((rank, len(symbol), symbol, instrument.con_id, instrument))
        ranked.sort(key=lambda r: r[:4])
        return tuple(self._describe(r[-1]) for r in ranked[:MAX_SYMBOL_SAMPLES])

    def _describe(self, instrument: Instrument) -> ContractDescription:
        derivatives = list(instrument.derivative_sec_types)
        if self.has_options(instrument.con_id) and "OPT" not in derivatives:
            derivatives.append("OPT")
        return ContractDescription(
            contract=Contract(
                con_id=instrument.con_id,
                symbol=instrument.symbol,
                sec_type=instrument.sec_type,
                primary_exchange=instrument.primary_exchange or instrument.exchange,
                currency=instrument.currency,
            ),
            derivative_sec_types=tuple(derivatives),
            description=instrument.long_name,
        )

    # --- reqSecDefOptParams ----------------------------------------------------------------------------

    def sec_def_opt_params(
        self,
        underlying_symbol: str,
        fut_fop_exchange: str = "",
        underlying_sec_type: str = "",
        underlying_con_id: int = 0,
    ) -> tuple[OptionChain, ...]:
        """The option chains of an underlying, one per exchange and trading class (empty: none)."""
        under = self._underlying(underlying_symbol, underlying_sec_type, underlying_con_id)
        if under is None:
            return ()
        by_class: defaultdict[tuple[str, str], list[Instrument]] = defaultdict(list)
        for option in self._options_by_under.get(under.con_id, ()):
            by_class[(option.trading_class, option.multiplier)].append(option)
        # (trading class, multiplier) -> (exchanges, expirations, strikes)
        classes: dict[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...], tuple[float, ...]]] = {}
        for key, options in by_class.items():
            exchanges = options[0].valid_exchanges or (options[0].exchange,)
            classes[key] = (
                exchanges,
                tuple(sorted({o.last_trade_date for o in options})),
                tuple(sorted({o.strike for o in options})),
            )
        if under.con_id in self.chains:
            listing = self.chains.listing(under.con_id)
            sample = self.chains.option(under.con_id, listing.expiries[0], listing.strikes[listing.expiries[0]][0], "C")
            classes[(sample.trading_class, sample.multiplier)] = (
                sample.valid_exchanges,
                tuple(f"{e:%Y%m%d}" for e in listing.expiries),
                listing.all_strikes,
            )
        wanted = fut_fop_exchange.strip().upper()
        chains = []
        for (trading_class, multiplier), (exchanges, expirations, strikes) in sorted(classes.items()):
            for exchange in exchanges:
                if not wanted or exchange == wanted:
                    chains.append(
                        OptionChain(
                            exchange=exchange,
                            underlying_con_id=under.con_id,
                            trading_class=trading_class,
                            multiplier=multiplier,
                            expirations=expirations,
                            strikes=strikes,
                        )
                    )
        return tuple(chains)

    def _underlying(self, symbol: str, sec_type: str, con_id: int) -> Instrument | None:
        if con_id > 0:
            return self._by_con_id.get(con_id)
        wanted = sec_type.strip().upper()
        for instrument in self._by_symbol.get(symbol.strip().upper(), ()):
            if self.has_options(instrument.con_id) and (not wanted or instrument.sec_type == wanted):
                return instrument
        return None

    # --- reqMarketRule ---------------------------------------------------------------------------------

    @staticmethod
    def market_rule(rule_id: int) -> tuple[PriceIncrement, ...] | None:
        return market_rule(rule_id)


def _label(instrument: Instrument) -> str:
    return f"{instrument.sec_type} {instrument.local_symbol or instrument.symbol}"


def _trades_on(instrument: Instrument, exchange: str) -> bool:
    return exchange == instrument.exchange or exchange in instrument.valid_exchanges


def _passes(instrument: Instrument, request: Contract) -> bool:
    """Whether every non-empty field of the request agrees with the instrument."""
    sec_type = request.sec_type.strip().upper()
    if sec_type:
        if instrument.sec_type != sec_type:
            return False
    elif instrument.sec_type in DERIVATIVE_SEC_TYPES:
        return False
    exchange = request.exchange.strip().upper()
    if exchange and not _trades_on(instrument, exchange):
        return False
    if not _primary_passes(instrument, request.primary_exchange.strip().upper(), exchange):
        return False
    for wanted, have in (
        (request.currency, instrument.currency),
        (request.trading_class, instrument.trading_class),
        (request.local_symbol, instrument.local_symbol or instrument.symbol),
    ):
        if wanted.strip() and wanted.strip().upper() != have.upper():
            return False
    expiry = request.last_trade_date_or_contract_month.strip().split(" ")[0]
    if expiry and not _expiry_matches(instrument, expiry):
        return False
    if request.strike and abs(request.strike - instrument.strike) > _STRIKE_TOLERANCE:
        return False
    right = request.right.strip().upper()
    if right not in _ANY_RIGHT and _RIGHTS.get(right) != instrument.right:
        return False
    return not (request.multiplier.strip() and not _same_number(request.multiplier, instrument.multiplier))


def _primary_passes(instrument: Instrument, primary: str, exchange: str) -> bool:
    """A request's primaryExchange: exact, or for a SMART-routed stock any exchange it is listed or traded on."""
    if not primary:
        return True
    listing = instrument.primary_exchange.upper()
    if primary == listing:
        return True
    if instrument.sec_type != "STK" or exchange not in ("", "SMART"):
        return False
    return _PRIMARY_ALIASES.get(primary) == listing or primary in instrument.valid_exchanges


def _expiry_matches(instrument: Instrument, expiry: str) -> bool:
    if len(expiry) == 6:
        return expiry in {instrument.contract_month, instrument.last_trade_date[:6]}
    return expiry == instrument.last_trade_date


def _same_number(text: str, other: str) -> bool:
    try:
        return float(text) == float(other or "nan")
    except ValueError:
        return False


def _symbol_rank(instrument: Instrument, needle: str) -> int | None:
    symbol, name = instrument.symbol.upper(), instrument.long_name.upper()
    if symbol == needle:
        return 0
    if symbol.startswith(needle):
        return 1
    if any(word.startswith(needle) for word in name.replace(".", " ").replace(",", " ").split()):
        return 2
    if needle in symbol or needle in name:
        return 3
    return None


def _sort_key(instrument: Instrument) -> tuple[str, str, str, float, int]:
    return (instrument.sec_type, instrument.last_trade_date, instrument.right, instrument.strike, instrument.con_id)
