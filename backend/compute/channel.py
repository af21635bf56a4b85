"""Messages from fits running in other processes (local workers or Dask workers) back to the caller.

A :class:`Channel` is a small picklable handle that travels with each task. In the process that opened
it, ``send`` calls the consumer directly; anywhere else it ships the message home without waiting: over a
local socket for worker processes on this machine, or as a Dask worker event, relayed by the scheduler,
for a cluster. The consumer is called one message at a time, from whichever thread delivers it; messages
from another process may still be on their way when its task returns.
"""

from __future__ import annotations

import logging
import pickle
import secrets
import threading
from collections.abc import Callable
from multiprocessing.connection import Client, Connection, Listener
from typing import Any

logger = logging.getLogger(__name__)

Consumer = Callable[[Any], None]

# Process-local: the consumers of the channels this process opened, by token. A task unpickled in
# another process finds its token missing here, which is how it knows to send over the transport.
_consumers: dict[str, Consumer] = {}
# Worker side: one connection per local channel, reused by every task the worker runs.
_connections: dict[str, Connection] = {}
_connections_lock = threading.Lock()


class Channel:
    """A picklable way for a task to send messages to the process that opened the channel."""

    def __init__(self, token: str):
        self.token = token

    @property
    def is_home(self) -> bool:
        """Whether this is the process that opened the channel (its consumer is called directly)."""
        return self.token in _consumers

    def send(self, message: Any) -> None:
        """Deliver ``message`` (any picklable value) to the channel's consumer."""
        consumer = _consumers.get(self.token)
        if consumer is not None:
            consumer(message)
        else:
            self._send_remote(message)

    def _send_remote(self, message: Any) -> None:
        raise NotImplementedError

    def __deepcopy__(self, memo: dict) -> Channel:
        # scikit-learn's clone deep-copies estimator parameters; a copy must reach the same consumer.
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.token!r})"


def _serialised(consumer: Consumer) -> Consumer:
    lock = threading.Lock()

    def consume(message: Any) -> None:
        with lock:
            consumer(message)

    return consume


# -- worker processes on this machine: a UNIX socket ------------------------------------------------------


class SocketChannel(Channel):
    """A channel to a listener on this machine.

    ``send`` does not wait for the message to be consumed (a busy caller must not slow every fit down):
    messages from one process arrive in the order they were sent, and a caller that needs all of them
    counts them in (see :meth:`backend.compute.ComputeSession.wait_until`).
    """

    def __init__(self, token: str, address: str, authkey: bytes):
        super().__init__(token)
        self.address = address
        self.authkey = authkey

    def _send_remote(self, message: Any) -> None:
        with _connections_lock:
            try:
                connection = _connections.get(self.address)
                if connection is None:
                    connection = Client(self.address, authkey=self.authkey)
                    _connections[self.address] = connection
                connection.send(message)
            except OSError as exc:
                # The listener has closed (its caller gave up): a report must never fail the work itself.
                _connections.pop(self.address, None)
                logger.debug("dropped a message for a closed channel %s: %s", self.address, exc)


class SocketListener:
    """The home end of a :class:`SocketChannel`: accepts worker connections and consumes their messages.

    Use as a context manager; leaving it closes the listener and every connection.
    """

    def __init__(self, consumer: Consumer):
        self._consume = _serialised(consumer)
        # A generous backlog: several workers may connect at once while one handshake is in progress.
        self._listener = Listener(authkey=(authkey := secrets.token_bytes(32)), backlog=64)
        self._open: list[Connection] = []
        self._lock = threading.Lock()
        self.channel = SocketChannel(secrets.token_hex(8), self._listener.address, authkey)
        _consumers[self.channel.token] = self._consume
        threading.Thread(target=self._accept, name="torchwork-channel-accept", daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection = self._listener.accept()
            except (OSError, EOFError):
                return
            except Exception as exc:  # a failed handshake (wrong key): refuse that one, keep listening
                logger.warning("refused a connection to the progress channel: %s", exc)
                continue
            with self._lock:
                self._open.append(connection)
            threading.Thread(
                target=self._serve, args=(connection,), name="torchwork-channel-reader", daemon=True
            ).start()

    def _serve(self, connection: Connection) -> None:
        try:
            while True:
                self._consume(connection.recv())
        except (EOFError, OSError):
            return

    def close(self) -> None:
        _consumers.pop(self.channel.token, None)
        self._listener.close()
        with self._lock:
            for connection in self._open:
                connection.close()
            self._open.clear()

    def __enter__(self) -> SocketListener:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# -- a Dask cluster: worker events relayed by the scheduler ---------------------------------------------


class DaskEventChannel(Channel):
    """A channel from Dask workers: each message is a worker event on the channel's topic."""

    @property
    def topic(self) -> str:
        return f"torchwork-{self.token}"

    def _send_remote(self, message: Any) -> None:
        from distributed import get_worker

        try:
            worker = get_worker()
        except ValueError:
            logger.warning("a message for %s was sent outside a Dask worker and dropped", self.topic)
            return
        # Events travel as msgpack; a pickle keeps tuples, numpy values and classes intact.
        worker.log_event(self.topic, {"pickle": pickle.dumps(message)})


class DaskEventListener:
    """The home end of a :class:`DaskEventChannel`, subscribed through ``client``.

    Events arrive asynchronously (after the task that sent them may have finished): a caller that
    needs every message waits until it has counted them.
    """

    def __init__(self, client: Any, consumer: Consumer):
        self._client = client
        self._consume = _serialised(consumer)
        self.channel = DaskEventChannel(secrets.token_hex(8))
        _consumers[self.channel.token] = self._consume
        client.subscribe_topic(self.channel.topic, self._on_event)

    def _on_event(self, event: tuple[float, Any]) -> None:
        _, payload = event
        try:
            message = pickle.loads(payload["pickle"])
        except Exception as exc:
            logger.warning("could not read a message on %s: %s", self.channel.topic, exc)
            return
        self._consume(message)

    def close(self) -> None:
        _consumers.pop(self.channel.token, None)
        try:
            self._client.unsubscribe_topic(self.channel.topic)
        except Exception as exc:  # the client may already be closing
            logger.debug("could not unsubscribe from %s: %s", self.channel.topic, exc)

    def __enter__(self) -> DaskEventListener:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
