"""A front end (admin panel or public site) that talks to the backend."""
import os, sys, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

name = sys.argv[1] if len(sys.argv) > 1 else "site"
port = int(os.environ["PORT"])
backend = os.environ.get("BACKEND_URL", "http://127.0.0.1:8000")

# The backend is ready before this starts: hiverun ordered it so.
with urllib.request.urlopen(backend + "/api/info", timeout=5) as r:
    info = r.read().decode()
print(name, "got", info, "from the backend")


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("<h1>%s</h1>\n" % name).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass


print(name, "serving on port", port)
ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
