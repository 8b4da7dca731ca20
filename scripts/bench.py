"""`make bench`: the HSG assistant against Rasa's default recipe, measured over REST on loopback.

For each bot, one after the other, never both at once: ours (config.yml, run the project's way:
scripts/actions_cli.py, scripts/rasa_cli.py with rasa_patches/, endpoints.yml) and the
peer: the `rasa init` recipe (bench/peer/config.yml) trained on the same data and domain and run
as Rasa comes (`python -m rasa run` and `rasa run actions` with the same actions code, Rasa's SQL
tracker store on SQLite, Rasa's REST channel):

- training time: `rasa train` from scratch (fresh --out dir and a fresh, empty Rasa training
  cache), wall time of the whole command;
- cold start: launch of the action server -> first knowledge-base answer over REST, with the
  action server started first and Rasa once it is healthy (as scripts/run.sh does);
- sequential turns: N KB questions over /webhooks/rest/webhook (p50/p95/mean), interleaved with
  the bare NLU parse of the same messages over /model/parse, and the ratio turn/parse;
- concurrency 1, 10, 20, 50: that many conversations at once, each sending M messages one after
  the other: throughput, p50/p95 and errors (non-200, empty reply, the channel's "unavailable"
  reply, exceptions, 30 s timeouts);
- peak RSS of the Rasa process and of the action server (each with its child processes), sampled
  every 100 ms over the bot's whole run, cross-checked with the kernel's VmHWM.

Prints one table (ours, peer, ours/peer, target, pass/fail of ours) and writes results/bench.json
and results/bench.png (results/bench-smoke.* with --smoke). Servers bind 127.0.0.1 only and are
always stopped (whole process group) on exit, error or Ctrl-C.

The peer's training (DIET with two transformer layers on ~3,900 examples) takes far longer than
ours: 45 minutes on the 2-core machine. It is cached in models/peer.tar.gz with its measured
time (models/peer.json), keyed on a hash of bench/peer/config.yml, the data, the domain and the
Rasa version, and reused only with --reuse-models; ours is always trained from scratch outside
--smoke (which reuses models/hsg.tar.gz and does not measure training).

Usage (PYTHONPATH=repo root, the venv's python):
    python scripts/bench.py                          # full run: trains both from scratch
    python scripts/bench.py --reuse-models           # full run, the cached peer if still valid
    python scripts/bench.py --smoke --reuse-models   # quick end-to-end check of the harness
"""
from __future__ import annotations

import argparse
import ast
import asyncio
import datetime
import hashlib
import json
import math
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # actions.kb, when run without PYTHONPATH
    sys.path.insert(0, str(ROOT))
RASA_CLI = ["scripts/rasa_cli.py"]
OURS_CONFIG = ROOT / "config.yml"
PEER_CONFIG = ROOT / "bench" / "peer" / "config.yml"
OURS_MODEL = ROOT / "models" / "hsg.tar.gz"
PEER_CACHE = ROOT / "models" / "peer.tar.gz"
PEER_CACHE_META = ROOT / "models" / "peer.json"
TRAIN_DATA = ("data/nlu", "data/rules")
DOMAIN = "domain.yml"
BOTS = ("ours", "peer")
SCHEMA_VERSION = 1

# Real patient questions that the assistant answers from the knowledge base (action_answer_topic):
# English, Vietnamese with diacritics, Vietnamese without them and with chat abbreviations.
QUESTIONS = (
    "what is hsg",
    "does the hsg test hurt?",
    "how should I prepare",
    "when in my cycle should the hsg be done",
    "can an hsg show if my tubes are blocked",
    "is the radiation from an hsg dangerous",
    "how much does an hsg cost",
    "when can we have sex after the hsg",
    "what side effects can I get after an hsg",
    "how do I book an appointment for hsg",
    "chụp hsg có đau không",
    "chụp HSG là gì",
    "trước khi chụp HSG cần chuẩn bị gì",
    "chụp HSG giá bao nhiêu",
    "bao lâu thì có kết quả chụp HSG",
    "chụp tử cung vòi trứng vào ngày nào của chu kỳ",
    "chup hsg co dau ko",
    "hsg la gi",
    "chup xong bao lau thi quan he duoc",
    "bi di ung thuoc can quang thi co chup dc ko",
    # as patients write (issue 11): a story first, several questions in one message
    "Hi, I'm 33 and we've been trying for almost two years. My doctor has booked an HSG for next "
    "week. How long does it take, and can I go back to work afterwards?",
    "My RE ordered an HSG after my second miscarriage last spring. Is the radiation safe for my eggs?",
    "Chào bác sĩ, em 30 tuổi, cưới 2 năm chưa có con, bác sĩ chỉ định chụp HSG. Cho em hỏi chụp "
    "có đau không và bao lâu thì có kết quả ạ?",
    "e 28t, bs chi dinh chup voi trung thang nay. nen chup ngay may cua chu ky, chup xong bao lau "
    "dc quan he a",
)
COLD_START_QUESTION = QUESTIONS[0]

FULL = {"turns": 200, "warmup": 20, "messages": 20, "concurrency": [1, 10, 20, 50],
        "level_timeout": 150.0}
SMOKE = {"turns": 20, "warmup": 5, "messages": 3, "concurrency": [1, 10], "level_timeout": 60.0}
REQUEST_TIMEOUT = 30.0  # seconds; a reply slower than this is an error
COLD_START_TIMEOUT = 300.0
TRAIN_TIMEOUT = 3600.0  # the peer's DIET (2 transformer layers) trains for tens of minutes
RSS_INTERVAL = 0.1
MB = 1e6  # figures in MB are 10^6 bytes


# --------------------------------------------------------------------------------------------
# Pure part: statistics, figures, targets, table, JSON (tests/test_bench.py)
# --------------------------------------------------------------------------------------------

