# SPDX-License-Identifier: MIT
# qemu_guest.py: boot the tiny e2e test guest under QEMU (TCG) on a socket and collect its SVM-RESULT lines.
"""Helpers to boot the sock-vmnet e2e test guest.

The guest (tests/guest/, built by tests/guest/build-guest.sh) boots a Debian
kernel with a busybox initramfs, brings up eth0 (virtio-net), runs a busybox
sh *scenario* and prints ``SVM-RESULT key=value`` lines on its serial console,
then powers off.  See tests/guest/README.md for the scenario helpers.

Typical use::

    import qemu_guest as qg

    reason = qg.skip_reason()          # None when QEMU + kernel are present
    image = qg.ensure_guest()          # builds build/guest/ if needed
    host, guest_end = qg.dgram_socketpair()
    with qg.QemuGuest("svm_dhcp", qg.DgramFd(guest_end), image=image,
                      name="my-test") as vm:
        vm.start()                     # closes our copy of guest_end
        link = qg.FrameLink(host)      # the test plays the network
        frame = link.recv(timeout=30)
        res = vm.wait()                # -> GuestResult
    assert res.results["done"] == "1"

No third-party module is needed here; only the standard library.
"""

from __future__ import annotations

import ctypes
import os
import re
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence, Union

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO_ROOT / "tests" / "guest" / "build-guest.sh"
DEFAULT_GUEST_DIR = Path(os.environ.get("SVM_GUEST_DIR", REPO_ROOT / "build" / "guest"))
DEFAULT_ARTIFACT_DIR = Path(os.environ.get("SVM_ARTIFACT_DIR", REPO_ROOT / "build" / "e2e-artifacts"))
DEFAULT_MAC = "52:54:00:12:34:56"
QEMU_BINARY = os.environ.get("SVM_QEMU", "qemu-system-x86_64")
FW_CFG_NAME = "opt/svm/scenario"

# "SVM-RESULT key=value"; kernel messages may share the line, so search anywhere.
_RESULT_RE = re.compile(r"SVM-RESULT ([A-Za-z0-9_.\-]+)=(.*)$")


# ---------------------------------------------------------------------------
# Availability and image
# ---------------------------------------------------------------------------

def find_qemu() -> Optional[str]:
    """Path of qemu-system-x86_64 (or $SVM_QEMU), or None."""
    return shutil.which(QEMU_BINARY)


def _kernels() -> list:
    return sorted(Path("/boot").glob("vmlinuz-*"))


def skip_reason() -> Optional[str]:
    """Why the guest cannot be booted here (for pytest.skip), or None."""
    if find_qemu() is None:
        return f"{QEMU_BINARY} not found (apt-get install qemu-system-x86)"
    if not BUILD_SCRIPT.is_file():
        return f"{BUILD_SCRIPT} missing"
    kver = os.environ.get("SVM_GUEST_KVER")
    kernels = [Path(f"/boot/vmlinuz-{kver}")] if kver else _kernels()
    kernels = [k for k in kernels if k.is_file()]
    if not kernels:
        return "no kernel in /boot (apt-get install linux-image-amd64)"
    if not os.access(kernels[-1], os.R_OK):
        return f"{kernels[-1]} is not readable (run as root)"
    return None


@dataclass(frozen=True)
class GuestImage:
    """Kernel and initramfs produced by build-guest.sh."""
    kernel: Path
    initrd: Path


def ensure_guest(outdir: Union[str, Path, None] = None, force: bool = False,
                 timeout: float = 600) -> GuestImage:
    """Run build-guest.sh OUTDIR (a no-op when up to date) and return the image.

    Raises RuntimeError with the script's output if the build fails.
    """
    out = Path(outdir) if outdir is not None else DEFAULT_GUEST_DIR
    env = dict(os.environ)
    if force:
        env["SVM_GUEST_FORCE"] = "1"
    proc = subprocess.run(["sh", str(BUILD_SCRIPT), str(out)], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=timeout, check=False)
    if proc.returncode != 0:
        raise RuntimeError("build-guest.sh failed:\n" + proc.stdout.decode(errors="replace"))
    return GuestImage(kernel=out / "vmlinuz", initrd=out / "initramfs.cpio.gz")


