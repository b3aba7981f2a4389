"""nameko's HTTP entrypoint (`http`), served by connections that send at once (TCP_NODELAY).

eventlet's WSGI server writes a response through a 16 KB buffer: a body larger than what is left
of it goes out in a second `send` after the headers, and with Nagle's algorithm that second write
waits until the client acknowledges the first — which a keep-alive client (the gateway's session
with the documents service) delays by up to 40 ms. A 16 KB summary PDF took 48 ms from the
documents service instead of 5 (bench/all.py, issue 15). Every service's HTTP (documents' internal
API, the health and metrics endpoints) uses this entrypoint instead of `nameko.web.handlers.http`.
"""
from __future__ import annotations

import socket

from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer


def no_delay(sock: socket.socket) -> socket.socket:
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class NoDelayWebServer(WebServer):
    """nameko's web server with TCP_NODELAY on its listening socket: Linux gives the option to
    every connection it accepts."""

    def get_wsgi_server(self, sock, wsgi_app, *args, **kwargs):
        return super().get_wsgi_server(no_delay(sock), wsgi_app, *args, **kwargs)


class HttpEntrypoint(HttpRequestHandler):
    server = NoDelayWebServer()


http = HttpEntrypoint.decorator
