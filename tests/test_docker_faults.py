"""Docker faults on a real daemon (issue 5): the daemon SIGKILLed in the middle of a build
or of the checks, a check container killed from outside in the middle of the checks.

Each time `dashtam-wizard verify` (the CLI, in a subprocess, as a user runs it) must stop
with exit 2 and one line on stderr saying what happened, no traceback, no secret, not a
byte of the repository changed, no container of its own left behind (after a daemon
death: once the retry has run), and the same command must pass once the daemon is back.
The TUI's Verify screen must show the same line.

Killing the shared test daemon would break every other test using it, so this module
starts a second private daemon with `.ci/docker-up` (its own data root, socket, bridge
and address pool, see FAULT_ENV). Its data root (images, build cache) is kept between
runs so later runs are quick; the daemon itself is stopped at the end of the module.
Like the other docker tests these skip without the test daemon (DOCKER_HOST) and also
when not root (dockerd needs it), unless DASHTAM_WIZARD_REQUIRE_DOCKER=1, where they fail.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import os
import queue
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import docker
import pytest
from docker.errors import DockerException
from dotenv import dotenv_values

from dashtam_wizard.core.secrets import is_secret_key
from tests.dockerd import (  # noqa: F401
    REPO,
    _unavailable,
    dockerd_client,
    drop_checkout_images,
    migrated_repo,
    wizard_containers,
)
from tests.test_tui_support import screen_text, settle

CLI = Path(sys.executable).parent / "dashtam-wizard"
FAULT_DIR = Path("/var/tmp/dtw-faults")  # short: unix socket paths are limited to 108 bytes
FAULT_BRIDGE = "dtw1"
FAULT_ENV = {
    "DASHTAM_DOCKERD_DIR": str(FAULT_DIR),
    "DASHTAM_DOCKERD_BRIDGE": FAULT_BRIDGE,
    "DASHTAM_DOCKERD_BIP": "10.214.255.1/24",
    "DASHTAM_DOCKERD_POOL": "10.214.0.0/17",
}
FAULT_HOST = f"unix://{FAULT_DIR}/docker.sock"
SLOW_STEP_SECONDS = 8  # how long the build step the daemon dies in keeps running
TIMEOUT = 600  # a first run on a fresh data root builds from scratch (Debian, PyPI)


# -- the fault daemon ---------------------------------------------------------------------------
def _firewall_rules() -> set[tuple[str, str]]:
    """(table, rule) of the chains a starting dockerd flushes for every daemon on the host
    (bridge isolation, published-port hairpin), so the shared daemon's can be put back."""
    rules: set[tuple[str, str]] = set()
    if shutil.which("iptables") is None:
        return rules
    for table, chain in (
        ("filter", "DOCKER-ISOLATION-STAGE-1"),
        ("filter", "DOCKER-ISOLATION-STAGE-2"),
        ("nat", "DOCKER"),
    ):
        res = subprocess.run(
            ["iptables", "-t", table, "-S", chain], capture_output=True, text=True, timeout=30
        )
        for line in res.stdout.splitlines():
            parts = shlex.split(line)
            # Not the bare `-j RETURN` that ends a chain (dockerd re-adds it; at the top it
            # would skip every rule), not our own bridge's.
            if parts[:1] == ["-A"] and parts[2:] != ["-j", "RETURN"] and FAULT_BRIDGE not in parts:
                rules.add((table, line))
    return rules


def _restore_firewall(before: set[tuple[str, str]]) -> None:
    """Put back the other daemons' rules our dockerd's start-up flushed (at the top of their
    chain, before its final RETURN). Only ever adds rules that were there before."""
    for table, rule in sorted(before - _firewall_rules()):
        args = shlex.split(rule)
        args[0] = "-I"
        args.insert(2, "1")  # -I CHAIN 1 ...
        subprocess.run(["iptables", "-t", table, *args], capture_output=True, timeout=30)


