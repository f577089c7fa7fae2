"""A background worker: pings Redis (plain RESP over a socket) now and then."""
import os, socket, time
from urllib.parse import urlparse

u = urlparse(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
while True:
    with socket.create_connection((u.hostname, u.port or 6379), timeout=2) as s:
        s.sendall(b"*1\r\n$4\r\nPING\r\n")
        print("worker: redis says", s.recv(64).decode().strip())
    time.sleep(10)
