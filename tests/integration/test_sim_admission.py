"""Who gets in, and who is told why not: slots count admitted clients only, silent sockets time out, refusals
carry a reason a person can act on, odd client ids are refused, a client connecting during an outage hears of it."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import pytest
from ib_async import IB

from ibbot.protocol.framing import FrameBuffer, frame_fields, split_fields
from ibbot.protocol.handshake import encode_client_hello
from ibbot.sim.config import SimConfig
from ibbot.testing import running_simulator

from .support import until


async def _closed_by_server(reader: asyncio.StreamReader, timeout: float) -> bool:
    """Whether the server closes the socket within `timeout` seconds (reading whatever it sent first)."""
    try:
        async with asyncio.timeout(timeout):
            while await reader.read(65536):
                pass
    except TimeoutError:
        return False
    return True


async def _frames_until_closed(reader: asyncio.StreamReader) -> list[list[str]]:
    buffer, frames = FrameBuffer(), []
    async with asyncio.timeout(5):
        while data := await reader.read(65536):
            buffer.feed(data)
            while (payload := buffer.next_frame()) is not None:
                frames.append(split_fields(payload))
    return frames


async def _start_api(port: int, client_id_field: str) -> list[list[str]]:
    """Handshake by hand, then startApi with `client_id_field` as sent: every frame until the server closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(encode_client_hello(157, 178))
    writer.write(frame_fields(["71", "2", client_id_field, ""]))
    try:
        return await _frames_until_closed(reader)
    finally:
        writer.close()


async def test_silent_sockets_hold_no_slot_and_are_closed_after_the_handshake_deadline() -> None:
    # Before: 32 silent sockets kept every client out for as long as they stayed open.
    async with running_simulator(SimConfig(max_clients=2, handshake_timeout=0.5)) as sim:
        silent = [await asyncio.open_connection("127.0.0.1", sim.port) for _ in range(4)]
        half_done = await asyncio.open_connection("127.0.0.1", sim.port)
        half_done[1].write(encode_client_hello(157, 178))  # versions, but never startApi
        clients = [IB(), IB()]
        for client_id, ib in enumerate(clients, start=1):
            await ib.connectAsync("127.0.0.1", sim.port, clientId=client_id, timeout=5)
        assert sim.client_count == 2
        closed = await asyncio.gather(*(_closed_by_server(r, 5) for r, _ in [*silent, half_done]))
        assert closed == [True] * 5
        assert all(ib.isConnected() for ib in clients)  # the deadline is for the handshake only
        assert await clients[0].reqCurrentTimeAsync()
        for ib in clients:
            ib.disconnect()
        for _, writer in [*silent, half_done]:
            writer.close()


async def test_the_client_past_max_clients_is_told_why_and_the_others_go_on() -> None:
    async with running_simulator(SimConfig(max_clients=2)) as sim:
        first, second = IB(), IB()
        await first.connectAsync("127.0.0.1", sim.port, clientId=1, timeout=5)
        await second.connectAsync("127.0.0.1", sim.port, clientId=2, timeout=5)
        third = IB()
        told: list[tuple[int, str]] = []
        third.errorEvent += lambda req_id, code, text, contract: told.append((code, text))
        with pytest.raises((ConnectionError, TimeoutError)):
            await third.connectAsync("127.0.0.1", sim.port, clientId=3, timeout=2)
        assert [code for code, _ in told] == [502]
        assert "already serves 2 API clients" in told[0][1] and "max_clients" in told[0][1]
        assert sim.client_count == 2
        second.disconnect()
        await until(lambda: sim.client_count == 1)
        await third.connectAsync("127.0.0.1", sim.port, clientId=3, timeout=5)  # a freed slot is usable
        assert await third.reqCurrentTimeAsync()
        for ib in (first, third):
            ib.disconnect()


@pytest.mark.parametrize("client_id", ["", "2147483647", "abc", "1.5"])
async def test_a_start_api_without_a_usable_client_id_is_refused_not_admitted_as_the_master(client_id: str) -> None:
    # Before: "" and 2147483647 were admitted as client 0 (which sees every client's orders), "abc" left a
    # silent socket holding a slot.
    async with running_simulator() as sim:
        frames = await _start_api(sim.port, client_id)
        assert frames[0][0] == "178"  # the server hello
        errors = [f for f in frames[1:] if f[0] == "4"]
        assert len(errors) == 1 and errors[0][3] == "320"
        assert "client id must be a whole number" in errors[0][4]
        assert not any(f[0] in ("9", "15") for f in frames)  # neither nextValidId nor managedAccounts
        assert sim.client_count == 0 and 0 not in sim.sim.sessions


@dataclass(frozen=True, slots=True, kw_only=True)
class _NobodyTrusted(SimConfig):
    """A config under which even this machine is an untrusted address (the test can only connect from it)."""

    def allows(self, peer_ip: str) -> bool:
        return False


async def test_an_untrusted_address_is_told_how_to_be_let_in() -> None:
    async with running_simulator(_NobodyTrusted()) as sim:
        ib = IB()
        told: list[tuple[int, str]] = []
        ib.errorEvent += lambda req_id, code, text, contract: told.append((code, text))
        with pytest.raises((ConnectionError, TimeoutError)):
            await ib.connectAsync("127.0.0.1", sim.port, clientId=1, timeout=2)
        assert [code for code, _ in told] == [502]
        assert "127.0.0.1" in told[0][1] and "trusted_ips" in told[0][1]
        assert sim.client_count == 0


async def test_a_client_connecting_while_tws_is_cut_off_from_ib_hears_1100() -> None:
    async with running_simulator() as sim:
        sim.faults.connectivity_lost()
        ib = IB()
        codes: list[int] = []
        ib.errorEvent += lambda req_id, code, text, contract: codes.append(code)
        await ib.connectAsync("127.0.0.1", sim.port, clientId=1, timeout=5)
        await until(lambda: 1100 in codes)
        sim.faults.connectivity_restored(data_lost=False)
        await until(lambda: 1102 in codes)
        ib.disconnect()


async def test_junk_warnings_are_rate_limited(caplog: pytest.LogCaptureFixture) -> None:
    async with running_simulator(SimConfig(extra={"limits": {"max_messages_per_second": False}})) as sim:
        reader, writer = await asyncio.open_connection("127.0.0.1", sim.port)
        writer.write(encode_client_hello(157, 178))
        writer.write(frame_fields(["71", "2", "5", ""]))
        with caplog.at_level(logging.WARNING, logger="ibbot.sim"):
            for _ in range(200):
                writer.write(frame_fields(["9999", "junk"]))  # unknown message ids
            writer.write(frame_fields(["49", "1"]))  # reqCurrentTime: answered after the junk
            buffer = FrameBuffer()
            async with asyncio.timeout(5):
                while True:
                    buffer.feed(await reader.read(65536))
                    frames = []
                    while (payload := buffer.next_frame()) is not None:
                        frames.append(split_fields(payload))
                    if any(f[0] == "49" for f in frames):
                        break
        unknown = [r for r in caplog.records if "unknown message id" in r.getMessage()]
        assert 1 <= len(unknown) <= 10
        assert sim.sim.warnings.suppressed("unknown") == 200 - len(unknown)
        writer.close()