def _pid_of(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None


def _gone(pid: int) -> bool:
    """True once `pid` has exited and been reaped (a zombie still holds its pid)."""
    return not Path(f"/proc/{pid}").exists()


@dataclass
class FaultDaemon:
    """The second private dockerd this module may kill and restart."""

    host: str = FAULT_HOST
    firewall: frozenset[tuple[str, str]] = frozenset()
    started: bool = False  # once up, a failing restart is a failure of the test, not a skip

    def up(self) -> None:
        """Start it (or find it answering) with `.ci/docker-up`, as a user would restart it;
        the same data root, so images and build cache survive a kill."""
        res = subprocess.run(
            ["bash", str(REPO / ".ci" / "docker-up")],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            env={**os.environ, **FAULT_ENV},
        )
        _restore_firewall(set(self.firewall))
        if res.returncode != 0 or res.stdout.strip().splitlines()[-1:] != [self.host]:
            why = f"could not start the fault daemon: {res.stderr.strip()[-600:]}"
            if self.started:
                pytest.fail(why, pytrace=False)
            _unavailable(why)
        self.started = True

    def down(self) -> None:
        subprocess.run(
            ["bash", str(REPO / ".ci" / "docker-down")],
            capture_output=True,
            timeout=120,
            env={**os.environ, **FAULT_ENV},
        )

    def kill(self) -> int:
        """SIGKILL this dockerd (never the shared one: its command line must name our data
        root), then wait until it and the containerd it supervised are reaped, so a restart
        does not find them half-dead. Returns the killed pid."""
        pid = _pid_of(FAULT_DIR / "dockerd.pid")
        assert pid is not None, "the fault daemon has no pidfile"
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        assert str(FAULT_DIR / "data").encode() in cmdline, f"pid {pid} is not the fault dockerd"
        containerd = _pid_of(FAULT_DIR / "exec" / "containerd" / "containerd.pid")
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (
            _gone(pid) and (containerd is None or _gone(containerd))
        ):
            time.sleep(0.1)
        return pid

    def client(self) -> docker.DockerClient:
        return docker.DockerClient(base_url=self.host, timeout=120)

    def clean(self) -> None:
        """Leave the data root as a cache only: no containers (the builder's, orphaned by a
        kill, included), no per-checkout tags, no day-old labelled dangling images."""
        # Best effort: the daemon may be down after a failed test.
        with contextlib.suppress(Exception), contextlib.closing(self.client()) as client:
            for c in client.containers.list(all=True, ignore_removed=True):
                with contextlib.suppress(DockerException):
                    c.remove(force=True)
            drop_checkout_images(client)


@pytest.fixture(scope="module")
def fault_daemon(dockerd_client) -> Iterator[FaultDaemon]:  # noqa: F811 - skip/fail like the docker tests
    """A private dockerd for this module only, started beside the shared test daemon.

    One test session at a time holds it (a lock file): two sessions killing each other's
    daemon would make both flaky.
    """
    if os.geteuid() != 0:
        _unavailable("the Docker fault tests start their own dockerd, which needs root")
    if not (shutil.which("dockerd") and shutil.which("docker")):
        _unavailable("the Docker fault tests need dockerd and the docker CLI")
    FAULT_DIR.mkdir(parents=True, exist_ok=True)
    lock = open(FAULT_DIR.with_name(FAULT_DIR.name + ".lock"), "w")  # noqa: SIM115
    deadline = time.monotonic() + 900
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                lock.close()
                _unavailable("another test session has held the fault daemon for 15 min")
            time.sleep(1)
    daemon = FaultDaemon(firewall=frozenset(_firewall_rules()))
    try:
        daemon.up()
        yield daemon
    finally:
        daemon.clean()
        daemon.down()
        _restore_firewall(set(daemon.firewall))
        lock.close()


@pytest.fixture
def fault(fault_daemon: FaultDaemon) -> FaultDaemon:
    """The fault daemon, answering at the start of every test (a failed test may have left
    it killed)."""
    fault_daemon.up()
    return fault_daemon


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample migrated by the wizard (`demo` + `apply --yes`), once per module."""
    return migrated_repo(tmp_path_factory.mktemp("faults") / "ledgerly")


def copy_of(repo: Path, tmp_path: Path) -> Path:
    """A private copy (git repo, modes and all) for one test to break."""
    return Path(shutil.copytree(repo, tmp_path / repo.name, symlinks=True))


# -- helpers --------------------------------------------------------------------------------
def snapshot(root: Path) -> dict[str, tuple[str, int]]:
    """Every byte of the repository (and its .git) but the wizard's state dir: content hash
    (or link target) and mode of each file, folder and symlink."""
    out: dict[str, tuple[str, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        if rel == ".":
            dirnames[:] = [d for d in dirnames if d != ".dashtam-wizard"]
        for name in dirnames + filenames:
            p = Path(dirpath, name)
            st = p.lstat()
            if stat.S_ISLNK(st.st_mode):
                digest = "link:" + os.readlink(p)
            elif stat.S_ISDIR(st.st_mode):
                digest = "dir"
            else:
                digest = hashlib.sha256(p.read_bytes()).hexdigest()
            out[os.path.normpath(os.path.join(rel, name))] = (digest, st.st_mode)
    return out


def secret_values(repo: Path) -> set[str]:
    """Every secret-looking value of the repo's env files: none may be printed."""
    out = set()
    for path in [*repo.glob(".env*"), *repo.glob("env/.env*")]:
        for k, v in dotenv_values(path).items():
            if v and is_secret_key(k) and len(v) >= 6:
                out.add(v)
    return out


def with_slow_step(repo: Path) -> str:
    """Append a uniquely named, slow step to the development stage; returns the line it prints.

    Fresh per test so a warm cache (the data root is kept) can never skip it, and the daemon
    is killed while it is certainly running. It prints `fault-42-<token>`, which is not the
    instruction's own text (`$((6 * 7))`), so the marker is the step's output.
    """
    token = uuid.uuid4().hex[:12]
    dockerfile = repo / "docker" / "Dockerfile"
    text = dockerfile.read_text()
    step = f'RUN echo "fault-$((6 * 7))-{token}" && sleep {SLOW_STEP_SECONDS}\n\n'
    start = text.index("AS development\n")
    at = text.index("\nEXPOSE ", start) + 1  # the development stage's EXPOSE
    dockerfile.write_text(text[:at] + step + text[at:])
    return f"fault-42-{token}"


class Verify:
    """`dashtam-wizard verify` running in a subprocess, its output read line by line."""

    def __init__(self, repo: Path, host: str) -> None:
        env = {**os.environ, "DOCKER_HOST": host, "COLUMNS": "200", "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [str(CLI), "verify", str(repo)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.out: list[str] = []
        self.err: list[str] = []
        self._threads = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, self.out, True)),
            threading.Thread(target=self._pump, args=(self.proc.stderr, self.err, False)),
        ]
        for t in self._threads:
            t.daemon = True
            t.start()

    def _pump(self, stream: IO[str], into: list[str], feed: bool) -> None:
        for line in stream:
            into.append(line)
            if feed:
                self.lines.put(line)
        if feed:
            self.lines.put(None)

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = TIMEOUT) -> str:
        """The first stdout line for which `predicate` is true (fails at EOF or timeout)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no such line within {timeout} s:\n{''.join(self.out)[-3000:]}")
            if line is None:
                pytest.fail(f"verify ended first (exit {self.proc.wait()}):\n{self.text[-3000:]}")
            if predicate(line):
                return line
            if time.monotonic() > deadline:
                pytest.fail(f"no such line within {timeout} s:\n{''.join(self.out)[-3000:]}")

    def finish(self, timeout: float = TIMEOUT) -> int:
        code = self.proc.wait(timeout=timeout)
        for t in self._threads:
            t.join(timeout=30)
        return code

    def stop(self) -> None:
        """Never leave a verify behind (SIGCONT first: it may be stopped)."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGCONT)
                self.proc.kill()
            self.proc.wait(timeout=30)

    @property
    def stdout(self) -> str:
        return "".join(self.out)

    @property
    def stderr(self) -> str:
        return "".join(self.err)

    @property
    def text(self) -> str:
        return self.stdout + self.stderr


