#!/usr/bin/env python3
"""Health latency of a built server while N clients trickle request bodies into the public login and enrollment
routes, one byte every 5 s (issue 13's attack), for comparing builds: it starts the server of DIST itself.

    itests/bench/slow-bodies.py [DIST] [N] [SECONDS]
        DIST     a built server distribution (default: platform-server/distribution/target/printmaster-server)
        N        slow bodies held at once (default 300); a body the server cuts off is opened again at once
        SECONDS  how long to measure (default 60)

GET /api/v1/health is sent on a fresh connection one after the other (5 s timeout each) for SECONDS; printed: the
number of samples, p50/p99/max latency, how many timed out, and how many slow bodies the server cut off (408 or
closed). Only the Python 3 standard library; clients bind 127.0.0.x (x = 10..) so per-address caps stay at default.
"""
import os, socket, subprocess, sys, tempfile, threading, time

root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
dist = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "platform-server/distribution/target/printmaster-server"))
n = int(sys.argv[2]) if len(sys.argv) > 2 else 300
seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 60

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

port = free_port()
data = tempfile.mkdtemp(prefix="pm-bench-slow-")
env = {k: v for k, v in os.environ.items() if not k.startswith("PM_")}
env["PM_ADMIN_PASSWORD"] = "bench-password-123456"
server = subprocess.Popen(["java", "-Xmx256m", "-XX:+UseSerialGC", "-cp", os.path.join(dist, "lib", "*"),
                           "io.printmaster.server.launcher.ServerMain", "--home", dist, "--data-dir", data,
                           "--port", str(port)], env=env, cwd=data,
                          stdout=open(os.path.join(data, "console.log"), "w"), stderr=subprocess.STDOUT)

def health(timeout=5.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.settimeout(timeout)
        s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        answer = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return answer
            answer += chunk
    finally:
        s.close()

deadline = time.time() + 120
while True:
    try:
        if health().startswith(b"HTTP/1.1 200"):
            break
    except OSError:
        pass
    if time.time() > deadline or server.poll() is not None:
        sys.exit("the server did not become healthy; see " + data)
    time.sleep(0.2)

lock = threading.Lock()
slow = []          # open slow sockets
cut = [0]
stop = threading.Event()

def open_slow(i):
    s = socket.socket()
    s.bind(("127.0.0.%d" % (10 + i % 200), 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    path = b"/api/v1/auth/login" if i % 2 == 0 else b"/api/v1/agents/enroll"
    s.sendall(b"POST " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
              b"Content-Length: 200\r\n\r\n{")
    s.setblocking(False)
    return s

for i in range(n):
    slow.append(open_slow(i))

def trickle():
    i = n
    while not stop.wait(5):
        with lock:
            for k, s in enumerate(slow):
                try:
                    # anything from the server (a 408) or its close means this body was cut off
                    if s.recv(65536) is not None:
                        raise OSError("answered")
                except BlockingIOError:
                    try:
                        s.send(b" ")
                        continue
                    except OSError:
                        pass
                except OSError:
                    pass
                s.close(); cut[0] += 1
                try:
                    slow[k] = open_slow(i); i += 1
                except OSError:
                    pass

threading.Thread(target=trickle, daemon=True).start()
samples, timeouts = [], 0
end = time.time() + seconds
while time.time() < end:
    t = time.perf_counter()
    try:
        ok = health().startswith(b"HTTP/1.1 200")
        samples.append((time.perf_counter() - t) * 1000)
    except OSError:
        timeouts += 1
stop.set()
server.terminate(); server.wait(30)
samples.sort()
pick = lambda q: samples[int(q * (len(samples) - 1))] if samples else float("nan")
print("slow-bodies: %s: %d slow bodies for %.0f s: GET /api/v1/health n=%d p50=%.1f ms p99=%.1f ms max=%.1f ms, "
      "%d timed out (5 s); %d slow bodies cut off by the server" % (dist, n, seconds, len(samples), pick(0.5), pick(0.99), samples[-1] if samples else
      float("nan"), timeouts, cut[0]))
