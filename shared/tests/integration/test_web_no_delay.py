"""The services' HTTP entrypoint (consignations_shared.web): connections with TCP_NODELAY, so a
response body sent after its headers is not held back by Nagle's algorithm (issue 15)."""
import socket

import eventlet
import requests
from werkzeug.wrappers import Response

from consignations_shared.web import NoDelayWebServer, http, no_delay

BODY = b"%PDF" + b"x" * 20_000  # larger than eventlet's 16 KB write buffer: headers and body go apart


class WebService:
    name = "webnodelay"

    @http("GET", "/file")
    def file(self, request):
        return Response(BODY, mimetype="application/pdf")


def test_every_accepted_connection_sends_without_delay(service_env):
    from nameko.containers import ServiceContainer

    from consignations_shared.config import load_settings

    settings = load_settings(WebService.name, {**service_env, "WEBNODELAY_HTTP_ADDRESS": "127.0.0.1:0"})
    container = ServiceContainer(WebService, settings.nameko_config())
    container.start()
    try:
        [server] = [e for e in container.extensions if isinstance(e, NoDelayWebServer)]
        listening = server._sock
        assert listening.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        host, port = listening.getsockname()[:2]
        with requests.Session() as client:  # keep-alive, as the gateway's documents client
            for _ in range(3):
                reply = client.get(f"http://{host}:{port}/file", timeout=10)
                assert reply.status_code == 200 and reply.content == BODY
    finally:
        container.stop()


def test_linux_gives_the_listening_socket_s_option_to_accepted_connections():
    listener = no_delay(eventlet.listen(("127.0.0.1", 0)))
    client = socket.create_connection(listener.getsockname())
    accepted, _ = listener.accept()
    try:
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    finally:
        accepted.close()
        client.close()
        listener.close()
