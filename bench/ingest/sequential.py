#!/usr/bin/env python3
"""The ingest benchmark's single sender and disk probe (bench/ingest/run).

  sequential.py send PORT BODY_FILE SIGNATURE COUNT keepalive|close
      one client posting signed workflow_job deliveries one after another, each with a new
      delivery id, on one keep-alive connection or a new connection per request; prints
      "p50_ms p99_ms" of the time from sending (connecting, when new) to the whole answer.
  sequential.py fsync DIR COUNT
      the disk's floor for a durable write: 4 KiB appended and fdatasync'd (what an SQLite
      WAL commit costs at least) in DIR, COUNT times; prints "p50_ms p99_ms".
"""
import os
import socket
import sys
import time

WARMUP = 20


def percentiles(samples_ns):
    s = sorted(samples_ns)
    pick = lambda q: s[min(len(s) - 1, int(q * len(s)))] / 1e6
    return f"{pick(0.50):.3f} {pick(0.99):.3f}"


def read_answer(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed before the answer")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed inside the answer")
        rest += chunk
    return status


def send(port, body_file, signature, count, mode):
    with open(body_file, "rb") as f:
        body = f.read()
    close = mode == "close"
    prefix = f"seq-{mode}-{os.getpid()}-{time.time_ns()}-"
    samples = []
    sock = None
    for i in range(count + WARMUP):
        request = (
            "POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            "User-Agent: GitHub-Hookshot/bench\r\nX-GitHub-Event: workflow_job\r\nX-GitHub-Hook-ID: 1\r\n"
            f"X-GitHub-Delivery: {prefix}{i}\r\nX-Hub-Signature-256: {signature}\r\n"
            f"Content-Length: {len(body)}\r\n" + ("Connection: close\r\n" if close else "") + "\r\n"
        ).encode() + body
        start = time.perf_counter_ns()
        if sock is None:
            sock = socket.create_connection(("127.0.0.1", port))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(request)
        status = read_answer(sock)
        elapsed = time.perf_counter_ns() - start
        if status // 100 != 2:
            raise RuntimeError(f"answer {status}")
        if close:
            sock.close()
            sock = None
        if i >= WARMUP:
            samples.append(elapsed)
    if sock is not None:
        sock.close()
    print(percentiles(samples))


def fsync_probe(directory, count):
    path = os.path.join(directory, f"fsync-probe-{os.getpid()}")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    page = b"\0" * 4096
    samples = []
    try:
        for i in range(count + WARMUP):
            os.write(fd, page)
            start = time.perf_counter_ns()
            os.fdatasync(fd)
            if i >= WARMUP:
                samples.append(time.perf_counter_ns() - start)
    finally:
        os.close(fd)
        os.unlink(path)
    print(percentiles(samples))


if __name__ == "__main__":
    if len(sys.argv) == 7 and sys.argv[1] == "send":
        send(int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6])
    elif len(sys.argv) == 4 and sys.argv[1] == "fsync":
        fsync_probe(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(__doc__)
