"""A bigger class on one machine: several `streamlit run app.py` replicas behind HAProxy.

    uv run python -m scripts.serve_replicas --replicas 2 --port 8080 [--bind 0.0.0.0]

Starts N replicas of the app on free 127.0.0.1 ports (one torch thread each by default, one
cookie secret for the whole cluster), waits until each answers `/_stcore/health`, writes an
HAProxy configuration (scripts/haproxy.cfg.template) into a temporary folder and runs
`haproxy -db` in front of them, visits each replica once (so that each starts its warm-up:
torch, MNIST and the shipped models load before the first student), then prints the balancer's
URL. Ctrl-C or SIGTERM stops the balancer and every replica; so does any of them exiting.

HAProxy comes from the system's packages (`apt-get install haproxy`). It keeps each student on
one replica with a cookie (SRV=replicaN): Streamlit keeps a session's state, and the images it
serves under /media, in the process that holds the session's websocket, so every request of a
tab, and its reconnection after a network blip, must reach that process. All the students of a
classroom (or of a benchmark on one machine) may share one address, so stickiness by client
address would put them all on one replica.

`Cluster` is the same thing as a context manager, for the tests
(tests/browser/test_balanced.py): `with Cluster(replicas=2) as c: c.url, c.replicas`.
"""

from __future__ import annotations

import argparse
import csv
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as wait_all
from pathlib import Path
from string import Template

from tests.support import browser

TEMPLATE = Path(__file__).with_name("haproxy.cfg.template")
BACKEND = "replicas"  # the backend's name in the template (its stats rows carry it)
COOKIE = "SRV"  # the stickiness cookie the template has HAProxy insert
COOKIE_SECRET_ENV = "STREAMLIT_SERVER_COOKIE_SECRET"  # Streamlit's server.cookieSecret
MISSING_HAPROXY = (
    "haproxy is not installed: it is the load balancer in front of the replicas.\n"
    "Install it from your system's packages, e.g. `sudo apt-get install haproxy` (Debian, Ubuntu)."
)


def haproxy_path() -> str | None:
    """The haproxy executable (Debian installs it in /usr/sbin, not on every user's PATH)."""
    found = shutil.which("haproxy")
    if found:
        return found
    return "/usr/sbin/haproxy" if os.access("/usr/sbin/haproxy", os.X_OK) else None


def replica_name(index: int) -> str:
    """The name of the index-th replica (0-based) in HAProxy: also its SRV cookie's value."""
    return f"replica{index + 1}"


def render_config(
    port: int, replicas: list[str], admin_socket: Path, bind: str = "127.0.0.1"
) -> str:
    """HAProxy's configuration: listen on `bind:port`, balance over `replicas` ("host:port")."""
    servers = "\n".join(
        f"    server {replica_name(i)} {address} cookie {replica_name(i)}"
        for i, address in enumerate(replicas)
    )
    return Template(TEMPLATE.read_text()).substitute(
        bind=bind, port=port, servers=servers, admin_socket=admin_socket
    )


def distinct_free_ports(n: int) -> list[int]:
    """`n` different free ports on 127.0.0.1 (held open together so none is handed out twice)."""
    held = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            held.append(s)
        return [s.getsockname()[1] for s in held]
    finally:
        for s in held:
            s.close()


