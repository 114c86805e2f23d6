"""The web dashboard: a Starlette app on uvicorn (the only package importing them), rendering `ibbot.ops`.

server = await ibbot.web.serve(ops.monitor, "127.0.0.1", 8080, ops.token())
print(server.url)
...
await server.stop()
"""

from ibbot.web.app import Heartbeat, Source, create_app, page_json
from ibbot.web.metrics import Metrics
from ibbot.web.server import DEFAULT_HOST, WebServer, parse_address, serve

__all__ = [
    "DEFAULT_HOST",
    "Heartbeat",
    "Metrics",
    "Source",
    "WebServer",
    "create_app",
    "page_json",
    "parse_address",
    "serve",
]