# ---------------------------------------------------------------------------
# Network backends (what QEMU's -netdev is attached to)
# ---------------------------------------------------------------------------

def _fileno(fd) -> int:
    return fd if isinstance(fd, int) else fd.fileno()


def _qemu_escape(value: str) -> str:
    """Escape a value inside a QEMU -option list (commas are doubled)."""
    return str(value).replace(",", ",,")


@dataclass
class DgramFd:
    """-netdev dgram on an fd: one Ethernet frame per datagram.

    ``fd`` is an int or a socket (e.g. one end of an AF_UNIX SOCK_DGRAM
    socketpair).  With close_in_parent (default) QemuGuest.start() closes our
    copy once QEMU has it, so the peer sees QEMU going away.
    """
    fd: Union[int, socket.socket]
    close_in_parent: bool = True

    def netdev_arg(self, netid: str) -> str:
        return f"dgram,id={netid},local.type=fd,local.str={_fileno(self.fd)}"

    def pass_fds(self) -> list:
        return [_fileno(self.fd)]


@dataclass
class StreamFd:
    """-netdev stream on an already connected stream socket fd.

    Framing: each frame is preceded by its length, 4 bytes big-endian
    (use FrameLink(sock, stream=True) on the other end).
    """
    fd: Union[int, socket.socket]
    close_in_parent: bool = True

    def netdev_arg(self, netid: str) -> str:
        return f"stream,id={netid},server=off,addr.type=fd,addr.str={_fileno(self.fd)}"

    def pass_fds(self) -> list:
        return [_fileno(self.fd)]


@dataclass
class StreamUnix:
    """-netdev stream on a unix socket path (4-byte big-endian length framing).

    server=False: QEMU connects to ``path``, so something must already listen
    there (QEMU 7.2 does not retry).  server=True: QEMU listens on ``path``;
    wait for it with wait_for_path() and connect.
    """
    path: Union[str, Path]
    server: bool = False
    close_in_parent: bool = False

    def netdev_arg(self, netid: str) -> str:
        srv = "on" if self.server else "off"
        return f"stream,id={netid},server={srv},addr.type=unix,addr.path={_qemu_escape(self.path)}"

    def pass_fds(self) -> list:
        return []


@dataclass
class UserNet:
    """-netdev user (QEMU's built-in slirp), isolated by default (restrict=on).

    Only for testing the guest itself without any peer: slirp gives DHCP
    (10.0.2.15, server 10.0.2.2) and ``guestfwd`` rules such as
    "tcp:10.0.2.100:80-cmd:printf 'HTTP/1.0 200 OK\\r\\n\\r\\nhi'".
    """
    restrict: bool = True
    guestfwd: Sequence[str] = ()

    def netdev_arg(self, netid: str) -> str:
        arg = f"user,id={netid},restrict={'on' if self.restrict else 'off'}"
        for rule in self.guestfwd:
            arg += f",guestfwd={_qemu_escape(rule)}"
        return arg

    def pass_fds(self) -> list:
        return []


NetBackend = Union[DgramFd, StreamFd, StreamUnix, UserNet]


def dgram_socketpair() -> tuple:
    """(host_end, guest_end): AF_UNIX SOCK_DGRAM socketpair, guest_end for DgramFd."""
    host, guest = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    _grow_buffers(host)
    _grow_buffers(guest)
    return host, guest


def stream_socketpair() -> tuple:
    """(host_end, guest_end): AF_UNIX SOCK_STREAM socketpair, guest_end for StreamFd."""
    return socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)


def _grow_buffers(sock: socket.socket, size: int = 1 << 20) -> None:
    for opt in (socket.SO_SNDBUF, socket.SO_RCVBUF):
        try:
            sock.setsockopt(socket.SOL_SOCKET, opt, size)
        except OSError:
            pass