def wait_for_health(url: str, timeout: float, proc: subprocess.Popen | None = None) -> None:
    """Poll `url/_stcore/health` until it answers 200 (fail early if `proc` exits)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"exited with code {proc.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer /_stcore/health within {timeout:g} s")


class Cluster:
    """N app replicas and HAProxy in front of them. `.url`: the balancer; `.replicas`: a list
    of (process, URL) per replica, in HAProxy's order (`replica_name(i)`); `.stop()`.

    Every replica gets the same environment: this process's, plus EXPLORER_TORCH_THREADS and
    one cookie secret for the whole cluster (`cookie_secret`, else STREAMLIT_SERVER_COOKIE_SECRET
    from the environment, else a fresh random one), so that a cookie Streamlit signs in one
    replica (st.login's, for one) is valid in every other.
    """

    def __init__(
        self,
        replicas: int = 2,
        port: int | None = None,
        bind: str = "127.0.0.1",
        torch_threads: int = 1,
        cookie_secret: str | None = None,
        env: dict[str, str] | None = None,
    ):
        if replicas < 1:
            raise ValueError("at least one replica")
        self.n, self.port, self.bind = replicas, port, bind
        self.cookie_secret = (
            cookie_secret or os.environ.get(COOKIE_SECRET_ENV) or secrets.token_urlsafe(32)
        )
        self.env = {
            "EXPLORER_TORCH_THREADS": str(torch_threads),
            **(env or {}),
            COOKIE_SECRET_ENV: self.cookie_secret,
        }
        self.replicas: list[tuple[subprocess.Popen, str]] = []
        self.haproxy: subprocess.Popen | None = None
        self.folder: Path | None = None
        self.url = ""

    # ---- life cycle ----------------------------------------------------------------

    def __enter__(self) -> Cluster:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        exe = haproxy_path()
        if exe is None:
            raise RuntimeError(MISSING_HAPROXY)
        *ports, port = distinct_free_ports(self.n + 1)
        self.port = self.port or port
        self._start_replicas(ports)
        self.folder = Path(tempfile.mkdtemp(prefix="explorer-haproxy-"))
        self.config_path.write_text(
            render_config(
                self.port,
                [url.removeprefix("http://") for _, url in self.replicas],
                self.admin_socket,
                self.bind,
            )
        )
        check = subprocess.run([exe, "-c", "-q", "-f", str(self.config_path)], capture_output=True)
        if check.returncode != 0:
            raise RuntimeError(f"haproxy refused its configuration: {check.stderr.decode()}")
        with open(self.log_path, "wb") as log:
            self.haproxy = subprocess.Popen(
                [exe, "-f", str(self.config_path), "-db"], stdout=log, stderr=subprocess.STDOUT
            )
        host = self.bind if self.bind not in ("", "0.0.0.0", "::", "*") else "127.0.0.1"
        self.url = f"http://{host}:{self.port}"
        try:
            wait_for_health(self.url, 15, self.haproxy)
        except RuntimeError as err:
            raise RuntimeError(f"haproxy {err}; its log:\n{self.log()[-2000:]}") from None

    def _start_replicas(self, ports: list[int]) -> None:
        """Start every replica at once; wait for all of them, even when one fails (no orphans)."""
        pool = ThreadPoolExecutor(len(ports))
        futures = [pool.submit(browser.start_server, "app.py", p, self.env) for p in ports]
        try:
            wait_all(futures)
        finally:
            pool.shutdown(wait=True)  # after a Ctrl-C too: the others finish starting, then stop
            self.replicas = [f.result() for f in futures if f.exception() is None]
        failed = [f.exception() for f in futures if f.exception() is not None]
        if failed:
            raise RuntimeError(f"{len(failed)} of {len(ports)} replicas did not start: {failed[0]}")

    def warm(self, timeout: float = 300) -> None:
        """Visit each replica's home page once, directly (not through the balancer): after its
        first page the app loads torch, MNIST and the shipped models in its background
        (ui.warm), so the first student of each replica does not wait for them."""
        import asyncio

        from benchmarks.st_client import StreamlitSession

        async def visit(url: str) -> None:
            async with StreamlitSession(url, timeout=timeout, user_agent="serve_replicas") as s:
                await s.open()

        async def every_replica() -> None:
            await asyncio.gather(*(visit(url) for _, url in self.replicas))

        asyncio.run(every_replica())

    def stop(self) -> None:
        """Stop the balancer, then every replica; remove the temporary folder."""
        if self.haproxy is not None:
            self.haproxy.terminate()
            try:
                self.haproxy.wait(10)
            except subprocess.TimeoutExpired:
                self.haproxy.kill()
                self.haproxy.wait()
            self.haproxy = None
        while self.replicas:
            proc, _ = self.replicas.pop()
            browser.stop_server(proc)
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def died(self) -> str | None:
        """Which process has exited on its own, if any (None while all run)."""
        if self.haproxy is not None and self.haproxy.poll() is not None:
            return f"haproxy exited with code {self.haproxy.returncode}:\n{self.log()[-2000:]}"
        for i, (proc, url) in enumerate(self.replicas):
            if proc.poll() is not None:
                return f"{replica_name(i)} ({url}) exited with code {proc.returncode}"
        return None

    # ---- files -----------------------------------------------------------------------

    @property
    def config_path(self) -> Path:
        return self.folder / "haproxy.cfg"

    @property
    def admin_socket(self) -> Path:
        return self.folder / "admin.sock"

    @property
    def log_path(self) -> Path:
        return self.folder / "haproxy.log"

    def log(self) -> str:
        """HAProxy's own log (one line per request, and its warnings)."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    # ---- HAProxy's runtime API ---------------------------------------------------------

    def admin(self, command: str) -> str:
        """Send one command to HAProxy's admin socket (its runtime API) and return the answer."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(10)
            s.connect(str(self.admin_socket))
            s.sendall(command.encode() + b"\n")
            chunks = []
            while data := s.recv(65536):
                chunks.append(data)
        return b"".join(chunks).decode()

    def server_stats(self) -> dict[str, dict[str, str]]:
        """HAProxy's counters per replica ("replica1" -> row of `show stat`): `scur` open
        connections, `stot` connections so far, `status` UP/DOWN, ..."""
        text = self.admin("show stat").lstrip("# ")
        rows = csv.DictReader(line for line in text.splitlines() if line.strip())
        return {
            row["svname"]: row
            for row in rows
            if row["pxname"] == BACKEND and row["svname"] not in ("FRONTEND", "BACKEND")
        }

    def replica_url(self, name: str) -> str:
        """The direct URL (not through the balancer) of the replica called `name`."""
        for i, (_, url) in enumerate(self.replicas):
            if replica_name(i) == name:
                return url
        raise KeyError(name)


def _stop_on_sigterm(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--replicas", type=int, default=2, help="app processes behind the balancer")
    p.add_argument("--port", type=int, default=8080, help="the balancer's port")
    p.add_argument(
        "--bind",
        default="127.0.0.1",
        help="the balancer's address (0.0.0.0: reachable from the classroom's network)",
    )
    p.add_argument(
        "--torch-threads", type=int, default=1, help="each replica's EXPLORER_TORCH_THREADS"
    )
    p.add_argument(
        "--no-warm",
        action="store_true",
        help="do not visit each replica once at start (that visit starts the app's warm-up)",
    )
    args = p.parse_args(argv)
    if haproxy_path() is None:
        print(MISSING_HAPROXY, file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    cluster = Cluster(args.replicas, args.port, args.bind, args.torch_threads)
    try:
        print(f"starting {args.replicas} replicas and haproxy ...", flush=True)
        cluster.start()
        if not args.no_warm:
            cluster.warm()
            print("  each replica has served its home page and warms up in the background")
        for i, (proc, url) in enumerate(cluster.replicas):
            print(f"  {replica_name(i)}: {url} (pid {proc.pid})")
        print(f"  haproxy: pid {cluster.haproxy.pid}, config {cluster.config_path}")
        where = cluster.url
        if args.bind in ("0.0.0.0", "::", "*"):
            where += f" (students: http://{socket.gethostname()}:{cluster.port})"
        print(f"balancer: {where}\nCtrl-C stops everything.", flush=True)
        while not (died := cluster.died()):
            time.sleep(1)
        print(f"stopping: {died}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("stopping", flush=True)
        return 0
    except (RuntimeError, OSError) as err:  # TimeoutError is an OSError
        print(f"error: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second signal must not cut the stop short
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
