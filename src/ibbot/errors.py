"""The one exception tree of ibbot.

    IbbotError
    ├── ConfigError                 invalid settings (raised at the edge, before anything starts)
    ├── StoreError                  the simulator's state file cannot be opened, read or written
    └── ProtocolError               the TWS wire protocol cannot go on
        ├── FrameError              a frame is malformed or larger than the maximum (fatal to a connection)
        ├── HandshakeError          the "API\\0" hello is malformed or no version can be agreed
        └── FieldError              a field cannot be read as the type its message needs
        LocalProtocolError          we were asked to send something the negotiated version cannot carry
    └── OrderStateError             the simulator's order engine took a step its status table forbids (a bug)

Errors in a client's *request* (a bad field, an unknown message id) are not exceptions at the connection
level: `ibbot.protocol.connection` turns them into typed events so one bad message never kills a session.
"""

from __future__ import annotations


class IbbotError(Exception):
    """Base of every exception ibbot raises on purpose."""


class ConfigError(IbbotError):
    """Settings are invalid; raised once, where they are loaded."""


class StoreError(IbbotError):
    """The simulator's state file is foreign, newer than this code, locked, or an I/O operation on it failed."""


class ProtocolError(IbbotError):
    """The peer violated the TWS wire protocol."""


class FrameError(ProtocolError):
    """A frame is malformed or oversized; the byte stream cannot be resynchronised."""


class HandshakeError(ProtocolError):
    """The connection hello is malformed, or the version ranges do not overlap."""


class FieldError(ProtocolError):
    """A field's text cannot be read as the type the message layout requires."""


class LocalProtocolError(IbbotError):
    """We tried to send something the negotiated server version cannot express (a bug on our side)."""


class OrderStateError(IbbotError):
    """An order took a lifecycle step its status table does not allow: a bug in the engine, not the client."""
