#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# The web tests' HTTP server: serves a folder, and takes the demo page's
# reports (POST /report/NAME): each is appended as one JSON line to
# OUT/NAME.jsonl; a canvas PNG in it (png: a data URL) is saved as
# OUT/NAME.png. Prints the port it listens on, then serves until killed.
# With --isolated every response says COOP same-origin and COEP
# require-corp: the page is cross-origin isolated, so it has
# SharedArrayBuffer and the module its threads (the pthreads build).
# usage: server.py ROOT OUT [--isolated]
import base64, json, os, sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

root, out = sys.argv[1], sys.argv[2]
isolated = '--isolated' in sys.argv[3:]


class Handler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, '.js': 'text/javascript',
                      '.mjs': 'text/javascript', '.wasm': 'application/wasm'}

    def __init__(self, *a, **k):
        super().__init__(*a, directory=root, **k)

    def log_message(self, *a):
        pass

    def end_headers(self):
        if isolated:
            self.send_header('Cross-Origin-Opener-Policy', 'same-origin')
            self.send_header('Cross-Origin-Embedder-Policy', 'require-corp')
        super().end_headers()

    def do_POST(self):
        name = os.path.basename(self.path.rstrip('/')) or 'report'
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        try:
            data = json.loads(body)
        except ValueError:
            data = {'error': 'unreadable report'}
        png = data.pop('png', None)
        if png and png.startswith('data:image/png;base64,'):
            with open(os.path.join(out, name + '.png'), 'wb') as f:
                f.write(base64.b64decode(png.split(',', 1)[1]))
        with open(os.path.join(out, name + '.jsonl'), 'a') as f:
            f.write(json.dumps(data) + '\n')
        self.send_response(204)
        self.end_headers()


srv = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
print(srv.server_address[1], flush=True)
srv.serve_forever()
