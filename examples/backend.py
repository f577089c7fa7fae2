"""The API: answers /health once it has loaded its schema."""
import json, os, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port = int(os.environ["PORT"])
with open(os.path.join(os.environ.get("DATA_DIR", "examples/.data"), "schema.json")) as f:
    schema = json.load(f)
time.sleep(0.2)  # warming caches, as real backends do


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health":
            body = b"ok\n"
        elif self.path.startswith("/api/"):
            body = json.dumps({"app": os.environ.get("APP_NAME", "?"), "schema": schema["version"]}).encode()
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        if self.path != "/health":
            print("%s %s" % (self.command, self.path))


print("backend listening on port", port, "with schema", schema["version"])
ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
