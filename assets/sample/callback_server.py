"""OAuth callback handler for local development.

The identity provider redirects the browser to http://localhost:8182/callback?code=...;
this server shows the code so it can be pasted into the API. Standard library only.
"""

from __future__ import annotations

import html
import os
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

PORT = int(os.environ.get("CALLBACK_PORT", "8182"))

PAGE = """<!doctype html>
<html>
  <head><meta charset="utf-8"><title>Ledgerly - authorization received</title></head>
  <body>
    <h1>Authorization received</h1>
    <p>State: <code>{state}</code></p>
    <p>Code: <code>{code}</code></p>
    <p>You can close this window.</p>
  </body>
</html>
"""


class CallbackHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        url = urlparse(self.path)
        if url.path == "/health":
            self._reply(200, "text/plain; charset=utf-8", "ok\n")
            return
        if url.path != "/callback":
            self._reply(404, "text/plain; charset=utf-8", "not found\n")
            return
        query = parse_qs(url.query)
        code = html.escape(query.get("code", [""])[0])
        state = html.escape(query.get("state", [""])[0])
        self._reply(200, "text/html; charset=utf-8", PAGE.format(code=code, state=state))

    def _reply(self, status: int, content_type: str, body: str) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main() -> None:
    server = HTTPServer(("0.0.0.0", PORT), CallbackHandler)
    print(f"callback server listening on :{PORT}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
