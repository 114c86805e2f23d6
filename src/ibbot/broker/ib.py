"""`IbBroker`: the `Broker` on ib_async's `IB`, the only module (with its `translate.py`) that imports ib_async.

Theory of operation
-------------------
One `IB` object per broker, reused session after session. ib_async's events are translated (`translate.py`)
and handed to listeners as model values; requests are ib_async's, each awaited under our own timeout. The
known defects of ib_async are worked around here, so callers never see them:

* Framing: ib_async's `Client` appends every read to a `bytes` buffer and slices the rest off after each
  message, copying the remainder once per message: O(n^2) on a large read. `_FramedClient` feeds reads to
  ibbot's `FrameBuffer` instead (O(n)); everything after framing is ib_async's own code path.
* `disconnectedEvent` fires twice (once from `IB.disconnect`, once from the socket's `apiEnd`): the link
  state is kept here and a `LinkChange` is emitted only when it actually changes.
* Requests without a timeout wait forever (a lost answer, a request TWS ignores): every request here has
  one and raises `RequestTimeoutError`; `RaiseRequestErrors` is on, so an IB error ends a request with the
  error (mapped onto ibbot's `RequestError` tree) instead of an empty list.
* A refused client id (326) makes ib_async wait out its whole timeout: `connect` races the handshake
  against 326 and the socket closing.

Delayed-data fallback: when a quote stream is refused for want of a subscription (354, 10089, 10167 while
live, 10168), it is asked again once after reqMarketDataType(3); its quotes are then marked DELAYED and the
instrument is listed by `delayed_instruments()`. ib_async's own request throttle (45 messages/s) stays on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from ib_async import IB, BarDataList, Client
from ib_async import RequestError as IbRequestError

from ibbot.broker import translate as tr
from ibbot.broker.base import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_HISTORY_TIMEOUT,
    DEFAULT_REQUEST_TIMEOUT,
    BrokerEvent,
    Listener,
    OptionChainParams,
    ReportedOrder,
    SessionInfo,
    Streamed,
    StreamError,
)
from ibbot.clock import Clock, LiveClock
from ibbot.errors import (
    ClientIdInUseError,
    ConnectError,
    ContractError,
    FrameError,
    GatewayUnreachableError,
    NoDataError,
    NotConnectedError,
    OrderError,
    PacingViolationError,
    RequestError,
    RequestTimeoutError,
)
from ibbot.model import (
    AccountValue,
    Bar,
    DataQuality,
    Fill,
    Instrument,
    LinkChange,
    LinkState,
    Notice,
    OrderRequest,
    Position,
)
from ibbot.protocol.framing import FrameBuffer
from ibbot.protocol.types import fast_constructor

log = logging.getLogger(__name__)
T = TypeVar("T")

DELAYED_FALLBACK_CODES = frozenset({354, 10089, 10167, 10168})
# Codes on a stream's request id that do not end the stream (notices, delayed data being displayed).
_STREAM_WARNINGS = frozenset({165, 399, 10090, 10167, 10197})
_NO_SECURITY = 200
_LENGTH = struct.Struct(">I")
_streamed = fast_constructor(Streamed)  # one per streamed value: without the frozen __init__'s cost
_TICKER_KINDS = frozenset({"quotes", "tick_by_tick", "depth"})
# Codes ib_async takes for warnings that nonetheless end the request they name (it would wait forever).
_ENDS_REQUEST = frozenset({105, 110, 321, 329, 399, 404, 434, 492})


class _FramedClient(Client):  # type: ignore[misc]
    """ib_async's Client with an O(n) receive path; the handshake snooping is ib_async's, unchanged."""

    def reset(self) -> None:
        super().reset()
        self.frames = FrameBuffer()
        self.frame_error: FrameError | None = None

    def _onSocketHasData(self, data: bytes) -> None:
        # Whole frames are read straight from the read's bytes, one copy per message; a frame cut by the end
        # of a read waits in the FrameBuffer and is joined with the next read (FrameBuffer.next_frame, two
        # copies and a slice per frame, costs as much as ib_async's slicing on the 256 KiB reads of a busy
        # socket). Either way the work is linear in the bytes received.
        if self._tcpDataArrived:
            self._tcpDataArrived()
        self._numBytesRecv += len(data)
        frames = self.frames
        try:
            while len(frames) and data:
                # Complete the frame the last read cut, feeding only its missing bytes.
                have = len(frames)
                missing = 4 - have if have < 4 else 4 + int.from_bytes(frames.peek(4), "big") - have
                frames.feed(data[:missing])
                data = data[missing:]
                payload = frames.next_frame()
                if payload is not None and not self._dispatch(payload):
                    return
            if data:
                self._dispatch_all(data)
        except FrameError as exc:
            # The stream cannot be resynchronised: close it; the broker reports the reason with the loss.
            self.frame_error = exc
            self.conn.disconnect()
            return
        if self._tcpDataProcessed:
            self._tcpDataProcessed()

    def _dispatch_all(self, data: bytes) -> None:
        """Every whole frame of `data`, in order; the rest (a frame's beginning) goes to the FrameBuffer."""
        pos, size, limit = 0, len(data), self.frames.max_size
        unpack = _LENGTH.unpack_from
        interpret = self.decoder.interpret
        while size - pos >= 4:
            (length,) = unpack(data, pos)
            if length > limit:
                raise FrameError(f"frame of {length} bytes exceeds the maximum of {limit}")
            end = pos + 4 + length
            if end > size:
                break
            if self._apiReady:  # the steady state, inlined
                fields = data[pos + 4 : end].decode(errors="backslashreplace").split("\0")
                fields.pop()  # the empty text after the last NUL
                self._numMsgRecv += 1
                interpret(fields)
            elif not self._dispatch(data[pos + 4 : end]):
                return
            pos = end
        if pos < size:
            self.frames.feed(data[pos:])

    def _dispatch(self, payload: bytes) -> bool:
        """One message to ib_async's decoder (snooping the handshake as ib_async does); False to stop reading."""
        fields = payload.decode(errors="backslashreplace").split("\0")
        fields.pop()
        self._numMsgRecv += 1
        if not self._serverVersion and len(fields) == 2:
            return self._on_server_hello(fields)
        if not self._apiReady:
            self._snoop_ready(fields)
        self.decoder.interpret(fields)
        return True

    def _on_server_hello(self, fields: list[str]) -> bool:
        version = int(fields[0])
        if version < self.MinClientVersion:
            self._onSocketDisconnected(f"TWS/gateway server version {version} is older than {self.MinClientVersion}")
            return False
        self._serverVersion = version
        self.decoder.serverVersion = version
        self.connState = Client.CONNECTED
        self.startApi()
        self.wrapper.connectAck()
        return True

    def _snoop_ready(self, fields: list[str]) -> None:
        # The session is ready once both nextValidId (9) and managedAccounts (15) have arrived.
        msg_id = int(fields[0])
        if msg_id == 9:
            self.updateReqId(int(fields[2]))
            self._hasReqId = True
        elif msg_id == 15:
            self._accounts = [a for a in fields[2].split(",") if a]
        if self._hasReqId and self._accounts:
            self._apiReady = True
            self.apiStart.emit()


def _new_ib() -> Any:
    ib = IB()
    ib.RaiseRequestErrors = True
    ib.client = _FramedClient(ib.wrapper)
    ib.client.MaxRequests = 0  # the governor paces every request; a second throttle would only add latency
    ib.client.apiEnd += ib.disconnectedEvent
    return ib


@dataclass(slots=True, kw_only=True)
class _Stream:
    """One open subscription (mutable, private): what it is and ib_async's objects behind it."""

    handle: int
    kind: str  # quotes | tick_by_tick | depth | realtime_bars | history
    instrument: Instrument
    contract: Any
    req_id: int = 0
    source: Any = None  # the Ticker or the bar list
    params: dict[str, Any] = field(default_factory=dict)
    delayed: bool = False
    retried: bool = False


class IbBroker:
    """The Broker on ib_async. `raw_ib` is the underlying `ib_async.IB`: an unsupported escape hatch."""

    def __init__(self, *, clock: Clock | None = None, request_timeout: float = DEFAULT_REQUEST_TIMEOUT) -> None:
        self._clock = clock or LiveClock()
        self.request_timeout = request_timeout
        self._ib = _new_ib()
        self._listeners: tuple[Listener, ...] = ()
        self._link = LinkState.DISCONNECTED
        self._connecting = False
        self._session: SessionInfo | None = None
        self._streams: dict[int, _Stream] = {}
        self._by_req: dict[int, _Stream] = {}
        self._by_ticker: dict[Any, dict[str, _Stream]] = {}
        self._next_handle = 1
        self._delayed: set[Instrument] = set()
        self._market_data_type = DataQuality.LIVE
        ib = self._ib
        ib.errorEvent += self._on_error
        ib.disconnectedEvent += self._on_disconnected
        ib.openOrderEvent += self._on_order
        ib.orderStatusEvent += self._on_order
        ib.execDetailsEvent += self._on_execution
        ib.commissionReportEvent += self._on_commission
        ib.pendingTickersEvent += self._on_tickers
        ib.positionEvent += self._on_position
        ib.accountValueEvent += self._on_account_value

    # --- listeners and link ----------------------------------------------------------------------------------

    @property
    def raw_ib(self) -> Any:
        """The underlying `ib_async.IB`. Unsupported: what a strategy does with it bypasses ibbot entirely."""
        return self._ib

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` with every event from now on (an exception it raises propagates into ib_async's
        event loop callback, which logs it); returns a function that removes it."""
        self._listeners = (*self._listeners, listener)

        def remove() -> None:
            self._listeners = tuple(other for other in self._listeners if other is not listener)

        return remove

    def _emit(self, event: BrokerEvent) -> None:
        for listener in self._listeners:  # a tuple: listeners added or removed meanwhile wait for the next event
            listener(event)

    def _set_link(self, state: LinkState, reason: str = "") -> None:
        if state is self._link:
            return
        self._link = state
        self._emit(LinkChange(state=state, time=self._clock.now(), reason=reason))

    @property
    def connected(self) -> bool:
        return self._link is LinkState.CONNECTED

    @property
    def session(self) -> SessionInfo | None:
        return self._session

    def _require(self) -> None:
        if not self.connected:
            raise NotConnectedError("the broker is not connected to TWS / IB Gateway")

    # --- session ---------------------------------------------------------------------------------------------

    async def connect(
        self,
        host: str,
        port: int,
        client_id: int,
        *,
        timeout: float = DEFAULT_CONNECT_TIMEOUT,
        readonly: bool = False,
    ) -> SessionInfo:
        if self._link is not LinkState.DISCONNECTED:
            raise ConnectError(f"already {self._link.value}; disconnect first")
        ib = self._ib
        where = f"{host}:{port}"
        refused: asyncio.Future[BaseException] = asyncio.get_running_loop().create_future()

        def on_error(req_id: int, code: int, text: str, contract: object) -> None:
            if code == 326 and not refused.done():
                refused.set_result(
                    ClientIdInUseError(f"{where}: client id {client_id} is already in use (326: {text})")
                )

        def on_api_error(message: str) -> None:
            if not refused.done():
                refused.set_result(ConnectError(f"{where} ended the API handshake: {message}"))

        self._connecting = True
        self._set_link(LinkState.CONNECTING, where)
        ib.errorEvent += on_error
        ib.client.apiError += on_api_error
        task = asyncio.ensure_future(ib.connectAsync(host, port, clientId=client_id, timeout=None, readonly=readonly))
        try:
            await asyncio.wait({task, refused}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            error = self._connect_error(task, refused, where, client_id, timeout)
        finally:
            ib.errorEvent -= on_error
            ib.client.apiError -= on_api_error
            self._connecting = False
        if error is not None:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
            ib.disconnect()
            self._set_link(LinkState.DISCONNECTED, str(error))
            raise error
        client = ib.client
        self._session = SessionInfo(
            server_version=client.serverVersion(),
            accounts=tuple(client.getAccounts()),
            next_order_id=client._reqIdSeq,
            client_id=client_id,
            connected_at=self._clock.now(),
        )
        self._set_link(LinkState.CONNECTED, where)
        return self._session

    @staticmethod
    def _connect_error(
        task: asyncio.Future[Any],
        refused: asyncio.Future[BaseException],
        where: str,
        client_id: int,
        timeout: float,
    ) -> ConnectError | None:
        """Why the session did not start (None when it did); 326 wins over the socket closing after it."""
        if refused.done() and isinstance(refused.result(), ClientIdInUseError):
            return refused.result()  # type: ignore[return-value]
        if task.done():
            exc = task.exception()
            if exc is None:
                return None
            if isinstance(exc, ConnectionRefusedError):
                return GatewayUnreachableError(
                    f"{where} refused the connection: is TWS / IB Gateway running, with "
                    f"'Enable ActiveX and Socket Clients' checked and socket port {where.rsplit(':', 1)[1]} "
                    "(Configure > API > Settings)?"
                )
            return ConnectError(f"{where}: cannot connect with client id {client_id}: {exc!r}")
        if refused.done():
            return refused.result()  # type: ignore[return-value]
        return ConnectError(
            f"{where} accepted the socket but the API did not answer within {timeout:g} s: check that TWS / IB "
            "Gateway is logged in and not showing a dialog, that this host is a trusted IP (Configure > API > "
            "Settings), and that the port is the API port, not another service"
        )

    async def disconnect(self) -> None:
        if self._link is LinkState.DISCONNECTED:
            return
        self._set_link(LinkState.DISCONNECTED, "disconnect requested")
        self._end_session()
        # ib_async's own disconnect forgets pending requests without ending them: end them first.
        error = ConnectionError("disconnected")
        for future in list(self._ib.wrapper._futures.values()):
            if not future.done():
                future.set_exception(error)
        self._ib.disconnect()

    def _on_disconnected(self) -> None:
        if self._connecting or self._link is LinkState.DISCONNECTED:
            return  # the second disconnectedEvent of one loss, or a failed connect (reported by connect)
        frame_error = getattr(self._ib.client, "frame_error", None)
        self._end_session()
        self._set_link(LinkState.DISCONNECTED, f"malformed frame: {frame_error}" if frame_error else "connection lost")

    def _end_session(self) -> None:
        self._session = None
        self._streams.clear()
        self._by_req.clear()
        self._by_ticker.clear()

    def managed_accounts(self) -> list[str]:
        self._require()
        return list(self._ib.managedAccounts())

    def next_order_id(self) -> int:
        self._require()
        return int(self._ib.client.getReqId())

    async def server_time(self, *, timeout: float | None = None) -> datetime:
        moment: datetime = await self._ask(self._ib.reqCurrentTimeAsync, timeout, "current time")
        return moment

    # --- requests --------------------------------------------------------------------------------------------

    async def _ask(self, request: Callable[[], Awaitable[T]], timeout: float | None, what: str) -> T:
        """Send one of ib_async's requests and await it under a timeout, its errors mapped onto ibbot's tree."""
        if not self.connected:
            raise NotConnectedError(f"{what}: the broker is not connected")
        limit = self.request_timeout if timeout is None else timeout
        try:
            # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation (a resync cancelled as the
            # socket goes) that arrives as the answer does, and the cancelled task would carry on.
            async with asyncio.timeout(limit):
                return await request()
        except TimeoutError:
            raise RequestTimeoutError(f"{what}: no answer within {limit:g} s") from None
        except IbRequestError as exc:
            raise request_error(exc.code, exc.message, req_id=exc.reqId) from None
        except ConnectionError as exc:
            raise NotConnectedError(f"{what}: the connection was lost ({exc})") from None

    async def contract_details(self, instrument: Instrument, *, timeout: float | None = None) -> list[Instrument]:
        try:
            details = await self._ask(
                lambda: self._ib.reqContractDetailsAsync(tr.to_contract(instrument)),
                timeout,
                f"contract details {instrument}",
            )
        except RequestError as exc:
            if exc.code == _NO_SECURITY:
                return []
            raise
        return [tr.from_details(d, like=instrument) for d in details]

    async def _qualified(self, instrument: Instrument, timeout: float | None) -> Instrument:
        if instrument.qualified:
            return instrument
        found = await self.contract_details(instrument, timeout=timeout)
        if len(found) != 1:
            raise ContractError(f"{instrument}: {len(found)} contracts match", candidates=tuple(found))
        return found[0]

    async def option_params(self, underlying: Instrument, *, timeout: float | None = None) -> list[OptionChainParams]:
        underlying = await self._qualified(underlying, timeout)
        fut_exchange = underlying.exchange if underlying.asset_class.sec_type == "FUT" else ""
        chains = await self._ask(
            lambda: self._ib.reqSecDefOptParamsAsync(
                underlying.symbol, fut_exchange, underlying.asset_class.sec_type, underlying.con_id
            ),
            timeout,
            f"option parameters of {underlying}",
        )
        return [tr.option_params_from(c) for c in chains]

    async def matching_symbols(
        self, pattern: str, *, timeout: float | None = None
    ) -> list[tuple[Instrument, tuple[str, ...]]]:
        """reqMatchingSymbols: the contracts whose symbol or name matches, each with its derivative secTypes."""
        found = await self._ask(
            lambda: self._ib.reqMatchingSymbolsAsync(pattern), timeout, f"symbols matching {pattern!r}"
        )
        # ib_async answers None when its own 4 s wait runs out: that is no answer, not an empty one.
        if found is None:
            raise RequestTimeoutError(f"symbols matching {pattern!r}: no answer")
        return [(tr.from_contract(d.contract), tuple(d.derivativeSecTypes or ())) for d in found]

    async def historical_bars(
        self,
        instrument: Instrument,
        *,
        end: datetime | None,
        duration: str,
        bar_size: str,
        what_to_show: str = "TRADES",
        use_rth: bool = True,
        timeout: float = DEFAULT_HISTORY_TIMEOUT,
    ) -> list[Bar]:
        bars = await self._history(
            instrument,
            end=end,
            duration=duration,
            bar_size=bar_size,
            what_to_show=what_to_show,
            use_rth=use_rth,
            keep_up_to_date=False,
            timeout=timeout,
        )
        return [tr.bar_from(b, instrument, bar_size) for b in bars]

    async def _history(
        self,
        instrument: Instrument,
        *,
        end: datetime | None,
        duration: str,
        bar_size: str,
        what_to_show: str,
        use_rth: bool,
        keep_up_to_date: bool,
        timeout: float,
    ) -> Any:
        # ib_async's reqHistoricalDataAsync answers a timeout with an empty list; this one raises, and cancels.
        self._require()
        ib, contract = self._ib, tr.to_contract(instrument)
        req_id = ib.client.getReqId()
        bars = BarDataList()
        bars.reqId, bars.contract, bars.endDateTime = req_id, contract, end or ""
        bars.durationStr, bars.barSizeSetting, bars.whatToShow = duration, bar_size, what_to_show
        bars.useRTH, bars.formatDate, bars.keepUpToDate, bars.chartOptions = use_rth, 2, keep_up_to_date, []
        future = ib.wrapper.startReq(req_id, contract, container=bars)
        if keep_up_to_date:
            ib.wrapper.startSubscription(req_id, bars, contract)
        end_text = tr.format_ib_time(end) if end is not None else ""
        ib.client.reqHistoricalData(
            req_id, contract, end_text, duration, bar_size, what_to_show, use_rth, 2, keep_up_to_date, []
        )
        try:
            await self._ask(lambda: future, timeout, f"{bar_size} bars of {instrument}")
        except RequestTimeoutError:
            ib.wrapper._futures.pop(req_id, None)
            ib.client.cancelHistoricalData(req_id)
            ib.wrapper.endSubscription(bars)
            raise
        except RequestError:
            ib.wrapper.endSubscription(bars)
            raise
        return bars

    async def head_timestamp(
        self,
        instrument: Instrument,
        *,
        what_to_show: str = "TRADES",
        use_rth: bool = True,
        timeout: float | None = None,
    ) -> datetime:
        moment = await self._ask(
            lambda: self._ib.reqHeadTimeStampAsync(tr.to_contract(instrument), what_to_show, use_rth, 2),
            timeout,
            f"head timestamp of {instrument}",
        )
        return moment.astimezone(UTC) if isinstance(moment, datetime) else moment

    # --- streams ---------------------------------------------------------------------------------------------

    def _open(self, kind: str, instrument: Instrument, **params: Any) -> _Stream:
        self._require()
        if not instrument.qualified:
            raise ContractError(f"{instrument}: qualify it (contract_details) before subscribing")
        stream = _Stream(
            handle=self._next_handle, kind=kind, instrument=instrument, contract=tr.to_contract(instrument)
        )
        stream.params.update(params)
        self._next_handle += 1
        self._streams[stream.handle] = stream
        return stream

    def _attach_ticker(self, stream: _Stream, ticker: Any, tick_type: str) -> None:
        existing = self._by_ticker.setdefault(ticker, {})
        if stream.kind in existing:
            # ib_async keeps one ticker per contract: a second stream of the same kind would share it.
            self._streams.pop(stream.handle)
            raise ValueError(f"{stream.instrument} already has a {stream.kind} stream (handle {existing[stream.kind]})")
        existing[stream.kind] = stream
        stream.source = ticker
        stream.req_id = self._ib.wrapper.ticker2ReqId[tick_type].get(ticker, 0)
        self._by_req[stream.req_id] = stream

    def subscribe_quotes(self, instrument: Instrument, *, generic_ticks: str = "", snapshot: bool = False) -> int:
        stream = self._open("quotes", instrument, generic_ticks=generic_ticks, snapshot=snapshot)
        ticker = self._ib.reqMktData(stream.contract, generic_ticks, snapshot, False)
        self._attach_ticker(stream, ticker, "mktData")
        return stream.handle

    def subscribe_tick_by_tick(self, instrument: Instrument, *, tick_type: str = "AllLast") -> int:
        if tick_type not in ("Last", "AllLast", "BidAsk"):
            raise ValueError(f"tick type {tick_type!r} is not Last, AllLast or BidAsk")
        stream = self._open("tick_by_tick", instrument, tick_type=tick_type)
        ticker = self._ib.reqTickByTickData(stream.contract, tick_type, 0, False)
        self._attach_ticker(stream, ticker, tick_type)
        return stream.handle

    def subscribe_depth(self, instrument: Instrument, *, rows: int = 5, smart: bool = False) -> int:
        stream = self._open("depth", instrument, rows=rows, smart=smart)
        ticker = self._ib.reqMktDepth(stream.contract, rows, smart)
        self._attach_ticker(stream, ticker, "mktDepth")
        return stream.handle

    def subscribe_realtime_bars(
        self, instrument: Instrument, *, what_to_show: str = "TRADES", use_rth: bool = False
    ) -> int:
        stream = self._open("realtime_bars", instrument)
        bars = self._ib.reqRealTimeBars(stream.contract, 5, what_to_show, use_rth)
        stream.source, stream.req_id = bars, bars.reqId
        self._by_req[bars.reqId] = stream

        def on_update(bars: Any, has_new_bar: bool) -> None:
            if has_new_bar and stream.handle in self._streams:
                self._emit(_streamed(handle=stream.handle, value=tr.realtime_bar_from(bars[-1], instrument)))

        bars.updateEvent += on_update
        return stream.handle

    async def subscribe_history(
        self,
        instrument: Instrument,
        *,
        duration: str,
        bar_size: str,
        what_to_show: str = "TRADES",
        use_rth: bool = True,
        keep_up_to_date: bool = True,
        timeout: float = DEFAULT_HISTORY_TIMEOUT,
    ) -> tuple[int, list[Bar]]:
        """The complete bars so far, and a handle whose stream carries each later bar once it is complete
        (IB's keepUpToDate updates of the bar in progress are not streamed)."""
        stream = self._open("history", instrument)
        try:
            bars = await self._history(
                instrument,
                end=None,
                duration=duration,
                bar_size=bar_size,
                what_to_show=what_to_show,
                use_rth=use_rth,
                keep_up_to_date=keep_up_to_date,
                timeout=timeout,
            )
        except BaseException:
            self._streams.pop(stream.handle, None)
            raise
        stream.source, stream.req_id = bars, bars.reqId
        self._by_req[bars.reqId] = stream
        done = [tr.bar_from(b, instrument, bar_size) for b in bars]
        if keep_up_to_date and done:
            done.pop()  # the bar in progress

        def on_update(bars: Any, has_new_bar: bool) -> None:
            if has_new_bar and len(bars) >= 2 and stream.handle in self._streams:
                bar = tr.bar_from(bars[-2], instrument, bar_size)
                self._emit(_streamed(handle=stream.handle, value=bar, history=True))

        if keep_up_to_date:
            bars.updateEvent += on_update
        return stream.handle, done

    def unsubscribe(self, handle: int) -> None:
        stream = self._streams.pop(handle, None)
        if stream is None:
            raise ValueError(f"no open stream has handle {handle}")
        self._forget(stream)
        if self._link is LinkState.CONNECTED:
            self._cancel(stream)

    def _forget(self, stream: _Stream) -> None:
        self._streams.pop(stream.handle, None)
        self._by_req.pop(stream.req_id, None)
        kinds = self._by_ticker.get(stream.source) if stream.kind in _TICKER_KINDS else None
        if kinds is not None:
            kinds.pop(stream.kind, None)
            if not kinds:
                del self._by_ticker[stream.source]

    def _cancel(self, stream: _Stream) -> None:
        ib, contract = self._ib, stream.contract
        if stream.kind == "quotes":
            ib.cancelMktData(contract)
        elif stream.kind == "tick_by_tick":
            ib.cancelTickByTickData(contract, stream.params["tick_type"])
        elif stream.kind == "depth":
            ib.cancelMktDepth(contract, stream.params["smart"])
        elif stream.kind == "realtime_bars":
            ib.cancelRealTimeBars(stream.source)
        elif stream.source is not None and stream.source.keepUpToDate:
            ib.cancelHistoricalData(stream.source)

    def set_market_data_type(self, quality: DataQuality) -> None:
        self._require()
        self._market_data_type = quality
        self._ib.reqMarketDataType(quality.value)

    def delayed_instruments(self) -> frozenset[Instrument]:
        return frozenset(self._delayed)

    def _fall_back_to_delayed(self, stream: _Stream) -> None:
        """Ask for the refused quote stream again as delayed data (reqMarketDataType 3, then reqMktData)."""
        stream.retried = True
        ib = self._ib
        self._by_req.pop(stream.req_id, None)
        ib.wrapper.endTicker(stream.source, "mktData")  # the refused request is not live at TWS: no cancel
        if not self._market_data_type.is_delayed:
            self._market_data_type = DataQuality.DELAYED
            ib.reqMarketDataType(DataQuality.DELAYED.value)
        ib.reqMktData(stream.contract, stream.params["generic_ticks"], stream.params["snapshot"], False)
        stream.req_id = ib.wrapper.ticker2ReqId["mktData"].get(stream.source, 0)
        self._by_req[stream.req_id] = stream
        self._mark_delayed(stream)

    def _mark_delayed(self, stream: _Stream) -> None:
        stream.delayed = True
        self._delayed.add(stream.instrument)

    # --- orders ----------------------------------------------------------------------------------------------

    def place_order(self, request: OrderRequest, *, order_id: int | None = None, parent_order_id: int = 0) -> int:
        self._require()
        order = tr.to_ib_order(request, order_id=order_id or 0, parent_id=parent_order_id)
        trade = self._ib.placeOrder(tr.to_contract(request.instrument), order)
        return int(trade.order.orderId)

    def _trade(self, order_id: int) -> Any:
        return self._ib.wrapper.trades.get((self._ib.wrapper.clientId, order_id))

    def modify_order(self, order_id: int, request: OrderRequest) -> None:
        self._require()
        trade = self._trade(order_id)
        if trade is None:
            raise OrderError(f"order {order_id} is not an order of this session")
        if trade.isDone():
            raise OrderError(f"order {order_id} is {trade.orderStatus.status}: it can no longer be modified")
        order = tr.to_ib_order(request, order_id=order_id, parent_id=trade.order.parentId)
        order.clientId, order.permId = trade.order.clientId, trade.order.permId
        self._ib.placeOrder(trade.contract, order)

    def cancel_order(self, order_id: int) -> None:
        self._require()
        trade = self._trade(order_id)
        if trade is not None:
            self._ib.cancelOrder(trade.order)
        else:  # an order of an earlier session of this client id
            self._ib.client.cancelOrder(order_id, "")

    def global_cancel(self) -> None:
        self._require()
        self._ib.reqGlobalCancel()

    def _reported(self, trades: list[Any], *, completed: bool = False) -> list[ReportedOrder]:
        now, out = self._clock.now(), []
        # ib_async lists a trade once per openOrder message of the answer: keep each order once.
        unique = {(t.order.clientId, t.order.orderId, t.order.permId): t for t in trades}
        for trade in unique.values():
            try:
                out.append(tr.reported_order(trade, now, completed=completed))
            except ValueError as exc:
                # An order ibbot cannot describe (another client's REL order, say): reported, not dropped silently.
                self._emit(Notice(code=0, text=f"order {trade.order.orderId} not reported: {exc}", time=now))
        return out

    async def open_orders(self, *, timeout: float | None = None) -> list[ReportedOrder]:
        """Every client's open orders (reqAllOpenOrders)."""
        return self._reported(await self._ask(self._ib.reqAllOpenOrdersAsync, timeout, "open orders"))

    async def completed_orders(self, *, timeout: float | None = None) -> list[ReportedOrder]:
        return self._reported(
            await self._ask(lambda: self._ib.reqCompletedOrdersAsync(False), timeout, "completed orders"),
            completed=True,
        )

    async def executions(self, since: datetime | None = None, *, timeout: float | None = None) -> list[Fill]:
        fills = await self._ask(lambda: self._ib.reqExecutionsAsync(tr.execution_filter(since)), timeout, "executions")
        # ib_async keeps one Fill per execId, which later commissionReports complete; the answer's may be a copy.
        known = self._ib.wrapper.fills
        return [tr.fill_from(known.get(f.execution.execId, f)) for f in fills]

    # --- account ---------------------------------------------------------------------------------------------

    async def positions(self, *, timeout: float | None = None) -> list[Position]:
        answer = await self._ask(self._ib.reqPositionsAsync, timeout, "positions")
        # ib_async adds the position updates that arrive while the request is in flight (a fill's) to its answer:
        # one holding listed twice. The last word per account and contract is the holding.
        latest = {(p.account, p.contract.conId): p for p in answer}
        return [tr.position_from(p) for p in latest.values()]

    async def account_values(self, account: str = "", *, timeout: float | None = None) -> list[AccountValue]:
        """The account values ib_async keeps from the reqAccountUpdates of the connect."""
        self._require()
        return [tr.account_value_from(v) for v in self._ib.accountValues(account)]

    # --- ib_async events -------------------------------------------------------------------------------------

    def _on_error(self, req_id: int, code: int, text: str, contract: object) -> None:
        now = self._clock.now()
        self._emit(Notice(code=code, text=text, time=now, req_id=req_id))
        wrapper = self._ib.wrapper
        if code in _ENDS_REQUEST and req_id in wrapper._futures:
            wrapper._endReq(req_id, IbRequestError(req_id, code, text), success=False)
        stream = self._by_req.get(req_id)
        if stream is None:
            return
        if stream.kind == "quotes" and code in DELAYED_FALLBACK_CODES:
            if code == 10167:  # TWS serves delayed data for it already
                self._mark_delayed(stream)
                return
            if not stream.retried:
                self._fall_back_to_delayed(stream)
                return
        if code in _STREAM_WARNINGS or 2100 <= code < 2200:
            return
        self._forget(stream)
        if stream.kind in _TICKER_KINDS:
            tick_type = {"quotes": "mktData", "depth": "mktDepth"}.get(stream.kind, stream.params.get("tick_type"))
            self._ib.wrapper.endTicker(stream.source, tick_type)
        self._emit(StreamError(handle=stream.handle, code=code, text=text, time=now))

    def _on_order(self, trade: Any) -> None:
        self._emit(tr.order_update(trade, self._clock.now()))

    def _on_execution(self, trade: Any, fill: Any) -> None:
        self._emit(tr.fill_from(fill))

    def _on_commission(self, trade: Any, fill: Any, report: Any) -> None:
        self._emit(tr.commission_from(report, self._clock.now()))

    def _on_position(self, position: Any) -> None:
        self._emit(tr.position_from(position))

    def _on_account_value(self, value: Any) -> None:
        self._emit(tr.account_value_from(value))

    def _on_tickers(self, tickers: set[Any]) -> None:
        now = None
        for ticker in tickers:
            streams = self._by_ticker.get(ticker)
            if not streams:
                continue
            now = now or self._clock.now()
            quotes = streams.get("quotes")
            if quotes is not None and ticker.ticks:
                value = tr.quote_from(ticker, quotes.instrument, now, delayed=quotes.delayed)
                self._emit(_streamed(handle=quotes.handle, value=value))
            ticks = streams.get("tick_by_tick")
            if ticks is not None and ticker.tickByTicks:
                self._emit_tick_by_tick(ticks, ticker)
            depth = streams.get("depth")
            if depth is not None and ticker.domTicks:
                handle, instrument, emit, depth_from = depth.handle, depth.instrument, self._emit, tr.depth_from
                for tick in ticker.domTicks:
                    emit(_streamed(handle=handle, value=depth_from(tick, instrument, now)))

    def _emit_tick_by_tick(self, stream: _Stream, ticker: Any) -> None:
        instrument, handle = stream.instrument, stream.handle
        if stream.params["tick_type"] == "BidAsk":
            quality = tr.quality_of(ticker.marketDataType)
            for tick in ticker.tickByTicks:
                self._emit(_streamed(handle=handle, value=tr.bid_ask_quote_from(tick, instrument, quality)))
        else:
            for tick in ticker.tickByTicks:
                self._emit(_streamed(handle=handle, value=tr.trade_tick_from(tick, instrument)))


def request_error(code: int, text: str, *, req_id: int = -1) -> RequestError:
    """IB's answer to a request as ibbot's error: 162 pacing and no-data have their own classes."""
    lowered = text.lower()
    if code == 162 and "pacing violation" in lowered:
        return PacingViolationError(code, text, req_id=req_id)
    if code == 162 and "returned no data" in lowered:
        return NoDataError(code, text, req_id=req_id)
    return RequestError(code, text, req_id=req_id)


__all__ = ["IbBroker", "request_error"]
