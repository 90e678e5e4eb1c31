"""A unix-socket relay in front of MariaDB that ends connections the way TCP does.

Over the test stack's unix socket, a client that writes to a connection whose server has
gone gets EPIPE at once (CR_SERVER_GONE_ERROR, 2006).  Over TCP, as most deployments reach
their database, the server's FIN arrives first: the client's next write succeeds and only its
read sees the end (CR_SERVER_LOST, 2013), or an error packet the server sent on its way out
(ER_CONNECTION_KILLED, ER_SERVER_SHUTDOWN).  This relay passes an end of stream on as a
half-close, so workers behind it see exactly that.  Python standard library only.
"""

import os
import socket
import threading


class HalfCloseProxy:
    def __init__(self, path, upstream):
        self.path = path
        self.upstream = upstream
        self.lock = threading.Lock()
        self.socks = []
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        os.chmod(path, 0o777)       # the workers run as another user
        self.listener.listen(128)
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                server.connect(self.upstream)
            except OSError:
                server.close()
                client.close()      # the database is down: the dial fails at the handshake
                continue
            with self.lock:
                self.socks += [client, server]
            for src, dst in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        # Relay the end as TCP relays a FIN: the other side can still write, and reads end of file.
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self):
        # shutdown() first: close() alone does not wake a thread blocked in accept() or recv().
        for s in [self.listener] + self.socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.listener.close()
        self.thread.join(timeout=5)
        with self.lock:
            for s in self.socks:
                s.close()
            self.socks = []
        if os.path.exists(self.path):
            os.unlink(self.path)