def wait_for_path(path: Union[str, Path], timeout: float = 10.0) -> bool:
    """Wait (bounded) until ``path`` exists, e.g. QEMU's listening socket."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            return True
        time.sleep(0.02)
    return False


class FrameLink:
    """Send/receive whole Ethernet frames on the host end of a guest link.

    stream=False: one frame per datagram (SOCK_DGRAM).  stream=True: QEMU's
    stream framing, a 4-byte big-endian length before each frame.
    """

    def __init__(self, sock: socket.socket, stream: bool = False):
        self.sock = sock
        self.stream = stream
        self._buf = b""

    def send(self, frame: bytes) -> None:
        frame = bytes(frame)
        if self.stream:
            self.sock.sendall(struct.pack(">I", len(frame)) + frame)
        else:
            self.sock.send(frame)

    def recv(self, timeout: float) -> Optional[bytes]:
        """Next frame, or None after ``timeout`` seconds (or at EOF)."""
        deadline = time.monotonic() + timeout
        if not self.stream:
            left = max(0.0, deadline - time.monotonic())
            self.sock.settimeout(left if left > 0 else 1e-6)
            try:
                return self.sock.recv(65536)
            except (socket.timeout, BlockingIOError):
                return None
        while True:
            if len(self._buf) >= 4:
                (n,) = struct.unpack(">I", self._buf[:4])
                if len(self._buf) >= 4 + n:
                    frame, self._buf = self._buf[4:4 + n], self._buf[4 + n:]
                    return frame
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except (socket.timeout, BlockingIOError):
                return None
            if not chunk:
                return None
            self._buf += chunk

    def frames(self, duration: float):
        """Yield frames received during the next ``duration`` seconds."""
        deadline = time.monotonic() + duration
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            frame = self.recv(min(left, 0.5))
            if frame is not None:
                yield frame


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------

def parse_results(text: str) -> list:
    """[(key, value), ...] from every SVM-RESULT line in console text, in order."""
    out = []
    for line in text.splitlines():
        m = _RESULT_RE.search(line.rstrip("\r"))
        if m:
            out.append((m.group(1), m.group(2).rstrip()))
    return out


@dataclass
class GuestResult:
    """What one guest run produced."""
    returncode: Optional[int]          # QEMU's exit status (None if killed before exit)
    timed_out: bool                    # the host-side timeout killed QEMU
    results: dict                      # SVM-RESULT key -> value (last one wins)
    result_lines: list                 # [(key, value), ...] in order, duplicates kept
    console: str                       # the whole console (and QEMU stderr) text
    console_log: Path                  # where the console was saved
    elapsed: float                     # seconds from QEMU start to exit
    boot_time: Optional[float] = None  # seconds from QEMU start to "SVM-BOOT" (/init runs)
    ready_time: Optional[float] = None  # ... to the scenario start (eth0 up)
    command: list = field(default_factory=list)

    @property
    def done(self) -> bool:
        """The scenario ran to its end (init printed done=1)."""
        return self.results.get("done") == "1"

    def values(self, key: str) -> list:
        """All values printed for ``key``, in order."""
        return [v for k, v in self.result_lines if k == key]


# ---------------------------------------------------------------------------
# The guest
# ---------------------------------------------------------------------------

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """preexec_fn: QEMU gets SIGKILL if the test process dies.

    (Linux ties this to the thread that started QEMU: start guests from a
    thread that outlives them, e.g. the main thread.)
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except Exception:  # pragma: no cover - best effort
        pass


