"""What the benchmarks share: throw-away PostgreSQL databases, `loyalty serve` in production
settings, cheap HTTP/1.1 clients in their own processes, measured windows with p50/p99, the CPU
each party used in them, py-spy profiles, and cleaning up whatever happens.

A benchmark defines its `Target`s (what a client sends and what counts as success), starts its
servers with `start_server`, measures each phase with `run_phase` and prints `Phase` figures
with the `report_*` helpers. `main` runs it with the signal handling and clean-up every bench
needs: databases are dropped and servers stopped on errors and Ctrl-C too.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import multiprocessing
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import asyncpg
import httpx

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
# The benches use the tests' stand-ins (tests/standins/): the project's root is importable.
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_ADMIN_DB = "test"
QUIET = 0.15  # machine busy share below which --wait-quiet goes ahead
SPAWN_ALLOWANCE = 2.0  # seconds for client processes to start before the warm-up begins

Say = Callable[[str], None]


# --- what the clients send -------------------------------------------------------------------


class Target(Protocol):
    """One endpoint under load. Picklable: client processes get a copy."""

    name: str
    url: str
    success: str  # the outcome that counts as a success
    tag: str  # seeds the clients' randomness and makes their keys unique

    def request(self, rng: random.Random, key: str) -> tuple[dict[str, Any], str | None]:
        """The JSON body of one request and the bearer token to send it with (None: none)."""
        ...

    def outcome(self, status: int, payload: dict[str, Any]) -> str:
        """What one response was: `success`, or a short description of the failure."""
        ...


def graphql_outcome(status: int, payload: dict[str, Any], field_name: str, success: str) -> str:
    """`success` when `data[field_name]` is of that type; otherwise what went wrong, briefly."""
    if status != 200:
        return f"HTTP {status}"
    if payload.get("errors"):
        return f"GraphQL error: {payload['errors'][0].get('message', '')[:80]}"
    result = payload["data"][field_name]
    name = result["__typename"]
    return name if name == success else f"{name} {result.get('code', '')}".strip()


@dataclass
class Tally:
    """What one client process saw inside the measured window."""

    latencies: list[float] = field(default_factory=list)  # successful requests only
    outcomes: Counter[str] = field(default_factory=Counter)
    last_finish: float = 0.0
    client_cpu: float = 0.0  # CPU seconds this process used in the window

    def merge(self, other: Tally) -> None:
        self.latencies.extend(other.latencies)
        self.outcomes.update(other.outcomes)
        self.last_finish = max(self.last_finish, other.last_finish)
        self.client_cpu += other.client_cpu


class RawConnection:
    """One keep-alive HTTP/1.1 connection that POSTs JSON: a client that costs little CPU.

    The CPU a client burns is taken from the server on a small machine; httpx costs several
    times more per request than this (see --client httpx).
    """

    def __init__(self, url: str) -> None:
        parsed = httpx.URL(url)
        self.host, self.port = parsed.host, parsed.port or 80
        lines = [f"POST {parsed.raw_path.decode()} HTTP/1.1", f"Host: {self.host}:{self.port}",
                 "Content-Type: application/json", "Connection: keep-alive"]  # fmt: skip
        self.head = ("\r\n".join(lines) + "\r\n").encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, body: dict[str, Any], token: str | None) -> tuple[int, dict[str, Any]]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        data = json.dumps(body).encode()
        auth = f"Authorization: Bearer {token}\r\n".encode() if token else b""
        try:
            self.writer.write(
                self.head
                + auth
                + b"Content-Length: "
                + str(len(data)).encode()
                + b"\r\n\r\n"
                + data
            )
            status = int((await self.reader.readuntil(b"\r\n")).split(b" ", 2)[1])
            length, close = 0, False
            while (line := await self.reader.readuntil(b"\r\n")) != b"\r\n":
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
                elif name == b"transfer-encoding":
                    raise RuntimeError("chunked responses are not supported by this client")
            payload = json.loads(await self.reader.readexactly(length)) if length else {}
        except BaseException:
            await self.aclose()
            raise
        if close:
            await self.aclose()
        return status, payload

    async def aclose(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


class HttpxConnection:
    def __init__(self, url: str) -> None:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        self.url = url
        self.client = httpx.AsyncClient(limits=limits, timeout=60)

    async def post(self, body: dict[str, Any], token: str | None) -> tuple[int, dict[str, Any]]:
        headers = {"Authorization": f"Bearer {token}"} if token else None
        response = await self.client.post(self.url, json=body, headers=headers)
        return response.status_code, response.json() if response.content else {}

    async def aclose(self) -> None:
        await self.client.aclose()


CLIENTS = {"raw": RawConnection, "httpx": HttpxConnection}


@dataclass(frozen=True)
class Load:
    """How a phase's clients send: as fast as answers come back (closed loop), or each
    connection on a fixed schedule so all together send `rate` requests a second (open loop).
    On a schedule, latency counts from when a request was due: a server that falls behind
    shows it in p99 instead of slowing the clients down."""

    clients: int
    client_procs: int
    kind: str  # key of CLIENTS
    warmup: float
    seconds: float
    rate: float = 0.0  # requests/s for all connections together; 0: closed loop

    @classmethod
    def of(cls, args: argparse.Namespace, rate: float = 0.0) -> Load:
        return cls(args.clients, args.client_procs, args.client, args.warmup, args.seconds, rate)


async def _client(
    target: Target, number: int, start: float, end: float, tally: Tally, load: Load
) -> None:
    rng = random.Random(f"{target.tag}-{number}")
    connection = CLIENTS[load.kind](target.url)
    interval = load.clients / load.rate if load.rate else 0.0
    # Spread the connections' schedules evenly over one interval.
    due = start - load.warmup + number / load.rate if load.rate else 0.0
    try:
        sent = 0
        while True:
            if interval:  # every request that falls due in the window is sent, late or not
                if due >= end:
                    break
                await _sleep_until(due)
                began, due = due, due + interval
            elif (began := time.monotonic()) >= end:
                break
            sent += 1
            body, token = target.request(rng, f"{target.tag}-{number}-{sent}")
            try:
                outcome = target.outcome(*await connection.post(body, token))
            except (OSError, asyncio.IncompleteReadError, httpx.HTTPError) as exc:
                outcome = f"transport {type(exc).__name__}"
            finished = time.monotonic()
            if began < start:
                continue  # warm-up
            tally.outcomes[outcome] += 1
            tally.last_finish = max(tally.last_finish, finished)
            if outcome == target.success:
                tally.latencies.append(finished - began)
    finally:
        await connection.aclose()


async def _sleep_until(moment: float) -> None:
    await asyncio.sleep(max(0.0, moment - time.monotonic()))


async def drive(target: Target, clients: range, start: float, end: float, load: Load) -> Tally:
    """Run `clients` against `target`; count what starts between `start` and `end`."""
    tally = Tally()

    async def cpu_in_window() -> None:
        await _sleep_until(start)
        before = time.process_time()
        await _sleep_until(end)
        tally.client_cpu = time.process_time() - before

    await asyncio.gather(
        cpu_in_window(), *(_client(target, n, start, end, tally, load) for n in clients)
    )
    return tally


def run_loop(coroutine: Any) -> Any:
    """Run on uvloop when it is there: a cheaper client leaves more CPU to the server."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def _client_process(
    target: Target, clients: range, start: float, end: float, load: Load, out: Any
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    out.put(run_loop(drive(target, clients, start, end, load)))


