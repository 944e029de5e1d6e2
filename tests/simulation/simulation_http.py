"""A small HTTP server on 127.0.0.1 for download tests (Range aware)."""

import http.server
import threading


class FileServer:
  """Serves `files` (name -> bytes) by name, in a thread; records requests.

  `honor_range=False` makes it ignore Range headers (answer 200 with the
  whole file), as some servers do.
  """

  def __init__(self, files, honor_range=True):
    self.files, self.honor_range, self.requests = dict(files), honor_range, []
    server = self

    class Handler(http.server.BaseHTTPRequestHandler):

      def do_GET(self):  # pylint: disable=invalid-name
        name = self.path.rsplit('/', 1)[-1]
        server.requests.append((name, self.headers.get('Range')))
        if name not in server.files:
          self.send_error(404)
          return
        data = server.files[name]
        start = 0
        spec = self.headers.get('Range')
        if spec and server.honor_range:
          start = int(spec.split('=')[1].split('-')[0])
          if start >= len(data):
            self.send_error(416)
            return
          self.send_response(206)
          self.send_header('Content-Range',
                           f'bytes {start}-{len(data) - 1}/{len(data)}')
        else:
          self.send_response(200)
        self.send_header('Content-Length', str(len(data) - start))
        self.end_headers()
        self.wfile.write(data[start:])

      def log_message(self, *args):  # Quiet.
        pass

    self._httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    self._thread = threading.Thread(target=self._httpd.serve_forever,
                                    daemon=True)
    self._thread.start()

  @property
  def url(self):
    return f'http://127.0.0.1:{self._httpd.server_address[1]}/'

  def stop(self):
    self._httpd.shutdown()
    self._httpd.server_close()
    self._thread.join(timeout=5)

  def __enter__(self):
    return self

  def __exit__(self, *exc):
    self.stop()