def percentile(values: Iterable[float], p: float) -> Optional[float]:
    """The p-th percentile (0-100), linear between closest ranks (numpy's default), or None."""
    xs = sorted(float(v) for v in values)
    if not xs:
        return None
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be within 0..100, not {p}")
    k = (len(xs) - 1) * p / 100
    lo, hi = math.floor(k), math.ceil(k)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def summarize_ms(latencies_s: Sequence[float]) -> Dict[str, Any]:
    """n, p50, p95, mean and max in milliseconds of latencies given in seconds."""
    ms = [v * 1000 for v in latencies_s]
    return {
        "n": len(ms),
        "p50_ms": percentile(ms, 50),
        "p95_ms": percentile(ms, 95),
        "mean_ms": sum(ms) / len(ms) if ms else None,
        "max_ms": max(ms) if ms else None,
    }


def ratio(ours: Optional[float], peer: Optional[float]) -> Optional[float]:
    if ours is None or peer is None or peer == 0:
        return None
    return ours / peer


def meets(value: Optional[float], op: str, threshold: float) -> Optional[bool]:
    """Whether `value op threshold` holds; None when the value was not measured."""
    if value is None:
        return None
    if op == "<=":
        return value <= threshold
    if op == ">=":
        return value >= threshold
    if op == "==":
        return value == threshold
    raise ValueError(f"unknown comparison {op!r}")


def lookup(doc: Optional[Dict[str, Any]], path: str) -> Optional[float]:
    """doc["a"]["b"]... for the dotted path "a.b...", None if any part is missing."""
    node: Any = doc
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, (int, float)) and not isinstance(node, bool) else None


@dataclass(frozen=True)
class Figure:
    """One row of the table: where the value is, and the target of the issue if there is one."""

    key: str
    label: str
    unit: str
    op: Optional[str] = None  # "<=", ">=" or "=="
    threshold: Optional[float] = None
    on_ratio: bool = False  # the target applies to ours/peer instead of ours
    digits: int = 1

    @property
    def target(self) -> str:
        if self.op is None:
            return ""
        value = f"{self.threshold:g}"
        return f"ours/peer {self.op} {value}" if self.on_ratio else f"{self.op} {value}"


def figures(levels: Sequence[int]) -> List[Figure]:
    """The rows of the table for these concurrency levels; targets from the issue."""
    rows = [
        Figure("training.seconds", "training time", "s", "<=", 240),
        Figure("cold_start.total_s", "cold start -> first KB answer", "s", "<=", 30),
        Figure("sequential.turn.p50_ms", "turn p50 (sequential)", "ms", "<=", 30),
        Figure("sequential.turn.p95_ms", "turn p95 (sequential)", "ms", "<=", 60),
        Figure("sequential.turn.mean_ms", "turn mean (sequential)", "ms"),
        Figure("sequential.parse.p50_ms", "bare NLU parse p50", "ms"),
        Figure("sequential.parse.p95_ms", "bare NLU parse p95", "ms"),
        Figure("sequential.turn_over_parse_p50", "turn p50 / parse p50", "x", "<=", 1.5, digits=2),
        Figure("sequential.turn_over_parse_p95", "turn p95 / parse p95", "x", digits=2),
        Figure("sequential.kb_answer_pct", "KB answers (sequential)", "%"),
        Figure("sequential.turn_errors", "turn errors (sequential)", "", digits=0),
    ]
    for c in levels:
        target_20 = c == 20
        rows += [
            Figure(f"concurrency.{c}.throughput_msg_s", f"c={c} throughput", "msg/s",
                   ">=" if target_20 else None, 2 if target_20 else None, on_ratio=target_20),
            Figure(f"concurrency.{c}.p50_ms", f"c={c} latency p50", "ms"),
            Figure(f"concurrency.{c}.p95_ms", f"c={c} latency p95", "ms"),
            Figure(f"concurrency.{c}.error_count", f"c={c} errors", "",
                   "==" if target_20 else None, 0 if target_20 else None, digits=0),
        ]
    rows += [
        Figure("rss.rasa.peak_mb", "Rasa peak RSS", "MB", "<=", 1200, digits=0),
        Figure("rss.actions.peak_mb", "action server peak RSS", "MB", "<=", 150, digits=0),
    ]
    return rows


def build_rows(bots: Dict[str, Dict[str, Any]], levels: Sequence[int]) -> List[Dict[str, Any]]:
    """Per figure: ours, peer, ours/peer, the target and whether ours meets it (None: n/a)."""
    rows = []
    for fig in figures(levels):
        ours, peer = lookup(bots.get("ours"), fig.key), lookup(bots.get("peer"), fig.key)
        r = ratio(ours, peer)
        passed = None
        if fig.op is not None:
            passed = meets(r if fig.on_ratio else ours, fig.op, fig.threshold)
        rows.append({"key": fig.key, "figure": fig.label, "unit": fig.unit, "ours": ours,
                     "peer": peer, "ratio": r, "target": fig.target, "pass": passed,
                     "digits": fig.digits})
    return rows


def _fmt(value: Optional[float], digits: int) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}"