# --- CPU accounting (read-only /proc) ----------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # fields from "state" on


def _all_pids() -> Iterator[int]:
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            yield int(entry)


def descendants(root: int) -> list[int]:
    parents = {}
    for pid in _all_pids():
        fields_ = _stat(pid)
        if fields_:
            parents[pid] = int(fields_[1])
    found, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        found.extend(frontier)
    return found


def pids_named(*names: str) -> list[int]:
    pids = []
    for pid in _all_pids():
        with contextlib.suppress(OSError):
            if Path(f"/proc/{pid}/comm").read_text().strip() in names:
                pids.append(pid)
    return pids


def cpu_of(pids: list[int]) -> dict[int, float]:
    """CPU seconds (user + system) each process has used, of those still running."""
    found = {}
    for pid in pids:
        fields_ = _stat(pid)
        if fields_:
            found[pid] = (int(fields_[11]) + int(fields_[12])) / _TICK  # utime + stime
    return found


def used_between(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds the processes running at both moments used in between (one that exits in
    between takes its time with it: never counted, rather than counted negative)."""
    return sum(after[pid] - was for pid, was in before.items() if pid in after)


def machine_jiffies() -> tuple[int, int, int]:
    """(busy, total, interrupts) jiffies of all CPUs since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values), values[5] + values[6]