def verify_again(repo: Path, host: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), "verify", str(repo)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env={**os.environ, "DOCKER_HOST": host, "COLUMNS": "200"},
    )


def assert_clean_stop(run: Verify, repo: Path, before: dict) -> str:
    """Exit 2, one line on stderr, no traceback, no secret, the repo as it was: the line."""
    lines = [ln for ln in run.stderr.splitlines() if ln.strip()]
    assert run.proc.returncode == 2, run.text[-3000:]
    assert len(lines) == 1, run.stderr
    assert "Traceback" not in run.text and "internal error" not in run.text, run.text[-3000:]
    for value in secret_values(repo):
        assert value not in run.text
    assert snapshot(repo) == before, "verify changed files in the repository"
    return lines[0]


# -- no daemon at all (no Docker needed) ----------------------------------------------------------
def test_cli_unreachable_daemon_is_one_line_on_stderr(tmp_path: Path) -> None:
    """The CLI's form of the in-process test in test_docker_verify: exit 2, the one line on
    stderr (stdout is for progress), the same convention as a daemon lost mid-run."""
    repo = tmp_path / "repo"
    (repo / "docker").mkdir(parents=True)
    (repo / "docker" / "Dockerfile").write_text("FROM python:3.13-slim\n")
    before = snapshot(repo)
    host = "unix:///var/tmp/dashtam-no-such-dir/docker.sock"
    res = subprocess.run(
        [str(CLI), "verify", str(repo)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DOCKER_HOST": host, "COLUMNS": "200"},
    )
    assert res.returncode == 2 and res.stdout == "", res.stdout + res.stderr
    assert res.stderr.count("\n") == 1 and res.stderr.startswith("dashtam-wizard: "), res.stderr
    assert f"cannot reach a Docker daemon at {host}" in res.stderr and "DOCKER_HOST" in res.stderr
    assert snapshot(repo) == before


# -- the daemon dies mid-build --------------------------------------------------------------
@pytest.mark.docker
def test_daemon_killed_mid_build(fault: FaultDaemon, migrated: Path, tmp_path: Path) -> None:
    repo = copy_of(migrated, tmp_path)
    marker = with_slow_step(repo)
    before = snapshot(repo)
    run = Verify(repo, fault.host)
    try:
        run.wait_for(lambda line: marker in line and "Step " not in line)
        fault.kill()
        run.finish(timeout=120)
    finally:
        run.stop()
    line = assert_clean_stop(run, repo, before)
    # e.g. "dashtam-wizard: the Docker daemon at unix:///var/tmp/dtw-faults/docker.sock
    # stopped answering (connection refused) during the build of stage development
    # (step 13/16); nothing in the repository was changed: start the daemon again and
    # re-run verify"
    assert re.search(
        rf"the Docker daemon at {re.escape(fault.host)} stopped answering \(.+\) during "
        r"the build of stage development \(step \d+/\d+\)",
        line,
    ), line
    assert "start the daemon again and re-run verify" in line
    assert "❌" not in run.stdout, "a dead daemon must not be reported as failed checks"

    fault.up()  # same data root, as `.ci/docker-up` or `systemctl start docker` would
    again = verify_again(repo, fault.host)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr
    assert marker in again.stdout and " 0 failed" in again.stdout
    assert snapshot(repo) == before
    with contextlib.closing(fault.client()) as client:
        assert wizard_containers(client) == []


# -- a check container, or the daemon, is killed mid-check ---------------------------------------
def verify_held_at_first_check(
    repo: Path, fault: FaultDaemon, fault_action: Callable[[dict], None]
) -> tuple[Verify, dict]:
    """Run verify and apply `fault_action(start event)` at its first check container (the
    development image's probe), with verify frozen: returns the finished run and the event.

    The verify process is held with SIGSTOP from the moment the daemon reports the
    container started until `fault_action` is done, so the fault lands at a known point:
    no check can have finished in that container, every check still to run finds it (or
    the daemon) gone.
    """
    client = fault.client()
    # Subscribed once this returns: only containers started from now on are reported.
    events = client.events(
        decode=True, filters={"type": "container", "event": "start", "label": "dashtam-wizard=1"}
    )
    seen: dict = {}
    problems: list[BaseException] = []
    done = threading.Event()
    run = Verify(repo, fault.host)

    def at_first_check_container() -> None:
        try:
            for ev in events:
                os.kill(run.proc.pid, signal.SIGSTOP)
                try:
                    seen.update(ev)
                    fault_action(ev)
                finally:
                    os.kill(run.proc.pid, signal.SIGCONT)
                return
        except BaseException as exc:  # noqa: BLE001 - reported by the test, not the thread
            if not done.is_set():
                problems.append(exc)

    thread = threading.Thread(target=at_first_check_container, daemon=True)
    thread.start()
    try:
        code = run.finish()
        thread.join(timeout=30)
    finally:
        done.set()
        with contextlib.suppress(Exception):
            events.close()
        client.close()
        run.stop()
    assert not problems, problems
    assert seen, f"no check container started (exit {code}):\n{run.text[-3000:]}"
    return run, seen


@pytest.mark.docker
def test_check_container_killed_mid_check(
    fault: FaultDaemon, migrated: Path, tmp_path: Path
) -> None:
    """The probe container is SIGKILLed through the daemon, as `docker kill` does."""
    repo = copy_of(migrated, tmp_path)
    before = snapshot(repo)

    def docker_kill(ev: dict) -> None:
        with contextlib.closing(fault.client()) as client:
            client.api.kill(ev["id"])  # SIGKILL
            deadline = time.monotonic() + 30
            while client.api.inspect_container(ev["id"])["State"]["Running"]:
                assert time.monotonic() < deadline, "the killed container kept running"
                time.sleep(0.05)

    run, ev = verify_held_at_first_check(repo, fault, docker_kill)
    line = assert_clean_stop(run, repo, before)
    # e.g. "dashtam-wizard: the check 'runs as appuser 1000:1000 [development]' could not
    # finish: the check container trusting_ride (50cb9cb0fc84) was killed from outside
    # (exit 137); nothing in the repository was changed: re-run verify"
    assert re.search(r"the check '[^']+\[development\]' could not finish", line), line
    name = ev["Actor"]["Attributes"]["name"]
    assert f"the check container {name} ({ev['id'][:12]})" in line, line
    assert "was killed from outside (exit 137)" in line and "re-run verify" in line, line
    with contextlib.closing(fault.client()) as client:
        assert wizard_containers(client) == []  # the killed probe was removed too

    again = verify_again(repo, fault.host)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr
    assert " 0 failed" in again.stdout
    assert snapshot(repo) == before
    with contextlib.closing(fault.client()) as client:
        assert wizard_containers(client) == []


@pytest.mark.docker
def test_daemon_killed_mid_check(fault: FaultDaemon, migrated: Path, tmp_path: Path) -> None:
    """The daemon dies while the probe is up: the probe outlives verify (stopped, labelled);
    the retry removes it before it starts, because the verify that made it is gone."""
    repo = copy_of(migrated, tmp_path)
    before = snapshot(repo)
    run, ev = verify_held_at_first_check(repo, fault, lambda _ev: fault.kill())
    line = assert_clean_stop(run, repo, before)
    assert re.search(
        rf"the Docker daemon at {re.escape(fault.host)} stopped answering \(.+\) during "
        r"the checks after building stage development;",
        line,
    ), line

    fault.up()
    with contextlib.closing(fault.client()) as client:
        left = [c.name for c in client.containers.list(all=True, filters={"id": ev["id"]})]
        assert left == [ev["Actor"]["Attributes"]["name"]], "the orphaned probe should be there"
    again = verify_again(repo, fault.host)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr
    assert snapshot(repo) == before
    with contextlib.closing(fault.client()) as client:
        assert wizard_containers(client) == []  # the orphan was swept by the retry


# -- the same in the TUI ------------------------------------------------------------------------
@pytest.mark.docker
async def test_tui_verify_shows_the_one_line_when_the_daemon_dies(
    fault: FaultDaemon, migrated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Verify screen says what the CLI says ("Cannot verify: the Docker daemon ...
    stopped answering ..."), once, not "Internal error" with a traceback file."""
    from dashtam_wizard.tui.app import WizardApp

    repo = copy_of(migrated, tmp_path)
    token = with_slow_step(repo).rsplit("-", 1)[1]
    before = snapshot(repo)
    monkeypatch.setenv("DOCKER_HOST", fault.host)
    app = WizardApp(repo)
    notes: list[tuple[str, str]] = []
    notify = app.notify

    def spy(message: str, *, title: str = "", **kw: object) -> None:  # what the user is told
        notes.append((title, str(message)))
        notify(message, title=title, **kw)  # type: ignore[arg-type]

    app.notify = spy  # type: ignore[method-assign]

    def slow_step_running() -> bool:
        """The step's process is up: a container of the classic builder, a process of the
        daemon's host under BuildKit."""
        if subprocess.run(["pgrep", "-f", f"fault-.*{token}"], capture_output=True).returncode == 0:
            return True
        with contextlib.closing(fault.client()) as client:
            return any(token in str(c.attrs["Config"]["Cmd"]) for c in client.containers.list())

    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot)
        await pilot.press("v")
        deadline = time.monotonic() + TIMEOUT
        while not await asyncio.to_thread(slow_step_running):
            assert time.monotonic() < deadline, "the slow build step never ran"
            await pilot.pause(0.2)
        await asyncio.to_thread(fault.kill)
        await settle(pilot)
        text = screen_text(app)
        panel = str(app.screen.query_one("#verify-status").render())
        assert app.busy is None
    # said once, on the Verify screen the user is looking at: not again in a toast over it
    assert not [(t, m) for t, m in notes if t in ("Cannot verify", "Internal error")], notes
    assert panel.startswith(f"Cannot verify: the Docker daemon at {fault.host} stopped answering")
    assert "during the build of stage development (step " in panel, panel
    assert "Cannot verify" in text and "Traceback" not in text
    assert snapshot(repo) == before
    fault.up()  # leave it answering for the clean-up