def format_table(rows: Sequence[Dict[str, Any]]) -> str:
    header = ("figure", "unit", "ours", "peer", "ours/peer", "target", "ours")
    lines = [header]
    for row in rows:
        verdict = {True: "PASS", False: "FAIL", None: "n/a"}[row["pass"]] if row["target"] else ""
        lines.append((row["figure"], row["unit"], _fmt(row["ours"], row["digits"]),
                      _fmt(row["peer"], row["digits"]), _fmt(row["ratio"], 2), row["target"],
                      verdict))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    right = {2, 3, 4}
    out = []
    for n, line in enumerate(lines):
        cells = [c.rjust(w) if i in right else c.ljust(w)
                 for i, (c, w) in enumerate(zip(line, widths))]
        out.append("  ".join(cells).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def target_summary(rows: Sequence[Dict[str, Any]]) -> Dict[str, List[str]]:
    summary: Dict[str, List[str]] = {"passed": [], "failed": [], "not_measured": []}
    for row in rows:
        if row["target"]:
            key = {True: "passed", False: "failed", None: "not_measured"}[row["pass"]]
            summary[key].append(row["figure"])
    return summary


# The JSON document: required keys and their types (checked before writing).
SCHEMA: Dict[str, Any] = {
    "schema_version": int,
    "mode": str,
    "settings": {"turns": int, "warmup": int, "messages": int, "concurrency": list,
                 "request_timeout_s": (int, float), "level_timeout_s": (int, float),
                 "questions": list},
    "machine": {"cpu_count": int, "python": str, "rasa": str, "date": str, "git_commit": str},
    "bots": dict,
    "rows": list,
    "targets": {"passed": list, "failed": list, "not_measured": list},
    "duration_s": (int, float),
}
BOT_SCHEMA: Dict[str, Any] = {
    "config": str,
    "error": (str, type(None)),
    "training": dict,
    "cold_start": dict,
    "sequential": dict,
    "concurrency": dict,
    "rss": dict,
}


def schema_errors(doc: Any, schema: Dict[str, Any] = SCHEMA, where: str = "") -> List[str]:
    """What is missing or of the wrong type in `doc` (empty: valid)."""
    if not isinstance(doc, dict):
        return [f"{where or 'document'}: not an object"]
    errors = []
    for key, kind in schema.items():
        path = f"{where}{key}"
        if key not in doc:
            errors.append(f"{path}: missing")
        elif isinstance(kind, dict):
            errors += schema_errors(doc[key], kind, path + ".")
        elif not isinstance(doc[key], kind) or (kind is int and isinstance(doc[key], bool)):
            errors.append(f"{path}: {type(doc[key]).__name__}, expected {kind}")
    if schema is SCHEMA and isinstance(doc.get("bots"), dict):
        for name in BOTS:
            if name not in doc["bots"]:
                errors.append(f"bots.{name}: missing")
            else:
                errors += schema_errors(doc["bots"][name], BOT_SCHEMA, f"bots.{name}.")
    return errors


def write_results(doc: Dict[str, Any], path: Path) -> None:
    """Check the document against SCHEMA, then write it as JSON (atomically)."""
    errors = schema_errors(doc)
    if errors:
        raise ValueError("results do not match the schema: " + "; ".join(errors))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n",
                   encoding="utf-8")
    tmp.replace(path)


def data_fingerprint(config: Path, extra: str = "") -> str:
    """sha256 of a config, the training data, the domain (and `extra`, e.g. the Rasa version)."""
    h = hashlib.sha256(extra.encode())
    files = [config, ROOT / DOMAIN] + sorted(
        p for d in TRAIN_DATA for p in (ROOT / d).rglob("*") if p.is_file())
    for f in files:
        h.update(str(f.relative_to(ROOT) if f.is_relative_to(ROOT) else f).encode() + b"\0")
        h.update(f.read_bytes() + b"\0")
    return h.hexdigest()


# --------------------------------------------------------------------------------------------
# Processes: start, stop (process groups), RSS sampling
# --------------------------------------------------------------------------------------------

_STARTED: List["Proc"] = []
T0 = time.monotonic()


def log(message: str) -> None:
    print(f"[{time.monotonic() - T0:6.1f}s] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Messaging channels are left out (their connectors may call the platforms): loopback only.
CHANNEL_ENV_PREFIXES = ("ZALO_", "FACEBOOK_", "TELEGRAM_")


def server_env(**extra: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(CHANNEL_ENV_PREFIXES)}
    env.update({
        "PYTHONPATH": str(ROOT),
        "PYTHONWARNINGS": "ignore::DeprecationWarning,ignore::PendingDeprecationWarning",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "RASA_TELEMETRY_ENABLED": "false",
    })
    env.update(extra)
    return env


# With util-linux's setpriv, a server gets SIGTERM if this script dies without cleaning up
# (SIGKILL): the kernel's parent-death signal survives the exec of the server.
PDEATHSIG = ["setpriv", "--pdeathsig", "TERM"] if shutil.which("setpriv") else []


class Proc:
    """A child process in its own process group, logged to a file; stop() ends the whole group."""

    def __init__(self, name: str, cmd: List[str], env: Dict[str, str], logfile: Path) -> None:
        self.name, self.logfile = name, logfile
        logfile.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(logfile, "ab")
        self.started = time.monotonic()
        self.popen = subprocess.Popen(PDEATHSIG + cmd, cwd=ROOT, env=env, stdout=self._log,
                                      stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                      start_new_session=True)
        self.pid = self.popen.pid
        _STARTED.append(self)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, chars: int = 3000) -> str:
        try:
            return self.logfile.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self, grace: float = 15.0) -> None:
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self.pid, sig)  # the group: the process and anything it started
            except (ProcessLookupError, PermissionError):
                break
            try:
                self.popen.wait(timeout=wait)
                # children that outlive the leader still belong to the group
                os.killpg(self.pid, 0)
            except subprocess.TimeoutExpired:
                continue
            except (ProcessLookupError, PermissionError):
                break
        try:
            self.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self._log.close()
        if self in _STARTED:
            _STARTED.remove(self)


def stop_all() -> None:
    for proc in list(reversed(_STARTED)):
        proc.stop(grace=5.0)


def _children(pid: int) -> List[int]:
    out: List[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(x) for x in f.read().split()]
        except OSError:
            pass
    return out


def process_tree(pid: int) -> List[int]:
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        if p not in tree:
            tree.append(p)
            todo += _children(p)
    return tree


def rss_bytes(pid: int) -> Optional[int]:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return None


