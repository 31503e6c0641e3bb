"""A TCP relay in front of a real test server, so a test can take a dependency away.

The app is pointed at the relay. Stopping it closes its port (connections are refused,
as when the server is down); starting it again on the same port brings the dependency
back with its in-memory data intact and without touching the app's clients.
"""

import contextlib
import socket
import threading

import boto3
from django.conf import settings

from videoplatform import aws
from videoplatform.testing.servers import stack_server


class TcpRelay:
    """Forwards 127.0.0.1:<port> to a target port until stopped; restartable on that port."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.port: int | None = None
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port or 0))
        listener.listen(32)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        """Close the port and every relayed connection (pooled keep-alives die too)."""
        listener, self._listener = self._listener, None
        if listener is not None:
            # shutdown() wakes the accept() blocked in the relay thread; close() alone
            # would leave the port listening until that call returns.
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                downstream, _ = listener.accept()
            except OSError:
                return  # listener closed
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                downstream.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets.update({downstream, upstream})
            threading.Thread(target=self._pipe, args=(downstream, upstream), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, downstream), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


def relay_for(server_name: str) -> TcpRelay:
    """A started relay in front of the session's ``dynamodb`` or ``seaweedfs`` server."""
    relay = TcpRelay(stack_server(server_name).port)
    relay.start()
    return relay


def client_like(service: str, endpoint_url: str):
    """A boto3 client built with the app's own settings, but for another endpoint."""
    config = aws._s3_config() if service == "s3" else aws._config()
    return boto3.client(
        service,
        region_name=settings.AWS_REGION,
        endpoint_url=endpoint_url,
        config=config,
        **aws._credentials(),
    )
