"""IbBroker's session against the simulator: connect, refusals, a dropped link and timeouts."""

from __future__ import annotations

import asyncio
import socket

import pytest

from ibbot.broker.ib import IbBroker
from ibbot.errors import ClientIdInUseError, ConnectError, NotConnectedError, RequestTimeoutError
from ibbot.model import LinkChange, LinkState
from ibbot.testing import running_simulator

from .helpers import Recorder, connected_broker


async def test_connect_reports_the_session() -> None:
    async with connected_broker(client_id=7) as (_, broker, recorder):
        session = broker.session
        assert session is not None
        assert session.client_id == 7 and session.accounts == ("DU1234567",)
        assert 157 <= session.server_version <= 178
        assert session.next_order_id > 0
        assert broker.connected and broker.managed_accounts() == ["DU1234567"]
        assert [c.state for c in recorder.of(LinkChange)] == [LinkState.CONNECTING, LinkState.CONNECTED]
        first = broker.next_order_id()
        assert broker.next_order_id() == first + 1
        moment = await broker.server_time(timeout=5)
        assert moment.tzinfo is not None


async def test_a_client_id_in_use_raises_promptly() -> None:
    async with connected_broker(client_id=3) as (sim, _, _):
        second = IbBroker()
        recorder = Recorder()
        second.add_listener(recorder)
        with pytest.raises(ClientIdInUseError, match="client id 3"):
            await asyncio.wait_for(second.connect("127.0.0.1", sim.port, 3, timeout=30), 5)
        assert not second.connected
        assert [c.state for c in recorder.of(LinkChange)] == [LinkState.CONNECTING, LinkState.DISCONNECTED]
        session = await second.connect("127.0.0.1", sim.port, 4, timeout=10)  # the same object, another id
        assert session.client_id == 4
        await second.disconnect()


async def test_a_refused_port_names_it_and_what_to_check() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, not listening: connections are refused
        broker = IbBroker()
        with pytest.raises(ConnectError, match=rf"127\.0\.0\.1:{port} refused.*socket port {port}"):
            await broker.connect("127.0.0.1", port, 1, timeout=5)
    assert not broker.connected


async def test_a_silent_api_times_out_with_advice() -> None:
    writers: list[asyncio.StreamWriter] = []
    server = await asyncio.start_server(lambda r, w: writers.append(w), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        broker = IbBroker()
        with pytest.raises(ConnectError, match="did not answer within 0.5 s"):
            await broker.connect("127.0.0.1", port, 1, timeout=0.5)
        assert not broker.connected
    finally:
        for writer in writers:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_a_dropped_link_is_one_change_and_the_broker_connects_again() -> None:
    async with running_simulator() as sim:
        broker = IbBroker()
        recorder = Recorder()
        broker.add_listener(recorder)
        await broker.connect("127.0.0.1", sim.port, 1, timeout=10)
        await sim.faults.drop_all()
        await recorder.wait_for(LinkChange, lambda c: c.state is LinkState.DISCONNECTED)
        assert not broker.connected
        with pytest.raises(NotConnectedError):
            await broker.server_time()
        await broker.connect("127.0.0.1", sim.port, 1, timeout=10)
        await broker.server_time(timeout=5)
        await broker.disconnect()
        await broker.disconnect()  # a second disconnect changes nothing
        states = [c.state for c in recorder.of(LinkChange)]
        assert states == [LinkState.CONNECTING, LinkState.CONNECTED, LinkState.DISCONNECTED] * 2
        assert recorder.of(LinkChange)[2].reason == "connection lost"


async def test_a_request_slower_than_its_timeout_raises() -> None:
    async with connected_broker() as (sim, broker, _):
        sim.faults.set_latency(2.0)
        with pytest.raises(RequestTimeoutError, match="current time: no answer within 0.3 s"):
            await broker.server_time(timeout=0.3)
        sim.faults.set_latency(0.0)
        assert (await broker.server_time(timeout=5)).tzinfo is not None