def hwm_bytes(pid: int) -> Optional[int]:
    """The kernel's own peak RSS of one process (VmHWM)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None


class RssSampler(threading.Thread):
    """Every 100 ms, the summed RSS of each watched process and its descendants; keeps the peak.

    The list of descendants is refreshed every second (walking /proc/<pid>/task/*/children of a
    TensorFlow process with dozens of threads every 100 ms would itself load the machine).
    """

    def __init__(self, interval: float = RSS_INTERVAL) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.watched: Dict[str, Proc] = {}
        self.peak: Dict[str, Dict[str, Any]] = {}
        self._trees: Dict[str, List[int]] = {}
        self._stop_event = threading.Event()
        self._lock = threading.Lock()
        self.samples = 0

    def watch(self, name: str, proc: Proc) -> None:
        with self._lock:
            self.watched[name] = proc
            self._trees[name] = [proc.pid]
            self.peak[name] = {"peak_mb": 0.0, "main_peak_mb": 0.0, "max_processes": 1,
                               "main_hwm_mb": None, "pid": proc.pid}

    def hwm(self, name: str) -> None:
        """Record VmHWM of the main process: call while it is still alive."""
        with self._lock:
            value = hwm_bytes(self.watched[name].pid)
            if value is not None:
                self.peak[name]["main_hwm_mb"] = value / MB

    def run(self) -> None:
        last_tree = 0.0
        while not self._stop_event.is_set():
            now = time.monotonic()
            with self._lock:
                if now - last_tree >= 1.0:
                    for name, proc in self.watched.items():
                        self._trees[name] = process_tree(proc.pid)
                    last_tree = now
                for name, tree in self._trees.items():
                    sizes = [rss_bytes(p) for p in tree]
                    total = sum(s for s in sizes if s)
                    peak = self.peak[name]
                    peak["peak_mb"] = max(peak["peak_mb"], total / MB)
                    if sizes and sizes[0]:
                        peak["main_peak_mb"] = max(peak["main_peak_mb"], sizes[0] / MB)
                    peak["max_processes"] = max(peak["max_processes"], sum(1 for s in sizes if s))
                self.samples += 1
            self._stop_event.wait(self.interval)

    def stop(self) -> Dict[str, Dict[str, Any]]:
        self._stop_event.set()
        self.join(timeout=5)
        result = {}
        for name, peak in self.peak.items():
            # a spike between two samples of the main process shows in VmHWM
            best = max(peak["peak_mb"], peak["main_hwm_mb"] or 0.0)
            result[name] = {**peak, "peak_mb": best, "sampled_peak_mb": peak["peak_mb"],
                            "samples": self.samples, "interval_s": self.interval}
        return result


# --------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------

def rasa_version() -> str:
    from importlib.metadata import version

    return version("rasa")


def train(name: str, config: Path, out_dir: Path, logdir: Path,
          timeout: float = TRAIN_TIMEOUT) -> Tuple[Path, Dict[str, Any]]:
    """`rasa train` from scratch: fresh --out dir and an empty training cache.

    Returns the model and {seconds (wall), cpu_s (user + sys of the training process),
    loadavg_during (min, mean, max of the 1-minute load average, every 5 s)}: CPU time far
    below 2 x wall time on 2 cores, or a load average well above 2, means something else ran.
    """
    cache = Path(tempfile.mkdtemp(prefix=f"bench-cache-{name}-", dir=out_dir))
    env = server_env(RASA_CACHE_DIRECTORY=str(cache))
    cmd = [sys.executable, *RASA_CLI, "train", "--data", *TRAIN_DATA, "--domain", DOMAIN,
           "--config", str(config), "--out", str(out_dir), "--fixed-model-name", name]
    log(f"{name}: training with {config.relative_to(ROOT)} (log: {logdir / (name + '-train.log')})")
    usage0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = Proc(f"{name}-train", cmd, env, logdir / f"{name}-train.log")
    loads: List[float] = [os.getloadavg()[0]]
    try:
        deadline = proc.started + timeout
        while True:
            try:
                code = proc.popen.wait(timeout=5)
                break
            except subprocess.TimeoutExpired:
                loads.append(os.getloadavg()[0])
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name}: training took more than {timeout:.0f}s") from None
    finally:
        seconds = time.monotonic() - proc.started
        proc.stop()
        shutil.rmtree(cache, ignore_errors=True)
    usage1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    model = out_dir / f"{name}.tar.gz"
    if code != 0 or not model.exists():
        raise RuntimeError(f"{name}: training failed (exit {code}):\n{proc.tail()}")
    log(f"{name}: trained in {seconds:.1f}s (CPU {cpu:.0f}s, load average "
        f"{min(loads):.2f}..{max(loads):.2f})")
    return model, {"seconds": seconds, "cpu_s": cpu, "loadavg_during": {
        "min": min(loads), "mean": sum(loads) / len(loads), "max": max(loads)}}


def peer_model(args: argparse.Namespace, work: Path, logdir: Path) -> Tuple[Path, Dict[str, Any]]:
    """The peer model: trained now, or with --reuse-models the cached one if still valid."""
    key = data_fingerprint(PEER_CONFIG, extra="rasa " + rasa_version())
    if args.reuse_models and PEER_CACHE.exists() and PEER_CACHE_META.exists():
        meta = json.loads(PEER_CACHE_META.read_text())
        if meta.get("fingerprint") == key:
            log(f"peer: reusing {PEER_CACHE.relative_to(ROOT)} (same config, data and Rasa); "
                f"its training time is the one measured on {meta.get('trained_at')}")
            return PEER_CACHE, {**meta, "source": "cache", "model": str(PEER_CACHE)}
        log("peer: cached model is stale (config, data or Rasa changed): training")
    model, measured = train("peer", PEER_CONFIG, work, logdir, args.train_timeout)
    trained_at = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    meta = {"fingerprint": key, **measured, "trained_at": trained_at,
            "cpu_count": os.cpu_count()}
    PEER_CACHE.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(model, PEER_CACHE)
    PEER_CACHE_META.write_text(json.dumps(meta, indent=2) + "\n")
    return model, {**meta, "source": "trained", "model": str(model)}


def ours_model(args: argparse.Namespace, work: Path, logdir: Path) -> Tuple[Path, Dict[str, Any]]:
    if args.smoke:
        if not OURS_MODEL.exists():
            raise RuntimeError(f"{OURS_MODEL} missing: make train")
        log(f"ours: smoke mode, reusing {OURS_MODEL.relative_to(ROOT)} (training not measured)")
        return OURS_MODEL, {"seconds": None, "source": "reused", "model": str(OURS_MODEL)}
    model, measured = train("ours", OURS_CONFIG, work, logdir, args.train_timeout)
    return model, {**measured, "source": "trained", "model": str(model)}


# --------------------------------------------------------------------------------------------
# Talking to the bot
# --------------------------------------------------------------------------------------------

class Replies:
    """Tells a knowledge-base answer and the channel's "cannot process" reply from other replies."""

    def __init__(self) -> None:
        from actions.kb import load_kb

        kb = load_kb(ROOT / "data" / "kb")
        self.kb_answers = {t.answer[lang].strip() for t in kb.topics.values() for lang in t.answer}
        # several questions in one message: each is answered with its topic's brief answer
        self.kb_briefs = {t.brief[lang].strip() for t in kb.topics.values() for lang in t.brief}
        self.unavailable = {text.strip() for text in unavailable_texts().values()}

    def classify(self, status: int, body: Any) -> str:
        """"kb", "other" (a valid non-KB reply) or the kind of error."""
        if status != 200:
            return f"http_{status}"
        if not isinstance(body, list) or not body:
            return "empty_reply"
        texts = {str(m.get("text", "")).strip() for m in body if isinstance(m, dict)}
        if texts & self.unavailable:
            return "unavailable_reply"
        if texts & self.kb_answers or any(t.endswith(b) for t in texts for b in self.kb_briefs):
            return "kb"
        return "other"


OK_KINDS = ("kb", "other")


def unavailable_texts(path: Path = ROOT / "channels" / "rest.py") -> Dict[str, str]:
    """The REST channel's "cannot process" replies (UNAVAILABLE_TEXTS with the hospital's hotline),
    read from its source: importing the module would load Rasa and TensorFlow into this client
    process."""
    from actions.hospital import hospital

    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and getattr(node.targets[0], "id", None) == "UNAVAILABLE_TEXTS"):
            return {language: hospital().fill(text, language)
                    for language, text in ast.literal_eval(node.value).items()}
    raise RuntimeError(f"UNAVAILABLE_TEXTS not found in {path}")


async def _post(session: Any, url: str, payload: Dict[str, Any]) -> Tuple[float, int, Any]:
    """(latency s, status, JSON body) of one POST; the latency includes reading the body."""
    t0 = time.perf_counter()
    async with session.post(url, json=payload) as response:
        body = await response.json(content_type=None)
        status = response.status
    return time.perf_counter() - t0, status, body


async def _turn(session: Any, base: str, sender: str, text: str,
                replies: Replies) -> Tuple[float, str]:
    import aiohttp

    t0 = time.perf_counter()
    try:
        latency, status, body = await _post(session, f"{base}/webhooks/rest/webhook",
                                            {"sender": sender, "message": text})
        return latency, replies.classify(status, body)
    except asyncio.TimeoutError:
        return time.perf_counter() - t0, "timeout"
    except (aiohttp.ClientError, ValueError) as e:
        return time.perf_counter() - t0, f"exception_{type(e).__name__}"


async def _parse(session: Any, base: str, text: str) -> Tuple[float, str]:
    import aiohttp

    t0 = time.perf_counter()
    try:
        latency, status, body = await _post(session, f"{base}/model/parse", {"text": text})
    except asyncio.TimeoutError:
        return time.perf_counter() - t0, "timeout"
    except (aiohttp.ClientError, ValueError) as e:
        return time.perf_counter() - t0, f"exception_{type(e).__name__}"
    if status != 200:
        return latency, f"http_{status}"
    if not isinstance(body, dict) or not (body.get("intent") or {}).get("name"):
        return latency, "no_intent"
    return latency, "ok"


def _session(limit: int) -> Any:
    import aiohttp

    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=limit),
        timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT))


def _count(kinds: Iterable[str]) -> Dict[str, int]:
    counts: Dict[str, int] = {}
    for kind in kinds:
        counts[kind] = counts.get(kind, 0) + 1
    return counts


async def sequential(base: str, replies: Replies, turns: int, warmup: int,
                     questions: Sequence[str] = QUESTIONS, pool: int = 10) -> Dict[str, Any]:
    """Warm-up, then `turns` REST turns interleaved with the bare parse of the same messages.

    Senders rotate over `pool` conversations; turn and parse alternate which goes first, so
    neither gets a systematically warmer or quieter machine.
    """
    run = uuid.uuid4().hex[:8]
    async with _session(4) as session:
        for i in range(warmup):
            q = questions[i % len(questions)]
            await _turn(session, base, f"warmup-{run}-{i % pool}", q, replies)
            await _parse(session, base, q)
        turn_lat, turn_kinds, parse_lat, parse_kinds = [], [], [], []
        cpu0 = time.process_time()
        for i in range(turns):
            q = questions[i % len(questions)]
            sender = f"seq-{run}-{i % pool}"
            steps = ("turn", "parse") if i % 2 == 0 else ("parse", "turn")
            for step in steps:
                if step == "turn":
                    latency, kind = await _turn(session, base, sender, q, replies)
                    turn_lat.append(latency)
                    turn_kinds.append(kind)
                else:
                    latency, kind = await _parse(session, base, q)
                    parse_lat.append(latency)
                    parse_kinds.append(kind)
        client_cpu = time.process_time() - cpu0
    ok_turns = [lat for lat, k in zip(turn_lat, turn_kinds) if k in OK_KINDS]
    ok_parses = [lat for lat, k in zip(parse_lat, parse_kinds) if k == "ok"]
    turn, parse = summarize_ms(ok_turns), summarize_ms(ok_parses)
    per_question = {}
    for n, q in enumerate(questions):
        kinds = turn_kinds[n::len(questions)]
        per_question[q] = {"kb": kinds.count("kb"), "turns": len(kinds)}
    return {
        "turn": turn, "parse": parse,
        "turn_over_parse_p50": ratio(turn["p50_ms"], parse["p50_ms"]),
        "turn_over_parse_p95": ratio(turn["p95_ms"], parse["p95_ms"]),
        "kb_answer_pct": 100 * turn_kinds.count("kb") / len(turn_kinds) if turn_kinds else None,
        "turn_kinds": _count(turn_kinds), "parse_kinds": _count(parse_kinds),
        "turn_errors": sum(1 for k in turn_kinds if k not in OK_KINDS),
        "parse_errors": sum(1 for k in parse_kinds if k != "ok"),
        "per_question": per_question, "client_cpu_s": client_cpu,
        "raw_turn_ms": [round(v * 1000, 3) for v in turn_lat],
        "raw_parse_ms": [round(v * 1000, 3) for v in parse_lat],
    }


async def concurrent(base: str, replies: Replies, conversations: int, messages: int,
                     level_timeout: float, questions: Sequence[str] = QUESTIONS) -> Dict[str, Any]:
    """`conversations` conversations at once, each sending `messages` messages one after another.

    A conversation stops sending once `level_timeout` has passed (those messages count as
    not sent, and the level as truncated); throughput = replies received / wall time.
    """
    run = uuid.uuid4().hex[:8]
    results: List[Tuple[float, str]] = []
    not_sent = 0
    start = time.perf_counter()
    deadline = start + level_timeout

    async def conversation(n: int) -> None:
        nonlocal not_sent
        for i in range(messages):
            if time.perf_counter() > deadline:
                not_sent += messages - i
                return
            q = questions[(n * 7 + i) % len(questions)]
            results.append(await _turn(session, base, f"c{conversations}-{run}-{n}", q, replies))

    cpu0 = time.process_time()
    async with _session(conversations + 2) as session:
        start = time.perf_counter()
        deadline = start + level_timeout
        await asyncio.gather(*(conversation(n) for n in range(conversations)))
        wall = time.perf_counter() - start
    client_cpu = time.process_time() - cpu0
    kinds = [k for _, k in results]
    ok = [lat for lat, k in results if k in OK_KINDS]
    summary = summarize_ms(ok)
    errors = {k: v for k, v in _count(kinds).items() if k not in OK_KINDS}
    return {
        "conversations": conversations, "messages_each": messages,
        "sent": len(results), "ok": len(ok), "not_sent": not_sent, "truncated": not_sent > 0,
        "wall_s": wall, "throughput_msg_s": len(ok) / wall if wall > 0 else None,
        "p50_ms": summary["p50_ms"], "p95_ms": summary["p95_ms"], "mean_ms": summary["mean_ms"],
        "max_ms": summary["max_ms"],
        "error_count": sum(errors.values()), "errors": errors,
        "kb_answer_pct": 100 * kinds.count("kb") / len(kinds) if kinds else None,
        "client_cpu_s": client_cpu,
        "raw_ms": [round(lat * 1000, 3) for lat, _ in results],
    }


def wait_http(url: str, proc: Proc, seconds: float) -> float:
    """Seconds from the process launch until `url` answers 200."""
    import requests

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited (code {proc.popen.returncode}):\n{proc.tail()}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return time.monotonic() - proc.started
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} not up after {seconds:.0f}s:\n{proc.tail()}")


def first_answer(base: str, proc: Proc, replies: Replies) -> Dict[str, Any]:
    """Poll the REST channel with a KB question until it answers from the knowledge base."""
    import requests

    deadline = proc.started + COLD_START_TIMEOUT
    http_up = first_reply = None
    non_kb = 0
    while time.monotonic() < deadline:
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited (code {proc.popen.returncode}):\n{proc.tail()}")
        try:
            r = requests.post(f"{base}/webhooks/rest/webhook", timeout=REQUEST_TIMEOUT,
                              json={"sender": "cold-start", "message": COLD_START_QUESTION})
        except requests.RequestException:
            time.sleep(0.1)
            continue
        now = time.monotonic() - proc.started
        http_up = http_up if http_up is not None else now
        try:
            body = r.json()
        except ValueError:
            body = None
        kind = replies.classify(r.status_code, body)
        if kind in OK_KINDS and first_reply is None:
            first_reply = now
        if kind == "kb":
            return {"rasa_http_up_s": http_up, "rasa_first_reply_s": first_reply,
                    "rasa_first_answer_s": now, "answered_from_kb": True}
        if kind == "other":
            non_kb += 1
            if non_kb >= 5:  # the model is up but does not answer this from the KB
                return {"rasa_http_up_s": http_up, "rasa_first_reply_s": first_reply,
                        "rasa_first_answer_s": None, "answered_from_kb": False,
                        "reply": body}
        time.sleep(0.1)
    raise RuntimeError(f"no answer from Rasa after {COLD_START_TIMEOUT:.0f}s:\n{proc.tail()}")


def bench_bot(name: str, model: Path, config: Path, args: argparse.Namespace, work: Path,
              logdir: Path, replies: Replies) -> Dict[str, Any]:
    """Start the action server and Rasa for one bot, measure everything, always stop them."""
    result: Dict[str, Any] = {"cold_start": {}, "sequential": {}, "concurrency": {}, "rss": {}}
    actions_port, rasa_port = free_port(), free_port()
    env = server_env(ACTION_ENDPOINT_URL=f"http://127.0.0.1:{actions_port}/webhook",
                     TRACKER_SQLITE_PATH=str(work / f"{name}-tracker.db"))
    sampler = RssSampler()
    actions = rasa = None
    base = f"http://127.0.0.1:{rasa_port}"
    if name == "ours":
        # the project's runtime, as `make run` starts it: rasa_sdk alone for the actions,
        # scripts/rasa_cli.py (masked logs, rasa_patches/), its endpoints and channels
        actions_cmd = [sys.executable, "scripts/actions_cli.py", "--actions", "actions"]
        rasa_cmd = [sys.executable, *RASA_CLI]
        endpoints = work / f"{name}-endpoints.yml"
        credentials = work / f"{name}-credentials.yml"
        for script, out in (("credentials.py", credentials), ("endpoints.py", endpoints)):
            subprocess.run([sys.executable, f"scripts/{script}", str(out)], cwd=ROOT,
                           env=env, check=True, stdout=subprocess.DEVNULL)
    else:
        # Rasa as it comes: its own CLI, SQL tracker store on SQLite, its REST channel
        actions_cmd = [sys.executable, "-m", "rasa", "run", "actions", "--actions", "actions"]
        rasa_cmd = [sys.executable, "-m", "rasa"]
        endpoints, credentials = work / f"{name}-endpoints.yml", work / f"{name}-credentials.yml"
        endpoints.write_text(
            f"action_endpoint:\n  url: http://127.0.0.1:{actions_port}/webhook\n"
            f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {work / (name + '-tracker.db')}\n"
            "lock_store:\n  type: in_memory\n", encoding="utf-8")
        credentials.write_text("rest:\n", encoding="utf-8")
    try:
        sampler.start()
        log(f"{name}: starting the action server on 127.0.0.1:{actions_port}")
        actions = Proc(f"{name}-actions", [*actions_cmd, "--port", str(actions_port)],
                       {**env, "SANIC_HOST": "127.0.0.1"},  # rasa_sdk's bind address
                       logdir / f"{name}-actions.log")
        sampler.watch("actions", actions)
        actions_ready = wait_http(f"http://127.0.0.1:{actions_port}/health", actions, 120)
        log(f"{name}: action server healthy after {actions_ready:.1f}s; starting Rasa on "
            f"127.0.0.1:{rasa_port} with {model.name}")
        rasa = Proc(f"{name}-rasa",
                    [*rasa_cmd, "run", "--model", str(model),
                     "--endpoints", str(endpoints), "--credentials", str(credentials),
                     "--port", str(rasa_port), "--interface", "127.0.0.1", "--enable-api"],
                    env, logdir / f"{name}-rasa.log")
        sampler.watch("rasa", rasa)
        cold = first_answer(base, rasa, replies)
        cold["actions_ready_s"] = actions_ready
        cold["total_s"] = (rasa.started + cold["rasa_first_answer_s"] - actions.started
                           if cold["rasa_first_answer_s"] is not None else None)
        result["cold_start"] = cold
        if cold["total_s"] is None:
            log(f"{name}: WARNING Rasa replies but not from the KB to {COLD_START_QUESTION!r}: "
                f"{cold.get('reply')}")
        else:
            log(f"{name}: first KB answer {cold['total_s']:.1f}s after launch "
                f"(Rasa: HTTP up {cold['rasa_http_up_s']:.1f}s, answer "
                f"{cold['rasa_first_answer_s']:.1f}s)")

        log(f"{name}: sequential: {args.warmup} warm-up, then {args.turns} turns + "
            f"{args.turns} bare parses")
        seq = asyncio.run(sequential(base, replies, args.turns, args.warmup))
        result["sequential"] = seq
        log(f"{name}: turn p50 {_fmt(seq['turn']['p50_ms'], 1)} ms, p95 "
            f"{_fmt(seq['turn']['p95_ms'], 1)} ms; parse p50 {_fmt(seq['parse']['p50_ms'], 1)} ms; "
            f"KB answers {_fmt(seq['kb_answer_pct'], 0)}%, errors {seq['turn_errors']}")

        for c in args.concurrency:
            log(f"{name}: {c} concurrent conversations x {args.messages} messages")
            level = asyncio.run(concurrent(base, replies, c, args.messages, args.level_timeout))
            result["concurrency"][str(c)] = level
            log(f"{name}: c={c}: {_fmt(level['throughput_msg_s'], 1)} msg/s, p50 "
                f"{_fmt(level['p50_ms'], 1)} ms, p95 {_fmt(level['p95_ms'], 1)} ms, errors "
                f"{level['error_count']} {level['errors'] or ''}"
                + (f", TRUNCATED ({level['not_sent']} not sent)" if level["truncated"] else ""))
            time.sleep(1)
        for proc_name in ("rasa", "actions"):
            sampler.hwm(proc_name)
        for proc_name, proc in (("rasa", rasa), ("actions", actions)):
            if not proc.alive():
                raise RuntimeError(f"{proc.name} died during the run:\n{proc.tail()}")
    finally:
        result["rss"] = sampler.stop()
        for proc in (rasa, actions):
            if proc is not None:
                proc.stop()
        log(f"{name}: servers stopped; peak RSS Rasa "
            f"{_fmt(lookup(result, 'rss.rasa.peak_mb'), 0)} MB, action server "
            f"{_fmt(lookup(result, 'rss.actions.peak_mb'), 0)} MB")
    return result


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------

def machine_info() -> Dict[str, Any]:
    def read(path: str) -> str:
        try:
            return Path(path).read_text()
        except OSError:
            return ""

    def git(*cmd: str) -> str:
        try:
            return subprocess.run(["git", *cmd], cwd=ROOT, capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    cpu_model = next((line.split(":", 1)[1].strip() for line in read("/proc/cpuinfo").splitlines()
                      if line.startswith("model name")), platform.processor())
    mem = next((int(line.split()[1]) * 1024 for line in read("/proc/meminfo").splitlines()
                if line.startswith("MemTotal:")), None)
    from importlib.metadata import PackageNotFoundError, version

    def pkg(name: str) -> Optional[str]:
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    return {
        "cpu_count": os.cpu_count() or 0,
        "cpu_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": cpu_model,
        "memory_mb": mem / MB if mem else None,
        "loadavg_start": list(os.getloadavg()),
        "python": platform.python_version(),
        "rasa": pkg("rasa") or "",
        "rasa_sdk": pkg("rasa-sdk"),
        "tensorflow": pkg("tensorflow") or pkg("tensorflow-cpu"),
        "platform": platform.platform(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


def plot(doc: Dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter

    levels = doc["settings"]["concurrency"]
    fig, (lat_ax, tput_ax) = plt.subplots(1, 2, figsize=(11, 4.2))
    colours = {"ours": "tab:blue", "peer": "tab:orange"}
    for bot in BOTS:
        conc = doc["bots"][bot].get("concurrency", {})
        xs = [c for c in levels if str(c) in conc]
        if not xs:
            continue
        get = lambda key: [conc[str(c)][key] for c in xs]  # noqa: E731
        label = "ours" if bot == "ours" else "peer (rasa init)"
        lat_ax.plot(xs, get("p50_ms"), "o-", color=colours[bot], label=f"{label} p50")
        lat_ax.plot(xs, get("p95_ms"), "s--", color=colours[bot], label=f"{label} p95")
        tput_ax.plot(xs, get("throughput_msg_s"), "o-", color=colours[bot], label=label)
    lat_ax.set(xlabel="concurrent conversations", ylabel="turn latency (ms, log)",
               title="Latency vs concurrency")
    lat_ax.set_yscale("log")
    lat_ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    lat_ax.yaxis.set_major_formatter(ScalarFormatter())
    lat_ax.yaxis.set_minor_formatter(NullFormatter())
    tput_ax.set(xlabel="concurrent conversations", ylabel="messages / s",
                title="Throughput vs concurrency")
    tput_ax.set_ylim(bottom=0, top=max(tput_ax.get_ylim()[1] * 1.1, 1))
    for ax in (lat_ax, tput_ax):
        if len(levels) > 1 and min(levels) > 0:
            ax.set_xscale("log")
        ax.set_xticks(levels)
        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.grid(True, alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    m = doc["machine"]
    fig.suptitle(f"HSG assistant vs Rasa default recipe ({doc['mode']}, {m['cpu_count']} CPUs, "
                 f"Rasa {m['rasa']}, {m['date'][:10]}, {m['git_commit'][:8]})", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true",
                   help="tiny counts, reuse models/hsg.tar.gz for ours (training not measured)")
    p.add_argument("--reuse-models", action="store_true",
                   help="reuse models/peer.tar.gz (and the training time measured with it) if "
                   "the peer config, data and Rasa version match; ours is always trained from "
                   "scratch outside --smoke")
    p.add_argument("--turns", type=int, help="sequential turns (full 200, smoke 20)")
    p.add_argument("--warmup", type=int, help="warm-up turns (full 20, smoke 5)")
    p.add_argument("--messages", type=int, help="messages per conversation (full 20, smoke 3)")
    p.add_argument("--concurrency", type=lambda s: [int(x) for x in s.split(",")],
                   help="comma-separated levels (full 1,10,20,50, smoke 1,10)")
    p.add_argument("--level-timeout", type=float,
                   help="seconds per concurrency level, then it stops sending (full 150, smoke 60)")
    p.add_argument("--train-timeout", type=float, default=TRAIN_TIMEOUT,
                   help=f"seconds per training (default {TRAIN_TIMEOUT:.0f})")
    p.add_argument("--only", choices=BOTS, help="benchmark one bot only (the other is n/a)")
    p.add_argument("--out", type=Path, help="results JSON (default results/bench.json, "
                   "results/bench-smoke.json with --smoke); the PNG goes next to it")
    p.add_argument("--strict", action="store_true", help="exit 1 if a target of ours fails")
    args = p.parse_args(argv)
    defaults = SMOKE if args.smoke else FULL
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.out is None:
        args.out = ROOT / "results" / ("bench-smoke.json" if args.smoke else "bench.json")
    return args


def _on_sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    signal.signal(signal.SIGHUP, _on_sigterm)
    started = time.monotonic()
    machine = machine_info()
    log(f"bench ({'smoke' if args.smoke else 'full'}): {machine['cpu_count']} CPUs, load average "
        f"{machine['loadavg_start'][0]:.2f}, Rasa {machine['rasa']}, commit "
        f"{machine['git_commit'][:8]}{' (dirty)' if machine['git_dirty'] else ''}")
    if machine["loadavg_start"][0] > 0.5:
        log("WARNING the machine is busy (load average > 0.5): figures will be noisy")
    logdir = args.out.parent / (args.out.stem + "-logs")
    shutil.rmtree(logdir, ignore_errors=True)
    logdir.mkdir(parents=True)
    bots: Dict[str, Dict[str, Any]] = {
        name: {"config": str(cfg.relative_to(ROOT)), "error": None, "training": {},
               "cold_start": {}, "sequential": {}, "concurrency": {}, "rss": {}}
        for name, cfg in (("ours", OURS_CONFIG), ("peer", PEER_CONFIG))}
    work = Path(tempfile.mkdtemp(prefix="hsg-bench-"))
    try:
        replies = Replies()
        selected = [b for b in BOTS if args.only in (None, b)]
        models: Dict[str, Path] = {}
        # 1. training, one after the other (nothing else running)
        for name in selected:
            try:
                model, training = (ours_model if name == "ours" else peer_model)(args, work, logdir)
                models[name] = model
                bots[name]["training"] = training
            except RuntimeError as e:
                bots[name]["error"] = f"training: {e}"
                log(f"{name}: ERROR {e}")
        # 2. serving, one bot at a time
        for name in selected:
            if name not in models:
                continue
            try:
                cfg = OURS_CONFIG if name == "ours" else PEER_CONFIG
                bots[name].update(bench_bot(name, models[name], cfg, args, work, logdir, replies))
            except RuntimeError as e:
                bots[name]["error"] = f"serving: {e}"
                log(f"{name}: ERROR {e}")
    finally:
        stop_all()
        shutil.rmtree(work, ignore_errors=True)

    machine["loadavg_end"] = list(os.getloadavg())
    rows = build_rows(bots, args.concurrency)
    summary = target_summary(rows)
    doc = {
        "schema_version": SCHEMA_VERSION,
        "mode": "smoke" if args.smoke else "full",
        "settings": {"turns": args.turns, "warmup": args.warmup, "messages": args.messages,
                     "concurrency": args.concurrency, "request_timeout_s": REQUEST_TIMEOUT,
                     "level_timeout_s": args.level_timeout, "rss_interval_s": RSS_INTERVAL,
                     "questions": list(QUESTIONS), "cold_start_question": COLD_START_QUESTION,
                     "only": args.only},
        "machine": machine,
        "bots": bots,
        "rows": rows,
        "targets": summary,
        "duration_s": time.monotonic() - started,
    }
    write_results(doc, args.out)
    png = args.out.with_suffix(".png")
    plot(doc, png)

    print()
    print(format_table(rows))
    print()
    print(f"targets of ours: {len(summary['passed'])} pass, {len(summary['failed'])} fail"
          + (f" ({', '.join(summary['failed'])})" if summary["failed"] else "")
          + (f", {len(summary['not_measured'])} not measured" if summary["not_measured"] else ""))
    for name in BOTS:
        training = bots[name]["training"]
        if training.get("source") == "cache":
            load = training.get("loadavg_during")
            print(f"{name}: model and training time from the cache, measured on "
                  f"{training.get('trained_at')}"
                  + (f" (CPU {training['cpu_s']:.0f}s; load average {load['min']:.2f}.."
                     f"{load['max']:.2f})" if isinstance(load, dict) and "cpu_s" in training
                     else ""))
        elif training.get("source") == "reused":
            print(f"{name}: model reused from {Path(training['model']).name}: "
                  "training not measured")
    for name in BOTS:
        if bots[name]["error"]:
            print(f"{name}: ERROR {bots[name]['error'].splitlines()[0]}")
    print(f"load average {machine['loadavg_start'][0]:.2f} at start, "
          f"{machine['loadavg_end'][0]:.2f} at end; took {doc['duration_s']:.0f}s")
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}, "
          f"{png.name}; server logs in {logdir}")
    if any(bots[name]["error"] for name in BOTS if args.only in (None, name)):
        return 1
    return 1 if args.strict and summary["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
