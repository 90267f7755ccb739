"""Namespace lab for bench/run: two routers and an observer on one bridge (plus extra bridges
for more than 250 instances), VRRP daemons (alived or keepalived) started the way keepalived
runs under systemd (`-n -l -D`), a GARP watcher (tcpdump in the observer namespace), and
/proc readings (RSS/PSS from smaps_rollup, utime+stime from stat) summed over a daemon's
process group.

Everything created is recorded and removed by Lab.close(), which bench/run calls from a
finally block and from its signal handlers. Standard library only.
"""

import ctypes
import os
import re
import signal
import struct
import subprocess
import sys
import threading
import time

PER_IFACE = 250  # VRIDs used per interface (1..250)


def become_subreaper():
    """Orphans of a killed daemon (its VRRP/checker children) are re-parented to us, so that
    kill() can reap them at once and no zombie keeps a pid file's pid alive."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def stop_group(proc, sig=signal.SIGTERM, wait=5):
    """Signals the process group a watcher started (its own, by its leader's pid) and waits
    for the leader; gone already is fine."""
    try:
        os.killpg(proc.pid, sig)
        proc.wait(wait)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass


def sh(*args, check=True):
    """Runs a command, returning stdout; raises with stderr on failure when check."""
    p = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {p.stderr.strip()}")
    return p.stdout


class Lab:
    """Namespaces r1, r2, obs and a bridge namespace; `ifaces` LANs (eth0..ethK-1)."""

    def __init__(self, tag, ifaces=1):
        self.prefix = f"abench-{tag}-{os.getpid()}"
        self.namespaces = []
        self.daemons = []
        self.watchers = []
        self.ifaces = ifaces
        self.br = self._ns("br")
        self.r = [self._ns("r1"), self._ns("r2")]
        self.obs = self._ns("obs")
        for k in range(ifaces):
            sh("ip", "-n", self.br, "link", "add", f"br{k}", "type", "bridge",
               "stp_state", "0", "forward_delay", "0", "mcast_snooping", "0")
            sh("ip", "-n", self.br, "link", "set", f"br{k}", "up")
            members = [(self.r[0], 1), (self.r[1], 2)] + ([(self.obs, 200)] if k == 0 else [])
            for i, (ns, host) in enumerate(members):
                port = f"p{k}x{i}"
                sh("ip", "-n", self.br, "link", "add", port, "type", "veth", "peer",
                   "name", f"eth{k}", "netns", ns)
                sh("ip", "-n", self.br, "link", "set", port, "master", f"br{k}", "up")
                sh("ip", "-n", ns, "addr", "add", f"{self.addr(k, host)}/24", "dev", f"eth{k}")
                sh("ip", "-n", ns, "link", "set", f"eth{k}", "up")

    def _ns(self, short):
        name = f"{self.prefix}-{short}"
        sh("ip", "netns", "add", name)
        self.namespaces.append(name)
        sh("ip", "-n", name, "link", "set", "lo", "up")
        return name

    @staticmethod
    def addr(k, host):
        return f"10.{50 + k}.0.{host}"

    def mac(self, ns, ifname="eth0"):
        out = sh("ip", "-n", ns, "-o", "link", "show", ifname)
        return re.search(r"link/ether ([0-9a-f:]{17})", out).group(1)

    def has_addr(self, ns, addr):
        return f" {addr}/" in sh("ip", "-n", ns, "-o", "addr", "show")

    def close(self):
        for d in self.daemons:
            d.kill()
        for w in self.watchers:
            w.stop()
        for ns in reversed(self.namespaces):
            sh("ip", "netns", "del", ns, check=False)
        self.namespaces = []


def config(n, prio, version, advert_int, lab_ifaces, globals_=()):
    """keepalived.conf text: n instances VI_1..VI_n, instance j on eth(j // 250) with VRID
    j % 250 + 1; VI_1's VIP is 10.50.0.100/24 (the one the observer watches), the others
    10.(60 + iface).(vrid).1/32. globals_: extra global_defs lines."""
    assert n <= PER_IFACE * lab_ifaces
    extra = "".join(f"    {g}\n" for g in globals_)
    out = [f"global_defs {{\n    router_id bench\n{extra}}}\n"]
    for j in range(n):
        k, vrid = divmod(j, PER_IFACE)
        vrid += 1
        vip = "10.50.0.100/24" if j == 0 else f"10.{60 + k}.{vrid}.1/32"
        out.append(
            f"vrrp_instance VI_{j + 1} {{\n    state BACKUP\n    interface eth{k}\n"
            f"    virtual_router_id {vrid}\n    priority {prio}\n    version {version}\n"
            f"    advert_int {advert_int}\n    virtual_ipaddress {{\n        {vip}\n    }}\n}}\n")
    return "".join(out)


class Daemon:
    """One daemon in `ns`, in its own process group; console lines stamped on arrival."""

    def __init__(self, lab, ns, binary, workdir, name):
        self.lab, self.ns, self.binary, self.name = lab, ns, binary, name
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.proc = None
        self.lines = []  # (monotonic, text)
        self.cond = threading.Condition()
        lab.daemons.append(self)

    def start(self, conf_text, to_file=False, keep=None):
        """Spawns the daemon; returns time.monotonic() just before. Its console goes to a pipe
        read line by line, or with to_file to console.log in its directory, tailed every
        20 ms (a slow reader can then never block the daemon's writes; lines are stamped
        when read). keep: substrings; with to_file only lines containing one are kept."""
        if self.proc is not None:
            raise RuntimeError(f"{self.name} already running")
        conf = os.path.join(self.dir, "keepalived.conf")
        with open(conf, "w") as f:
            f.write(conf_text)
        p = lambda f: os.path.join(self.dir, f)  # noqa: E731
        for f in ("parent.pid", "vrrp.pid", "checkers.pid"):
            try:
                os.unlink(p(f))
            except FileNotFoundError:
                pass
        cmd = ["ip", "netns", "exec", self.ns, self.binary, "-n", "-l", "-D", "-f", conf,
               "-p", p("parent.pid"), "-r", p("vrrp.pid"), "-c", p("checkers.pid")]
        with self.cond:
            self.lines = []
        self.started = time.monotonic()
        if to_file:
            self.console = p("console.log")
            with open(self.console, "wb") as out:
                self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                             stderr=subprocess.STDOUT, start_new_session=True)
            threading.Thread(target=self._tail, args=(self.proc, self.console, keep),
                             daemon=True).start()
        else:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, start_new_session=True,
                                         text=True, errors="replace")
            threading.Thread(target=self._pump, args=(self.proc,), daemon=True).start()
        return self.started

    def _tail(self, proc, path, keep):
        pending = b""
        with open(path, "rb") as f:
            while True:
                alive = self.proc is proc
                data = f.read(1 << 20)
                if data:
                    now = time.monotonic()
                    pending += data
                    *whole, pending = pending.split(b"\n")
                    texts = [w.decode("utf-8", "replace") for w in whole]
                    if keep is not None:
                        texts = [t for t in texts if any(k in t for k in keep)]
                    if texts:
                        with self.cond:
                            self.lines.extend((now, t) for t in texts)
                            self.cond.notify_all()
                    continue
                if not alive:
                    return
                time.sleep(0.02)

    def stamped(self):
        """A copy of the (monotonic, text) lines read so far."""
        with self.cond:
            return list(self.lines)

    def _pump(self, proc):
        for line in proc.stdout:
            with self.cond:
                self.lines.append((time.monotonic(), line.rstrip("\n")))
                self.cond.notify_all()

    def count(self, pattern):
        with self.cond:
            return sum(1 for _, t in self.lines if pattern in t)

    def wait_count(self, pattern, n, timeout):
        """Waits until `pattern` occurs n times; returns the arrival time of the n-th."""
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                hits = [at for at, t in self.lines if pattern in t]
                if len(hits) >= n:
                    return hits[n - 1]
                left = end - time.monotonic()
                if left <= 0:
                    tail = "\n".join(t for _, t in self.lines[-15:])
                    raise TimeoutError(f"{self.name}: {len(hits)}/{n} x {pattern!r}\n{tail}")
                self.cond.wait(left)

    def pids(self):
        """Every live process of the daemon's process group."""
        if self.proc is None:
            return []
        pg, out = self.proc.pid, []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open(f"/proc/{d}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[2]) == pg and fields[0] != "Z":
                    out.append(int(d))
            except (OSError, IndexError, ValueError):
                pass
        return out

    def memory_kib(self):
        """(RSS, PSS) in KiB summed over the group (smaps_rollup)."""
        rss = pss = 0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/smaps_rollup") as f:
                    for line in f:
                        if line.startswith("Rss:"):
                            rss += int(line.split()[1])
                        elif line.startswith("Pss:"):
                            pss += int(line.split()[1])
            except OSError:
                pass
        return rss, pss

    def cpu_seconds(self):
        """CPU time used so far, summed over the group: the scheduler's run time of every
        thread (/proc/PID/task/TID/schedstat, nanoseconds), or utime+stime from
        /proc/PID/stat (clock ticks) where schedstat is missing."""
        total = 0.0
        hz = os.sysconf("SC_CLK_TCK")
        for pid in self.pids():
            try:
                tids = os.listdir(f"/proc/{pid}/task")
                total += sum(int(open(f"/proc/{pid}/task/{t}/schedstat").read().split()[0])
                             for t in tids) / 1e9
            except (OSError, IndexError, ValueError):
                try:
                    with open(f"/proc/{pid}/stat") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                    total += (int(fields[11]) + int(fields[12])) / hz
                except (OSError, IndexError, ValueError):
                    pass
        return total

    def signal(self, sig, group=False):
        """Sends `sig` to the parent (or the whole group); returns time.time() just before."""
        at = time.time()
        if group:
            os.killpg(self.proc.pid, sig)
        else:
            os.kill(self.proc.pid, sig)
        return at

    def wait_exit(self, timeout=15):
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
        self.kill()

    def kill(self):
        """SIGKILL to the group and reap; idempotent."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        # Reap the group's other members (re-parented to us, see become_subreaper).
        end = time.monotonic() + 5
        while time.monotonic() < end:
            try:
                pid, _ = os.waitpid(-self.proc.pid, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                time.sleep(0.005)
        self.proc = None


class ArpWatch:
    """tcpdump -l in the observer namespace: gratuitous ARPs as (time.time(), mac, ip)."""

    LINE = re.compile(
        r"^(\d+\.\d+) ([0-9a-f:]{17}) > .*Request who-has (\S+)(?: \([0-9a-f:]+\))? tell (\S+),")

    def __init__(self, lab, ns, ifname="eth0"):
        self.garps = []
        self.lock = threading.Lock()
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, "tcpdump", "-l", "-n", "-tt", "-e", "-i", ifname, "arp"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True, text=True)
        lab.watchers.append(self)
        ready = threading.Event()

        def err():
            for line in self.proc.stderr:
                if "listening on" in line:
                    ready.set()

        threading.Thread(target=err, daemon=True).start()
        threading.Thread(target=self._read, daemon=True).start()
        if not ready.wait(20):
            raise RuntimeError("tcpdump did not start")

    def _read(self):
        for line in self.proc.stdout:
            m = self.LINE.match(line)
            if m and m.group(3) == m.group(4):
                with self.lock:
                    self.garps.append((float(m.group(1)), m.group(2), m.group(3)))

    def first_after(self, t, mac, ip, timeout):
        """Time of the first GARP for `ip` from `mac` at or after `t` (waits up to timeout)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                for at, m, a in self.garps:
                    if at >= t and m == mac and a == ip:
                        return at
            time.sleep(0.005)
        return None

    def stop(self):
        if self.proc is not None:
            stop_group(self.proc)
            self.proc = None


class PcapWatch:
    """tcpdump writing pcap (nanosecond kernel timestamps) to a pipe in namespace `ns`:
    VRRP adverts (IP protocol 112) and ARP, both directions, as seen by that namespace's own
    packet tap (an outgoing frame is stamped when it is handed to the device, an incoming one
    when the device receives it). Records ("vrrp", t, src_ip, vrid, priority) and
    ("arp", t, sender_mac, sender_ip, target_ip); t is time.time() scale."""

    def __init__(self, lab, ns, ifname="eth0"):
        self.events = []
        self.lock = threading.Lock()
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, "tcpdump", "-U", "-n", "-s", "128", "-i", ifname,
             "--time-stamp-precision=nano", "-w", "-", "arp or ip proto 112"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True)
        lab.watchers.append(self)
        ready = threading.Event()

        def err():
            for line in self.proc.stderr:
                if b"listening on" in line:
                    ready.set()

        threading.Thread(target=err, daemon=True).start()
        threading.Thread(target=self._read, daemon=True).start()
        if not ready.wait(20):
            raise RuntimeError("tcpdump (pcap) did not start")

    def _exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.proc.stdout.read(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf

    def _read(self):
        head = self._exact(24)
        if head is None:
            return
        magic = struct.unpack("<I", head[:4])[0]
        endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
        magic = struct.unpack(endian + "I", head[:4])[0]
        scale = 1e-9 if magic == 0xA1B23C4D else 1e-6
        while True:
            rec = self._exact(16)
            if rec is None:
                return
            sec, frac, incl, _orig = struct.unpack(endian + "IIII", rec)
            data = self._exact(incl)
            if data is None:
                return
            ev = self.parse(sec + frac * scale, data)
            if ev is not None:
                with self.lock:
                    self.events.append(ev)

    @staticmethod
    def parse(t, f):
        """One Ethernet frame -> an event tuple, or None."""
        if len(f) < 14:
            return None
        etype = struct.unpack("!H", f[12:14])[0]
        if etype == 0x0806 and len(f) >= 42:
            mac = ":".join(f"{b:02x}" for b in f[22:28])
            return ("arp", t, mac, ".".join(map(str, f[28:32])), ".".join(map(str, f[38:42])))
        if etype == 0x0800 and len(f) >= 34 and f[23] == 112:
            ihl = (f[14] & 0x0F) * 4
            v = 14 + ihl
            if len(f) < v + 3:
                return None
            return ("vrrp", t, ".".join(map(str, f[26:30])), f[v + 1], f[v + 2])
        return None

    def snapshot(self):
        with self.lock:
            return list(self.events)

    def first_garp_after(self, t, mac, ip, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for ev in self.snapshot():
                if ev[0] == "arp" and ev[1] >= t and ev[2] == mac and ev[3] == ip \
                        and ev[4] == ip:
                    return ev[1]
            time.sleep(0.005)
        return None

    def first_advert_after(self, t, src, vrid):
        """Time of the first advert from `src` for `vrid` stamped at or after t, or None."""
        for ev in self.snapshot():
            if ev[0] == "vrrp" and ev[1] >= t and ev[2] == src and ev[3] == vrid:
                return ev[1]
        return None

    def last_advert_before(self, t, src, vrid):
        """(time, priority) of the last advert from `src` for `vrid` stamped before t."""
        best = None
        for ev in self.snapshot():
            if ev[0] == "vrrp" and ev[1] < t and ev[2] == src and ev[3] == vrid:
                best = (ev[1], ev[4])
        return best

    def stop(self):
        if self.proc is not None:
            stop_group(self.proc)
            self.proc = None


# A netlink listener run inside a namespace: prints "<time.time()> <address>" for every
# RTM_NEWADDR (IPv4) the kernel broadcasts, stamped in user space as soon as recv returns
# (netlink carries no kernel timestamp).
_ADDR_LISTENER = r"""
import socket, struct, sys, time
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
s.bind((0, 0x10))  # RTMGRP_IPV4_IFADDR
try:  # wake at once on a notification, ahead of every normal (CFS) task; it sleeps otherwise
    import os
    os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
    rt = "fifo"
except (OSError, AttributeError):
    rt = "normal"
print("ready", rt, flush=True)
while True:
    try:
        data = s.recv(1 << 16)
    except OSError:  # ENOBUFS: notifications were lost; go on with the next ones
        print("overrun", flush=True)
        continue
    now = time.time()
    off = 0
    while off + 16 <= len(data):
        ln, typ = struct.unpack_from("=IH", data, off)
        if ln < 16:
            break
        if typ == 20:  # RTM_NEWADDR
            a = off + 16 + 8
            while a + 4 <= off + ln:
                alen, atyp = struct.unpack_from("=HH", data, a)
                if alen < 4:
                    break
                if atyp in (1, 2) and alen >= 8:  # IFA_ADDRESS, IFA_LOCAL
                    print(f"{now:.6f} {socket.inet_ntoa(data[a + 4:a + 8])}", flush=True)
                    break
                a += (alen + 3) & ~3
        off += (ln + 3) & ~3
"""


class AddrWatch:
    """RTM_NEWADDR notifications in namespace `ns` as (time.time(), address), stamped by a
    listener process (SCHED_FIFO where allowed, see .policy) on receipt: an upper bound of
    the moment the address was added, late by the listener's wake-up latency."""

    def __init__(self, lab, ns):
        self.adds = []
        self.policy = "?"
        self.overruns = 0
        self.lock = threading.Lock()
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, sys.executable, "-c", _ADDR_LISTENER],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            start_new_session=True, text=True)
        lab.watchers.append(self)
        ready = threading.Event()

        def read():
            for line in self.proc.stdout:
                if line.startswith("ready"):
                    self.policy = line.split()[-1]
                    ready.set()
                    continue
                parts = line.split()
                if parts == ["overrun"]:
                    self.overruns += 1
                elif len(parts) == 2:
                    with self.lock:
                        self.adds.append((float(parts[0]), parts[1]))

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(20):
            raise RuntimeError("address listener did not start")

    def first_after(self, t, addr):
        with self.lock:
            for at, a in self.adds:
                if at >= t and a == addr:
                    return at
        return None

    def stop(self):
        if self.proc is not None:
            stop_group(self.proc, signal.SIGKILL)
            self.proc = None


class PcapFile:
    """tcpdump -w `path` in namespace `ns` (nanosecond timestamps, `snaplen` bytes a frame),
    for captures too busy to parse live; stop() returns the kernel's drop count (None if
    tcpdump did not say) and read_pcap() walks the file afterwards."""

    def __init__(self, lab, ns, path, bpf, snaplen=64, ifname="eth0"):
        self.path = path
        self.err = []
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, "tcpdump", "-n", "-s", str(snaplen), "-i", ifname,
             "-B", "8192", "--time-stamp-precision=nano", "-w", path, bpf],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True, text=True)
        lab.watchers.append(self)
        ready = threading.Event()

        def err():
            for line in self.proc.stderr:
                self.err.append(line)
                if "listening on" in line:
                    ready.set()

        self.reader = threading.Thread(target=err, daemon=True)
        self.reader.start()
        if not ready.wait(30):
            rc = self.proc.poll()
            self.stop()
            raise RuntimeError(f"tcpdump -w {path} did not start (exit {rc}): "
                               f"{''.join(self.err).strip()[-300:]}")

    def stop(self):
        if self.proc is None:
            return None
        stop_group(self.proc, wait=10)
        self.proc = None
        self.reader.join(2)
        for line in self.err:
            m = re.match(r"(\d+) packets? dropped by kernel", line)
            if m:
                return int(m.group(1))
        return None


def read_pcap(path):
    """Yields (time.time() scale, frame bytes) for every record of a pcap file."""
    with open(path, "rb") as f:
        head = f.read(24)
        if len(head) < 24:
            return
        endian = "<" if struct.unpack("<I", head[:4])[0] in (0xA1B2C3D4, 0xA1B23C4D) else ">"
        scale = 1e-9 if struct.unpack(endian + "I", head[:4])[0] == 0xA1B23C4D else 1e-6
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            sec, frac, incl, _orig = struct.unpack(endian + "IIII", rec)
            data = f.read(incl)
            if len(data) < incl:
                return
            yield sec + frac * scale, data
