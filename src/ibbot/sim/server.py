"""The asyncio TCP server of `ibbot sim`: sockets, the streaming timer and fault injection; the only I/O in sim/.

Theory of operation: one task per client reads bytes into its `ServerConnection`, hands each decoded request to
the `Simulator` and writes what comes back. A timer task calls `Simulator.step` every `tick_interval` and writes
the streamed messages. A worker task does the simulator's waiting work (big history requests) a slice at a
time, yielding to the loop after each, so no client waits for another's bars; a client's task yields too after
a run of requests, so a burst from one client cannot hold the others up. Writes never wait: a client whose
unread output passes `max_output_buffer` is dropped (the simulator must never stall the others, nor grow
without bound, for one client that does not read).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
from dataclasses import dataclass, field
from types import TracebackType
from zoneinfo import ZoneInfo

from ibbot.clock import Clock, LiveClock
from ibbot.errors import ProtocolError
from ibbot.protocol import ConnectionClosed, NeedData, Negotiated, ServerConnection
from ibbot.protocol.handshake import format_connection_time
from ibbot.protocol.ids import ClientMsgId
from ibbot.protocol.requests import BadRequest, Request, UnknownRequest
from ibbot.protocol.requests.session import StartApi
from ibbot.protocol.responses import Response
from ibbot.protocol.responses.session import ErrorMessage
from ibbot.sim import errors
from ibbot.sim.config import SimConfig
from ibbot.sim.faults import FaultController, parse_faults
from ibbot.sim.outbox import Outbox
from ibbot.sim.session import ClientSession
from ibbot.sim.simulator import Simulator
from ibbot.sim.store import DiscardingStore, StateStore, Store, default_state_path
from ibbot.sim.throttle import LogThrottle

log = logging.getLogger(__name__)

READ_SIZE = 64 * 1024
WORK_SLICE = 10_000.0  # units (about microseconds) of the simulator's waiting work between two yields
REQUESTS_PER_YIELD = 4  # a client's task lets the others run after this many requests of one read


@dataclass(eq=False)
class _Client:
    conn: ServerConnection
    writer: asyncio.StreamWriter
    peer: str
    session: ClientSession | None = None
    closing: bool = False
    latency: float = 0.0
    pending: list[asyncio.TimerHandle] = field(default_factory=list)
    refusal: tuple[int, str] | None = None  # why it will be refused at startApi (an untrusted address)


class SimServer:
    """`async with SimServer(config) as server:` listens on `server.port` until the block ends."""

    def __init__(self, config: SimConfig, *, clock: Clock | None = None, simulator: Simulator | None = None) -> None:
        self.config = config
        self.clock = clock or LiveClock()
        self.sim = simulator or Simulator(config, self.clock.now(), open_store(config))
        self._server: asyncio.Server | None = None
        self._clients: set[_Client] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._ticker: asyncio.Task[None] | None = None
        self._worker: asyncio.Task[None] | None = None
        self._work_ready = asyncio.Event()
        self.latency = 0.0  # seconds added before every write (a fault)
        self.port = config.port
        self.faults = FaultController(self)
        self.failures: list[Exception] = []  # our own bugs met while serving; `ibbot.testing` fails on them
        self.warnings = LogThrottle(log)  # about clients' junk: rate-limited

    # --- lifecycle -------------------------------------------------------------------------------------

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._on_connect, self.config.host, self.port, limit=READ_SIZE)
        self.port = self._server.sockets[0].getsockname()[1]
        self._ticker = asyncio.create_task(self._tick_loop(), name="ibbot-sim-ticker")
        self._worker = asyncio.create_task(self._work_loop(), name="ibbot-sim-worker")
        log.info("ibbot sim listening on %s:%d", self.config.host, self.port)

    async def stop(self) -> None:
        for task in (self._ticker, self._worker):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._ticker = self._worker = None
        if self._server is not None:
            self._server.close()
        await self.drop_all()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> SimServer:
        await self.start()
        self.faults.schedule(parse_faults(self.config.extra.get("faults")))
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.faults.cancel()
        await self.stop()
        self.sim.store.close()

    async def drop_all(self) -> None:
        """Close every client connection (a fault, and shutdown)."""
        for client in list(self._clients):
            self._close(client)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    @property
    def client_count(self) -> int:
        return sum(1 for c in self._clients if c.session is not None)

    # --- one client ------------------------------------------------------------------------------------

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        peer_info = writer.get_extra_info("peername")
        peer = _plain_ip(str(peer_info[0])) if peer_info else "?"
        client = _Client(ServerConnection(), writer, peer, latency=self.latency)
        if not self.config.allows(peer):
            client.refusal = errors.UNTRUSTED_PEER(peer)  # told after the handshake, so the client can read it
        self._clients.add(client)
        try:
            await self._serve(client, reader)
        except TimeoutError:
            timeout = self.config.handshake_timeout
            self._warn("handshake", "client from %s did not finish the handshake in %g s; closing it", peer, timeout)
        except ProtocolError as exc:
            self._warn("protocol", "client %s: protocol error, closing: %s", self._name(client), exc)
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            log.info("client %s: connection lost: %s", self._name(client), exc)
        except asyncio.CancelledError:
            pass
        finally:
            self._close(client)
            self._tasks.discard(task)

    async def _serve(self, client: _Client, reader: asyncio.StreamReader) -> None:
        conn = client.conn
        loop = asyncio.get_running_loop()
        # A socket holds no client slot until startApi, and may not stay silent: the handshake has a deadline.
        deadline = loop.time() + self.config.handshake_timeout
        while not client.closing:
            if client.session is None:
                async with asyncio.timeout_at(deadline):
                    data = await reader.read(READ_SIZE)
            else:
                data = await reader.read(READ_SIZE)
            conn.receive_data(data)
            handled = 0
            while not client.closing:
                event = conn.next_event()
                if isinstance(event, NeedData):
                    break
                if isinstance(event, ConnectionClosed):
                    return
                if isinstance(event, Negotiated):
                    now = self.clock.now().astimezone(_tws_zone(self.config))
                    self._write(client, conn.accept(format_connection_time(now)))
                    continue
                if client.session is None:
                    if isinstance(event, StartApi):
                        self._admit(client, event)
                    elif isinstance(event, BadRequest) and event.msg_id is ClientMsgId.START_API:
                        self._refuse(client, *errors.BAD_CLIENT_ID(event.reason))
                    continue  # TWS ignores requests before startApi
                self._handle(client.session, event)
                handled += 1
                if handled % REQUESTS_PER_YIELD == 0:
                    await asyncio.sleep(0)
            if not data:
                return
            await asyncio.sleep(0)  # a read that finds data buffered does not yield: let the others run

    def _handle(self, session: ClientSession, event: Request | UnknownRequest | BadRequest) -> None:
        try:
            out = self.sim.handle(session, event, self.clock.now())
        except Exception as exc:
            # A bug of ours, not the client's mistake: record it (tests fail on it), tell the client as TWS
            # would, for the request (or order) it was about, and keep serving it and everyone else.
            log.exception("client %d: %s failed", session.client_id, type(event).__name__)
            self.failures.append(exc)
            out = Outbox()
            out.error(session.client_id, _request_id(event), *errors.INTERNAL_ERROR)
        self.deliver(out)
        if self.sim.busy:
            self._work_ready.set()

    def _admit(self, client: _Client, start: StartApi) -> None:
        if client.refusal is not None:
            self._warn("untrusted", "refused client from %s: not a trusted IP", client.peer)
            self._refuse(client, *client.refusal)
            return
        if self.client_count >= self.config.max_clients:
            self._warn("full", "refused client from %s: %d clients already connected", client.peer, self.client_count)
            self._refuse(client, *errors.TOO_MANY_CLIENTS(self.config.max_clients))
            return
        session, out = self.sim.admit(start.client_id, client.conn.server_version, client.peer, self.clock.now())
        if session is None:
            self._warn("client-id", "client from %s refused: client id %d already in use", client.peer, start.client_id)
            for message in out.for_client(start.client_id):
                self._write_now(client, client.conn.send(message))
            client.closing = True
            return
        client.session = session
        log.info(
            "client %d connected from %s (server version %d)",
            start.client_id,
            client.peer,
            session.server_version,
        )
        self.deliver(out)

    def _refuse(self, client: _Client, code: int, text: str) -> None:
        """Tell a connection why it is not admitted (at once: a latency fault must not swallow it), then close."""
        if not client.writer.is_closing():
            self._write_now(client, client.conn.send(ErrorMessage(req_id=-1, code=code, text=text)))
        client.closing = True

    def _warn(self, key: str, message: str, *args: object) -> None:
        self.warnings.warning(self.clock.monotonic(), key, message, *args)

    # --- output ----------------------------------------------------------------------------------------

    def deliver(self, out: Outbox) -> None:
        if not out:
            return
        by_id = {c.session.client_id: c for c in self._clients if c.session is not None}
        for client_id, messages in out.items():
            client = by_id.get(client_id)
            if client is not None:
                self._send(client, messages)
        for client_id, data in out.frame_items():
            client = by_id.get(client_id)
            if client is not None and not client.writer.is_closing():
                self._write(client, data)
        for client_id in out.close:
            client = by_id.get(client_id)
            if client is not None:
                self._close(client)

    def _send(self, client: _Client, messages: list[Response]) -> None:
        if messages and not client.writer.is_closing():
            self._write(client, client.conn.send_many(messages, now_ms=int(self.clock.now().timestamp() * 1000)))

    def _write(self, client: _Client, data: bytes) -> None:
        if self.latency > 0:
            loop = asyncio.get_running_loop()
            client.pending.append(loop.call_later(self.latency, self._write_now, client, data))
        else:
            self._write_now(client, data)

    def _write_now(self, client: _Client, data: bytes) -> None:
        writer = client.writer
        if writer.is_closing():
            return
        writer.write(data)
        if writer.transport.get_write_buffer_size() > self.config.max_output_buffer:
            log.warning("client %s does not read its data; disconnecting it", self._name(client))
            writer.transport.abort()
            self._close(client)

    def _close(self, client: _Client) -> None:
        client.closing = True
        for handle in client.pending:
            handle.cancel()
        client.pending.clear()
        if client.session is not None:
            self.sim.release(client.session)
            log.info("client %d disconnected", client.session.client_id)
            client.session = None
        self._clients.discard(client)
        if not client.writer.is_closing():
            client.writer.close()

    @staticmethod
    def _name(client: _Client) -> str:
        return f"{client.session.client_id}@{client.peer}" if client.session else client.peer

    # --- time ------------------------------------------------------------------------------------------

    def _backed_up(self) -> frozenset[int]:
        """Clients with a quarter of `max_output_buffer` unsent: their history waits until they read (else a
        client that asked for many big answers at once would be dropped for reading them slower than made)."""
        limit = self.config.max_output_buffer // 4
        return frozenset(
            c.session.client_id
            for c in self._clients
            if c.session is not None and c.writer.transport.get_write_buffer_size() > limit
        )

    async def _work_loop(self) -> None:
        while True:
            await self._work_ready.wait()
            self._work_ready.clear()
            while self.sim.busy:
                self.sim.pause(self._backed_up())
                if not self.sim.ready:
                    await asyncio.sleep(0.01)  # what is left is for clients still reading: let them read
                    continue
                try:
                    self.deliver(self.sim.work(self.clock.now(), WORK_SLICE))
                except Exception as exc:  # a bug of ours: recorded and logged, the others are still served
                    log.exception("simulator work failed")
                    self.failures.append(exc)
                    break
                await asyncio.sleep(0)  # the other clients, the timer, the sockets

    async def _tick_loop(self) -> None:
        interval = self.config.tick_interval
        while True:
            await asyncio.sleep(interval)
            try:
                self.sim.pause(self._backed_up())
                self.deliver(self.sim.step(self.clock.now()))
            except Exception as exc:  # a bug of ours must not stop the market: recorded, logged loudly
                log.exception("simulator step failed")
                self.failures.append(exc)


def open_store(config: SimConfig) -> Store:
    """The paper account's store: nothing on disk when ephemeral, else `--state` or the user's data dir."""
    if config.ephemeral:
        return DiscardingStore()
    # WAL with synchronous=NORMAL: a commit survives the process being killed (what acknowledging needs) at
    # a fraction of FULL's fsync cost on the order path; only an OS crash or power loss could lose the last ones.
    return StateStore.open(config.state_path or default_state_path(os.environ), synchronous="normal")


def _tws_zone(config: SimConfig) -> ZoneInfo:
    return ZoneInfo(config.time_zone)


def _plain_ip(peer: str) -> str:
    """The peer's address as a person writes it: `::ffff:10.1.2.3` (a dual-stack socket's IPv4 client) is 10.1.2.3."""
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return peer
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return peer


def _request_id(event: Request | UnknownRequest | BadRequest) -> int:
    """The id an error about `event` names: its request id, or the order id of an order message."""
    for name in ("req_id", "order_id"):
        value = getattr(event, name, None)
        if isinstance(value, int):
            return value
    return -1