@dataclass
class CpuUse:
    seconds: float
    server: float
    postgres: float
    busy: float  # share of all cores
    workers: list[float]  # cores each server worker used
    interrupts: float  # cores spent in (soft) interrupts: mostly the loopback network
    redis: float = 0.0


async def measure_cpu(server_pid: int, start: float, end: float) -> CpuUse:
    await _sleep_until(start - 0.5)
    server = descendants(server_pid)
    workers = [pid for pid in server if pid != server_pid and is_worker(pid)]
    groups = [server, pids_named("postgres"), pids_named("redis-server"), workers]
    await _sleep_until(start)
    before, jiffies_before = [cpu_of(pids) for pids in groups], machine_jiffies()
    await _sleep_until(end)
    after, jiffies_after = [cpu_of(pids) for pids in groups], machine_jiffies()
    span = end - start
    server_cores, database_cores, redis_cores = (
        used_between(was, now) / span for was, now in zip(before[:3], after[:3], strict=True)
    )
    each = [
        (after[3][pid] - before[3][pid]) / span if pid in before[3] and pid in after[3] else 0.0
        for pid in workers
    ]
    total = max(1, jiffies_after[1] - jiffies_before[1])
    busy = (jiffies_after[0] - jiffies_before[0]) / total
    interrupts = (jiffies_after[2] - jiffies_before[2]) / total * (os.cpu_count() or 1)
    return CpuUse(span, server_cores, database_cores, busy, each, interrupts, redis_cores)


def is_worker(pid: int) -> bool:
    """uvicorn's worker processes (spawned by multiprocessing), not its supervisor or helpers."""
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


# --- one measured phase ------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    tally: Tally
    cpu: CpuUse
    start: float
    profiler: Profiler | None = None

    @property
    def ok(self) -> int:
        return len(self.tally.latencies)

    @property
    def failed(self) -> int:
        return sum(self.tally.outcomes.values()) - self.ok

    @property
    def rate(self) -> float:
        return self.ok / max(1e-9, self.tally.last_finish - self.start)

    def percentile(self, p: int) -> float:
        if len(self.tally.latencies) < 2:
            return float("nan")
        return statistics.quantiles(self.tally.latencies, n=100)[p - 1] * 1000

    def cpu_ms_per_ok(self, cores: float) -> float:
        """Milliseconds of CPU a success cost, from `cores` used over the window."""
        return cores * self.cpu.seconds / self.ok * 1000 if self.ok else 0.0


async def run_phase(
    target: Target,
    server_pid: int,
    load: Load,
    tag: str,
    profile_to: Path | None = None,
) -> Phase:
    procs = max(1, min(load.client_procs, load.clients))
    groups = [range(i, load.clients, procs) for i in range(procs)]
    allowance = SPAWN_ALLOWANCE if procs > 1 else 0.1
    start = time.monotonic() + allowance + load.warmup
    end = start + load.seconds
    cpu = asyncio.create_task(measure_cpu(server_pid, start, end))
    profiler = None
    if profile_to:
        profiler = Profiler(profile_to, tag)
        spying = asyncio.create_task(profiler.record(server_pid, start, load.seconds))
    tally = Tally()
    if procs == 1:
        tally = await drive(target, groups[0], start, end, load)
    else:
        context = multiprocessing.get_context("spawn")
        out = context.Queue()
        workers = [
            context.Process(target=_client_process, args=(target, group, start, end, load, out))
            for group in groups
        ]
        try:
            for worker in workers:
                worker.start()
            for _ in workers:
                tally.merge(await asyncio.to_thread(out.get, True, load.seconds + 120))
        finally:
            for worker in workers:
                if worker.is_alive():
                    worker.terminate()
                worker.join(5)
    if profiler:
        await spying
        await asyncio.to_thread(profiler.stop)
    return Phase(target.name, tally, await cpu, start, profiler)


# --- databases and servers ---------------------------------------------------------------------