class QemuGuest:
    """One QEMU run of the test guest.

    scenario:  busybox sh text run by the guest's /init (see tests/guest/README.md).
    net:       a DgramFd / StreamFd / StreamUnix / UserNet, or None for no NIC.
    timeout:   scenario budget in seconds; the guest powers itself off after
               it (svm.timeout), and the host kills QEMU at timeout + 30 s.
    name:      base name of the artifacts (<artifact_dir>/<name>.console.log).
    machine:   "pc" (default, slightly faster) or "q35".
    ipv6:      False adds ipv6.disable=1 (no router solicitations/MLD noise).
    debug:     all kernel messages on the console, scenario traced (set -x).
    append:    extra kernel command line words.
    extra_args: extra QEMU arguments.
    """

    def __init__(self, scenario: str, net: Optional[NetBackend] = None, *,
                 image: Optional[GuestImage] = None, mac: str = DEFAULT_MAC,
                 timeout: float = 60.0, name: str = "guest",
                 artifact_dir: Union[str, Path, None] = None,
                 machine: str = "pc", memory_mb: int = 256, ipv6: bool = True,
                 debug: bool = False, append: str = "",
                 extra_args: Sequence[str] = ()):
        self.scenario = scenario
        self.net = net
        self.image = image
        self.mac = mac
        self.timeout = float(timeout)
        self.name = re.sub(r"[^A-Za-z0-9_.\-]+", "_", name)
        self.artifact_dir = Path(artifact_dir) if artifact_dir else DEFAULT_ARTIFACT_DIR
        self.machine = machine
        self.memory_mb = memory_mb
        self.ipv6 = ipv6
        self.debug = debug
        self.append = append
        self.extra_args = list(extra_args)

        self.console_log = self.artifact_dir / f"{self.name}.console.log"
        self.proc: Optional[subprocess.Popen] = None
        self.command: list = []
        self._lines: list = []                 # console lines
        self._results: list = []               # (key, value)
        self._marks: dict = {}                 # marker -> host seconds since start
        self._cond = threading.Condition()
        self._reader: Optional[threading.Thread] = None
        self._t0 = 0.0
        self._t_end: Optional[float] = None
        self._timed_out = False
        self._tmpdir: Optional[str] = None

    # -- command line --------------------------------------------------------
    def build_command(self, scenario_path: Path) -> list:
        image = self.image
        kernel_args = ["console=ttyS0", "panic=-1", f"svm.timeout={int(self.timeout)}"]
        if not self.ipv6:
            kernel_args.append("ipv6.disable=1")
        # debug: all kernel messages on the console and a traced scenario.
        kernel_args.append("svm.debug=1" if self.debug else "quiet")
        if self.append:
            kernel_args.append(self.append)
        cmd = [find_qemu() or QEMU_BINARY,
               "-M", self.machine, "-accel", "tcg", "-cpu", "qemu64",
               "-m", str(self.memory_mb), "-smp", "1",
               "-nodefaults", "-no-user-config", "-display", "none",
               "-serial", "stdio", "-no-reboot",
               "-kernel", str(image.kernel), "-initrd", str(image.initrd),
               "-append", " ".join(kernel_args),
               "-fw_cfg", f"name={FW_CFG_NAME},file={_qemu_escape(scenario_path)}"]
        if self.net is not None:
            cmd += ["-netdev", self.net.netdev_arg("n0"),
                    "-device", f"virtio-net-pci,netdev=n0,mac={self.mac}"]
        return cmd + self.extra_args

    # -- lifecycle -----------------------------------------------------------
    def start(self) -> "QemuGuest":
        if self.proc is not None:
            raise RuntimeError("guest already started")
        if self.image is None:
            self.image = ensure_guest()
        self.artifact_dir.mkdir(parents=True, exist_ok=True)
        self._tmpdir = tempfile.mkdtemp(prefix="svm-guest-")
        scenario_path = Path(self._tmpdir) / "scenario.sh"
        scenario_path.write_text(self.scenario if self.scenario.endswith("\n")
                                 else self.scenario + "\n")
        (self.artifact_dir / f"{self.name}.scenario.sh").write_text(scenario_path.read_text())
        self.command = self.build_command(scenario_path)
        fds = self.net.pass_fds() if self.net is not None else []
        self._t0 = time.monotonic()
        self.proc = subprocess.Popen(self.command, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     pass_fds=fds, preexec_fn=_die_with_parent)
        if self.net is not None and getattr(self.net, "close_in_parent", False):
            fd = self.net.fd
            if isinstance(fd, socket.socket):
                fd.close()
            else:
                os.close(fd)
        self._reader = threading.Thread(target=self._read_console, daemon=True,
                                        name=f"qemu-console-{self.name}")
        self._reader.start()
        return self

    def _read_console(self) -> None:
        with open(self.console_log, "w", encoding="utf-8", errors="replace") as log:
            log.write("# " + shlex.join(self.command) + "\n")
            for raw in self.proc.stdout:
                line = raw.decode("utf-8", errors="replace").rstrip("\r\n").replace("\r", "")
                now = time.monotonic() - self._t0
                log.write(line + "\n")
                log.flush()
                with self._cond:
                    self._lines.append(line)
                    if "SVM-BOOT" in line:
                        self._marks.setdefault("boot", now)
                    if "SVM-SCENARIO-BEGIN" in line:
                        self._marks.setdefault("ready", now)
                    m = _RESULT_RE.search(line)
                    if m:
                        self._results.append((m.group(1), m.group(2).rstrip()))
                    self._cond.notify_all()
        with self._cond:
            self._t_end = time.monotonic() - self._t0
            self._cond.notify_all()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def results(self) -> dict:
        """SVM-RESULT lines seen so far (key -> last value)."""
        with self._cond:
            return dict(self._results)

    def wait_for(self, key: str, timeout: float) -> Optional[str]:
        """Wait until the guest prints SVM-RESULT ``key``=...; its value, or None
        on timeout or guest exit."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for k, v in self._results:
                    if k == key:
                        return v
                left = deadline - time.monotonic()
                if left <= 0 or self._t_end is not None:
                    return None
                self._cond.wait(min(left, 0.5))

    def hard_deadline(self) -> float:
        """Host seconds (since start) after which wait() kills QEMU."""
        return self.timeout + 30.0

    def wait(self, timeout: Optional[float] = None) -> GuestResult:
        """Wait for QEMU to exit (the guest powers off), kill it past the
        deadline (default: timeout + 30 s since start), return the result."""
        if self.proc is None:
            raise RuntimeError("guest not started")
        limit = self.hard_deadline() if timeout is None else timeout
        left = max(0.0, self._t0 + limit - time.monotonic())
        try:
            self.proc.wait(timeout=left)
        except subprocess.TimeoutExpired:
            self._timed_out = True
            self.kill()
        if self._reader is not None:
            self._reader.join(timeout=10)
        self._cleanup_tmp()
        return self.result()

    def kill(self) -> None:
        """Stop QEMU now (SIGTERM, then SIGKILL) and reap it."""
        if self.proc is None or self.proc.poll() is not None:
            self._cleanup_tmp()
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self._cleanup_tmp()

    def _cleanup_tmp(self) -> None:
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def result(self) -> GuestResult:
        with self._cond:
            console = "\n".join(self._lines)
            lines = list(self._results)
            end = self._t_end if self._t_end is not None else time.monotonic() - self._t0
            marks = dict(self._marks)
        return GuestResult(
            returncode=self.proc.poll() if self.proc else None,
            timed_out=self._timed_out, results=dict(lines), result_lines=lines,
            console=console, console_log=self.console_log, elapsed=end,
            boot_time=marks.get("boot"), ready_time=marks.get("ready"),
            command=list(self.command))

    def __enter__(self) -> "QemuGuest":
        return self

    def __exit__(self, *exc) -> None:
        self.kill()
        if self._reader is not None:
            self._reader.join(timeout=10)


def run_guest(scenario: str, net: Optional[NetBackend] = None, **kwargs) -> GuestResult:
    """Boot the guest, wait for it to power off (bounded), return the result.

    For scenarios that need a live peer on the host end, use QemuGuest
    directly (start(), serve the link, then wait()).
    """
    with QemuGuest(scenario, net, **kwargs) as vm:
        vm.start()
        return vm.wait()
