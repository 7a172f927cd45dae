#!/usr/bin/env python3
"""A loopback HTTP server for the scale-out checks: generated PNG images, a log of every request.

    image_server.py --root DIR --images N --list FILE --log FILE

Writes N distinct PNG images under DIR, half as gallery/NNNN.png and half as mirror/NNNN.png (the
same base names twice, so imgfetch has to number the second of each pair: the check sees names
agree across shards), writes their URLs to FILE in an interleaved order, binds 127.0.0.1 on a free
port and prints exactly one line "listening on http://127.0.0.1:PORT". Then it serves DIR until
SIGTERM or SIGINT, appending "METHOD PATH STATUS" to the log for every request (one lock, one
line per request, flushed at once so a reader after the run sees every line).
"""
import argparse
import functools
import http.server
import os
import signal
import struct
import sys
import threading
import zlib


def png(width, height, seed):
    """A real, valid RGB PNG whose pixels depend on seed (so no two images are equal)."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter type 0 for this row
        for x in range(width):
            rows += bytes(((x * 7 + seed) % 256, (y * 5 + seed * 3) % 256, (x ^ y ^ seed) % 256))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) +
            chunk(b"IDAT", zlib.compress(bytes(rows), 6)) + chunk(b"IEND", b""))


def write_images(root, count):
    """Returns the URL paths in list order: gallery/0000.png, mirror/0000.png, gallery/0001.png"""
    paths = []
    for i in range(count):
        folder = "gallery" if i % 2 == 0 else "mirror"
        rel = f"{folder}/{i // 2:04d}.png"
        os.makedirs(os.path.join(root, folder), exist_ok=True)
        with open(os.path.join(root, rel), "wb") as f:
            f.write(png(48, 32 + i % 17, i))
        paths.append(rel)
    return paths


class LoggingHandler(http.server.SimpleHTTPRequestHandler):
    log_lock = threading.Lock()  # guards log_file: one whole line per request
    log_file = None

    def log_request(self, code="-", size="-"):
        code = getattr(code, "value", code)
        with LoggingHandler.log_lock:
            LoggingHandler.log_file.write(f"{self.command} {self.path} {code}\n")
            LoggingHandler.log_file.flush()

    def log_message(self, format, *args):  # errors only: log_request covers the requests
        sys.stderr.write("image_server: " + (format % args) + "\n")


class Server(http.server.ThreadingHTTPServer):
    # socketserver's default backlog of 5 drops connections when 8 shards of 32 workers connect
    # at once, and a dropped SYN costs the client a retransmit of one second or more.
    request_queue_size = 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True)
    parser.add_argument("--images", type=int, required=True)
    parser.add_argument("--list", required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    if args.images < 2:
        parser.error("--images must be at least 2")

    paths = write_images(args.root, args.images)
    LoggingHandler.log_file = open(args.log, "a", encoding="utf-8")
    handler = functools.partial(LoggingHandler, directory=args.root)
    server = Server(("127.0.0.1", 0), handler)
    port = server.server_address[1]
    with open(args.list, "w", encoding="utf-8") as f:
        f.writelines(f"http://127.0.0.1:{port}/{p}\n" for p in paths)

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"listening on http://127.0.0.1:{port}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        LoggingHandler.log_file.close()


if __name__ == "__main__":
    main()