async def create_database(name: str) -> None:
    conn = await asyncpg.connect(f"{PG_SERVER}/{PG_ADMIN_DB}")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def drop_database(name: str) -> None:
    conn = await asyncpg.connect(f"{PG_SERVER}/{PG_ADMIN_DB}")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def database_exists(name: str) -> bool:
    conn = await asyncpg.connect(f"{PG_SERVER}/{PG_ADMIN_DB}")
    try:
        return bool(await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await conn.close()


class Profiler:
    """py-spy on each server worker for the measured window; a summary by function and layer."""

    def __init__(self, directory: Path, name: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.name = name
        self.recorders: list[tuple[subprocess.Popen, Path]] = []

    @staticmethod
    def workers(server_pid: int) -> list[int]:
        return [pid for pid in descendants(server_pid)[1:] if is_worker(pid)]

    async def record(self, server_pid: int, start: float, seconds: float) -> None:
        await _sleep_until(start)
        self.launch(server_pid, seconds)

    def launch(self, server_pid: int, seconds: float) -> None:
        spy = str(Path(sys.executable).parent / "py-spy")
        for pid in self.workers(server_pid):
            out = self.directory / f"{self.name}-{pid}.txt"
            command = [spy, "record", "--pid", str(pid), "--duration", str(int(seconds)),
                       "--rate", "250", "--nonblocking", "--format", "raw",
                       "--output", str(out)]  # fmt: skip
            quiet = subprocess.DEVNULL
            self.recorders.append((subprocess.Popen(command, stdout=quiet, stderr=quiet), out))

    def stop(self) -> None:
        for recorder, _ in self.recorders:
            if recorder.poll() is None:
                try:
                    recorder.wait(30)
                except subprocess.TimeoutExpired:
                    recorder.terminate()

    def summary(self, top: int = 20) -> list[str]:
        self.stop()
        own: Counter[str] = Counter()
        inclusive: Counter[str] = Counter()
        layers: Counter[str] = Counter()
        total = 0
        for _, out in self.recorders:
            with contextlib.suppress(OSError):
                for line in out.read_text().splitlines():
                    stack, _, count = line.rpartition(" ")
                    frames = [_frame(f) for f in stack.split(";") if f]
                    if not frames or not count.isdigit() or _IDLE_THREAD in stack:
                        continue
                    n = int(count)
                    total += n
                    own[frames[-1]] += n
                    layers[_layer(frames[-1])] += n
                    for frame in set(frames):
                        inclusive[frame] += n
        if not total:
            return [f"{self.name}: no samples (py-spy missing or not permitted?)"]
        lines = [f"{self.name}: {total} samples on {len(self.recorders)} workers; raw stacks in "
                 f"{self.directory}"]  # fmt: skip
        lines.append("  CPU by layer (own time):")
        lines += [f"    {n / total:6.1%}  {name}" for name, n in layers.most_common(12)]
        lines.append("  hottest functions (own time):")
        lines += [f"    {n / total:6.1%}  {name}" for name, n in own.most_common(top)]
        lines.append("  functions by inclusive time:")
        lines += [f"    {n / total:6.1%}  {name}" for name, n in inclusive.most_common(top + 15)]
        return lines


# uvicorn's worker answers the supervisor's pings in a thread that sleeps in recv(); py-spy
# does not always see that as idle.
_IDLE_THREAD = "always_pong"


def _frame(frame: str) -> str:
    """ "func (path/file.py:123)" -> "func (path/file.py)", shortened to the package path."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/lib/python3.", str(ROOT) + "/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            if marker == "/lib/python3.":
                path = path.split("/", 1)[-1]
    return f"{name} ({path})"


def _layer(frame: str) -> str:
    path = frame.rpartition(" (")[2].rstrip(")")
    top = path.split("/", 1)[0]
    return top.removesuffix(".py") or "?"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)  # its own session: uvicorn + workers
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""


def start_server(
    name: str, command: list[str], env: dict[str, str], port: int, logs: Path
) -> Server:
    log = logs / f"{name}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(name, process, port, log)


async def wait_healthy(server: Server, within: float = 60) -> None:
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise RuntimeError(f"{server.name} exited:\n{server.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{server.base}/healthz")).status_code == 200:
                    await _workers_settled(server, deadline)
                    return
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{server.name} not healthy after {within:.0f} s:\n{server.log_tail()}")


async def _workers_settled(server: Server, deadline: float) -> None:
    """Wait until every worker has started: the first one up answers /healthz, and keep-alive
    connections opened while the others are still starting would all stay with it. A worker
    has started when its CPU time stops climbing."""
    previous: dict[int, float] | None = None
    while time.monotonic() < deadline:
        now = cpu_of(Profiler.workers(server.process.pid))
        if previous is not None and now.keys() == previous.keys():
            if used_between(previous, now) < 0.05:
                return
        previous = now
        await asyncio.sleep(0.5)


def event_loop_of(server: Server) -> str:
    """Which loop and HTTP parser the server's workers really loaded (from /proc/<pid>/maps)."""
    found = set()
    for pid in descendants(server.process.pid):
        with contextlib.suppress(OSError):
            maps = Path(f"/proc/{pid}/maps").read_text()
            found |= {name for name in ("uvloop", "httptools") if f"/{name}/" in maps}
    loop = "uvloop" if "uvloop" in found else "asyncio"
    http = "httptools" if "httptools" in found else "h11"
    return f"{loop} + {http}"


def serve_command(workers: int, port: int) -> list[str]:
    """`loyalty serve` as production runs it, without the access log's cost."""
    return [
        str(Path(sys.executable).parent / "loyalty"),
        "serve",
        "--host", "127.0.0.1",
        "--port", str(port),
        "--workers", str(workers),
        "--no-access-log",
        "--log-level", "warning",
    ]  # fmt: skip


def pool_suffix(connections: int) -> str:
    """The database URL's pool size for each server worker (0: tortoise's default, 5)."""
    return f"?minsize=1&maxsize={connections}" if connections else ""


# --- the run -----------------------------------------------------------------------------------


@dataclass
class Run:
    """What has to be undone, whatever happens."""

    databases: list[str] = field(default_factory=list)
    servers: list[Server] = field(default_factory=list)
    logs: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="loyalty-bench-")))

    def stop_servers(self) -> None:
        while self.servers:
            self.servers.pop().stop()


def cleanup(run: Run, say: Say) -> None:
    run.stop_servers()

    async def drop_all() -> None:
        for name in run.databases:
            try:
                await drop_database(name)
            except Exception as exc:  # report and go on dropping the others
                say(f"could not drop {name}: {exc}")

    if run.databases:
        asyncio.run(drop_all())
        say(f"dropped {', '.join(run.databases)}")


async def wait_until_quiet(limit: float, say: Say) -> None:
    """Wait (at most `limit` seconds) until other processes leave the CPUs nearly idle."""
    deadline = time.monotonic() + limit
    told = False
    while True:
        before = machine_jiffies()
        await asyncio.sleep(2)
        after = machine_jiffies()
        busy = (after[0] - before[0]) / max(1, after[1] - before[1])
        if busy < QUIET:
            return
        if time.monotonic() >= deadline:
            say(f"warning: the machine is still {busy:.0%} busy; measuring anyway")
            return
        if not told:
            say(f"the machine is {busy:.0%} busy with other work; waiting up to {limit:.0f} s")
            told = True


def add_load_arguments(
    parser: argparse.ArgumentParser, *, seconds: float, clients: int = 32
) -> None:
    """The options every bench has: how long, how many clients, which client, how many
    server workers and database connections, waiting for quiet, profiling."""
    parser.add_argument("--seconds", type=float, default=seconds, help="measured time per phase")
    parser.add_argument("--warmup", type=float, default=3, help="unmeasured time before it")
    parser.add_argument("--clients", type=int, default=clients, help="concurrent connections")
    parser.add_argument("--client-procs", type=int, default=1, help="client processes")
    parser.add_argument(
        "--client",
        choices=sorted(CLIENTS),
        default="raw",
        help="HTTP client: raw (a minimal keep-alive HTTP/1.1 client, cheap) or httpx",
    )
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument(
        "--pool",
        type=int,
        default=0,
        help="database connections per server worker (default: tortoise's, 5)",
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0,
        metavar="SECONDS",
        help="first wait up to this long for other processes to leave the CPUs idle",
    )
    parser.add_argument(
        "--profile", type=Path, metavar="DIR", help="py-spy the server workers; stacks go in DIR"
    )


# --- what one request costs, in process ---------------------------------------------------------


@contextlib.contextmanager
def sql_statements() -> Iterator[list[str]]:
    """The SQL tortoise sends inside the block, in order.

    Statements come from tortoise's `tortoise.db_client` DEBUG log; BEGIN and COMMIT, which
    it does not log, are added by wrapping its asyncpg transaction (here only).
    """
    import logging

    from tortoise.backends.asyncpg.client import TransactionWrapper

    sent: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.args:  # statements are logged as "%s: %s" % (sql, values)
                sent.append(str(record.args[0]))

    def traced(name: str, method: Callable) -> Callable:
        async def wrapper(self: Any) -> Any:
            sent.append(name)
            return await method(self)

        return wrapper

    logger = logging.getLogger("tortoise.db_client")
    handler, level, propagate = Collect(), logger.level, logger.propagate
    begin, commit = TransactionWrapper.begin, TransactionWrapper.commit
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    TransactionWrapper.begin = traced("BEGIN", begin)  # type: ignore[method-assign]
    TransactionWrapper.commit = traced("COMMIT", commit)  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate
        TransactionWrapper.begin, TransactionWrapper.commit = begin, commit  # type: ignore[method-assign]


def in_process_graphql(
    settings: Any,
) -> Callable[[str, dict[str, Any] | None, Any], Awaitable[Any]]:
    """The real schema, built with `settings`, to execute documents in this process as an
    actor (tortoise must be initialised on their database)."""
    from jobs.sms import LogSender
    from schema import build_schema
    from schema.context import Context

    schema = build_schema(settings)

    async def execute(document: str, variables: dict[str, Any] | None, actor: Any) -> Any:
        context = Context(actor=actor, client_ip="127.0.0.1", sms_sender=LogSender())
        return await schema.execute(document, variable_values=variables, context_value=context)

    return execute


def short_sql(statement: str, width: int = 110) -> str:
    flat = " ".join(statement.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


# --- reporting ---------------------------------------------------------------------------------

TABLE_HEADER = (
    f"{'round':6} {'':28} {'ok/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'ok':>7} {'failed':>6}"
    f" {'srv CPU ms/ok':>13}"
)


def table_row(label: str, phase: Phase) -> str:
    return (
        f"{label:6} {phase.name:28} {phase.rate:7.0f} {phase.percentile(50):8.1f} "
        f"{phase.percentile(99):8.1f} {phase.ok:7d} {phase.failed:6d} "
        f"{phase.cpu_ms_per_ok(phase.cpu.server):13.2f}"
    )


def machine_line(load: Load, workers: int) -> str:
    cores = os.cpu_count() or 1
    procs = max(1, min(load.client_procs, load.clients))
    return (
        f"{cores} cores shared by the client ({procs} process(es), {load.clients} connections, "
        f"{load.kind}), the server ({workers} workers) and PostgreSQL; other processes "
        "on the machine count against all of them"
    )


def cpu_lines(rows: list[tuple[str, Phase]], with_redis: bool = False) -> list[str]:
    """Where the CPU went in each phase's measured window, in cores."""
    cores = os.cpu_count() or 1
    lines = [f"CPU in each measured window, in cores (of {cores}):"]
    for label, phase in rows:
        client = phase.tally.client_cpu / phase.cpu.seconds
        cpu = phase.cpu
        redis = f"  redis {cpu.redis:4.2f}" if with_redis else ""
        other = cpu.busy * cores - cpu.server - cpu.postgres - cpu.redis - client - cpu.interrupts
        split = " + ".join(f"{w:.2f}" for w in cpu.workers)
        lines.append(
            f"  {label} {phase.name:28} server {cpu.server:4.2f} (workers {split})"
            f"  postgres {cpu.postgres:4.2f}{redis}  client {client:4.2f}"
            f"  irq {cpu.interrupts:4.2f}  other {max(0.0, other):4.2f}  busy {cpu.busy:4.0%}"
        )
    lines.append("  (postgres: every database on the server; irq: interrupts, mostly loopback TCP;")
    lines.append("   other: the rest of the machine, other people's work included)")
    return lines


def outcomes_line(name: str, success: str, phases: list[Phase]) -> str:
    outcomes: Counter[str] = Counter()
    for phase in phases:
        outcomes.update(phase.tally.outcomes)
    listed = ", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items()) if k != success)
    return f"results, {name}: {success}: {outcomes[success]}; errors: {listed or 'none'}"


def profiles(phases: list[Phase]) -> list[str]:
    lines = []
    for phase in phases:
        if phase.profiler:
            lines += ["", *phase.profiler.summary()]
    return lines


# --- running a bench ---------------------------------------------------------------------------


def main(bench: Callable[[Run, Say], Awaitable[int]]) -> int:
    """Run `bench` on uvloop; whatever happens, stop its servers and drop its databases.
    Returns its exit status (130 on Ctrl-C or SIGTERM)."""
    for module in ("uvloop", "httptools"):
        if importlib.util.find_spec(module) is None:
            print(f"warning: {module} is not installed; uvicorn will be slow", file=sys.stderr)

    def say(line: str) -> None:
        print(line, flush=True)

    def terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with it ignored
    run = Run()
    code = 1
    try:
        code = run_loop(bench(run, say))
    except KeyboardInterrupt:
        say("interrupted")
        code = 130
    except Exception:
        for server in run.servers:
            if tail := server.log_tail():
                say(f"--- {server.name} log ---\n{tail}")
        raise
    finally:
        cleanup(run, say)
    return code
