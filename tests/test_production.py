"""The production profile for real: `scripts/prod.sh` with 2 Rasa replicas on the machine's
PostgreSQL and Redis, behind nginx. Bounded, loopback only. Skipped when PostgreSQL, Redis or
nginx are not there (`make unit` installs nginx; CI machines run PostgreSQL and Redis)."""
import json
import os
import shutil
import signal
import socket
import subprocess
import time

import pytest
import requests

from tests.conftest import ROOT
from tests.live import MODEL, _free_port

HOTLINE = "1900 232 389"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)


def _reachable(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


pytestmark = [
    pytest.mark.skipif(not MODEL.exists(), reason="needs a trained model: make train"),
    pytest.mark.skipif(not (_reachable(5432) and _reachable(6379)), reason="needs PostgreSQL and Redis"),
    pytest.mark.skipif(NGINX is None, reason="needs nginx: make nginx"),
]


def psql(sql: str, db: str = "postgres") -> str:
    return subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-Atc", sql],
                          capture_output=True, text=True, check=True).stdout.strip()


FACEBOOK = {"FACEBOOK_VERIFY_TOKEN": "prod-verify", "FACEBOOK_APP_SECRET": "prod-app-secret",
            "FACEBOOK_PAGE_ACCESS_TOKEN": "prod-page-token"}


@pytest.fixture(scope="module")
def fake_platform():
    """A local fake of Facebook's Graph API, which the replicas' Messenger channel calls."""
    from tests.fakes import FakeApi

    with FakeApi() as api:
        yield api


@pytest.fixture(scope="module")
def prod(tmp_path_factory, fake_platform):
    base = _free_port()
    env = {**os.environ, "PATH": os.environ["PATH"] + ":/usr/sbin",
           **FACEBOOK, "FACEBOOK_GRAPH_URL": fake_platform.url + "/v12.0",
           "PROD_TRUSTED_PROXIES": "127.0.0.1",  # the "hospital's proxy" of the test below
           "PROD_DIR": str(tmp_path_factory.mktemp("prod")), "PROD_PORT": str(_free_port()),
           "PROD_RASA_BASE_PORT": str(base), "PROD_ACTIONS_PORT": str(_free_port()),
           "TRACKER_DB_NAME": f"hsg_test_{os.getpid()}", "REDIS_DB": "3"}
    # the replica ports are base+1, base+2: make sure they are free too
    for port in (base + 1, base + 2):
        assert not _reachable(port)
    script = [str(ROOT / "scripts" / "prod.sh")]
    subprocess.run(script + ["up"], cwd=ROOT, env=env, check=True, timeout=300)
    yield {**env, "replicas": [f"http://127.0.0.1:{base + i}" for i in (1, 2)]}
    subprocess.run(script + ["down"], cwd=ROOT, env=env, timeout=60)
    time.sleep(1)
    psql(f"drop database if exists {env['TRACKER_DB_NAME']}")


def say(url: str, sender: str, text: str):
    return requests.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60)


def public(prod) -> str:
    return f"http://127.0.0.1:{prod['PROD_PORT']}"


def test_one_conversation_across_replicas_stays_coherent(prod, kb):
    messages = ["hello", "what is hsg", "does it hurt", "chup hsg co dau ko", "/hsg_timing", "thanks"]
    for i, text in enumerate(messages):
        reply = say(prod["replicas"][i % 2], "alternating", text)
        assert reply.status_code == 200 and reply.json(), (text, reply.text)
    rows = psql("select type_name, data::json->>'text' from events where sender_id = 'alternating' "
                "order by id", prod["TRACKER_DB_NAME"]).splitlines()
    said = [r.split("|", 1)[1] for r in rows if r.startswith("user|")]
    assert said == messages  # every message stored once, in order
    # the disclaimer was shown once, by whichever replica answered first
    bot = [r.split("|", 1)[1] for r in rows if r.startswith("bot|")]
    assert sum("not a diagnosis" in b for b in bot) == 1
    # the button tap after a Vietnamese message is answered in Vietnamese: the slot travelled
    assert kb.topics["hsg_timing"].answer["vi"] in bot
    timestamps = psql("select timestamp from events where sender_id = 'alternating' order by id",
                      prod["TRACKER_DB_NAME"]).splitlines()
    assert [float(t) for t in timestamps] == sorted(float(t) for t in timestamps)


def test_delete_my_data_removes_the_conversation_for_every_replica(prod):
    """Asked on one replica, confirmed on the other: nothing of it is left in PostgreSQL, and
    neither replica answers from the deleted conversation (a new one starts)."""
    first, second = prod["replicas"]
    assert say(first, "forget-pg", "em 36 tuổi, chụp hsg có đau không").status_code == 200
    assert say(second, "forget-pg", "delete my data").json()[-1]["buttons"][0]["payload"] == "/affirm"
    assert say(first, "forget-pg", "/affirm").status_code == 200
    count = "select count(*) from events where sender_id = 'forget-pg'"
    assert psql(count, prod["TRACKER_DB_NAME"]) == "0"
    for replica in (first, second):
        replies = say(replica, "forget-pg", "hello").json()
        assert sum("not a diagnosis" in r.get("text", "") for r in replies) <= 1
    said = psql("select data::json->>'text' from events where sender_id = 'forget-pg' and type_name = 'user'",
                prod["TRACKER_DB_NAME"]).splitlines()
    assert said == ["hello", "hello"]


def test_nginx_is_the_only_public_address(prod):
    assert requests.get(public(prod) + "/", timeout=10).status_code == 200
    for path in ("/status", "/version", "/conversations/alternating/tracker", "/model/parse"):
        assert requests.get(public(prod) + path, timeout=10).status_code == 404
    too_big = requests.post(public(prod) + "/webhooks/rest/webhook", data=b"x" * 100_000,
                            headers={"Content-Type": "application/json"}, timeout=10)
    assert too_big.status_code == 413


def _client_from(ip: str) -> requests.Session:
    """A session whose connections come from `ip` (a loopback address): one simulated patient."""
    from requests.adapters import HTTPAdapter

    class SourceAdapter(HTTPAdapter):
        def init_poolmanager(self, *args, **kwargs):
            kwargs["source_address"] = (ip, 0)
            super().init_poolmanager(*args, **kwargs)

    session = requests.Session()
    session.mount("http://", SourceAdapter())
    return session


def test_load_50_conversations_of_20_messages_through_nginx(prod):
    """Each conversation comes from its own loopback address, as patients come from their own."""
    from concurrent.futures import ThreadPoolExecutor

    questions = ["hello", "what is hsg", "does it hurt", "chup hsg co dau ko", "how do i prepare",
                 "/hsg_timing", "is spotting normal after hsg", "how much is it", "thanks", "bye"] * 2
    url = public(prod) + "/webhooks/rest/webhook"

    def conversation(i):
        client = _client_from(f"127.0.1.{i + 1}")
        failures = []
        for text in questions:
            reply = client.post(url, json={"sender": f"load-{i}", "message": text}, timeout=120)
            if reply.status_code != 200 or not reply.json():
                failures.append((text, reply.status_code, reply.text[:100]))
        return failures

    started = time.time()
    with ThreadPoolExecutor(50) as pool:
        failures = [f for result in pool.map(conversation, range(50)) for f in result]
    elapsed = time.time() - started
    assert failures == []
    counts = psql("select sender_id, count(*) filter (where type_name = 'user'), "
                  "count(*) filter (where type_name = 'bot') from events "
                  "where sender_id like 'load-%' group by 1", prod["TRACKER_DB_NAME"]).splitlines()
    assert len(counts) == 50
    for row in counts:
        sender, users, bots = row.split("|")
        assert int(users) == 20 and int(bots) >= 20, row
    print(f"\nload: 50 conversations x 20 messages = 1000 answered, 0 errors, "
          f"{elapsed:.1f} s, {1000 / elapsed:.1f} messages/s through nginx; events complete in PostgreSQL")


def test_action_server_stopped_mid_run_then_back(prod, kb):
    import sys

    pidfile = os.path.join(prod["PROD_DIR"], "actions.pid")
    os.kill(int(open(pidfile).read()), signal.SIGTERM)
    time.sleep(1)
    for i, text in enumerate(["what is hsg", "chup hsg co dau ko", "how do i prepare"]):
        replies = say(public(prod), f"no-actions-{i}", text).json()
        assert any(HOTLINE in r.get("text", "") for r in replies), replies
    log = open(os.path.join(prod["PROD_DIR"], "actions-restarted.log"), "wb")
    process = subprocess.Popen(
        [sys.executable, "scripts/actions_cli.py", "--actions", "actions",
         "--port", prod["PROD_ACTIONS_PORT"]], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        env={k: v for k, v in prod.items() if k != "replicas"})
    open(pidfile, "w").write(str(process.pid))  # so that `prod.sh down` stops it
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{prod['PROD_ACTIONS_PORT']}/health", timeout=2).ok:
                break
        except requests.RequestException:
            time.sleep(0.5)
    replies = say(public(prod), "no-actions-0", "what is hsg").json()
    assert kb.topics["hsg_definition"].answer["en"] in [r.get("text") for r in replies]


@pytest.mark.skipif(not shutil.which("pg_ctlcluster") or not os.path.isdir("/etc/postgresql"),
                    reason="needs Debian's pg_ctlcluster to restart PostgreSQL")
def test_postgresql_restart_mid_run_loses_nothing(prod):
    import threading

    version = sorted(os.listdir("/etc/postgresql"))[-1]
    results = []

    def talk():
        for i in range(30):
            reply = say(public(prod), "db-restart", "what is hsg" if i % 2 else "does it hurt")
            results.append((reply.status_code, reply.json() if reply.status_code == 200 else reply.text))
            time.sleep(0.25)

    talker = threading.Thread(target=talk)
    talker.start()
    time.sleep(2)
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
                   check=True, timeout=120)
    talker.join()
    assert all(code == 200 and body for code, body in results), results
    users = psql("select count(*) from events where sender_id = 'db-restart' and type_name = 'user'",
                 prod["TRACKER_DB_NAME"])
    disclaimers = psql("select count(*) from events where sender_id = 'db-restart' and type_name = 'bot' "
                       "and data like '%not a diagnosis%'", prod["TRACKER_DB_NAME"])
    # every turn stored, and the conversation never started over (one disclaimer)
    assert (int(users), int(disclaimers)) == (30, 1)
    # the conversations of the earlier tests are all still there
    assert int(psql("select count(distinct sender_id) from events where sender_id like 'load-%'",
                    prod["TRACKER_DB_NAME"])) == 50


def test_a_killed_replica_leaves_the_other_serving(prod):
    pidfile = os.path.join(prod["PROD_DIR"], "rasa-1.pid")
    pid = int(open(pidfile).read())
    os.kill(pid, signal.SIGKILL)
    # until its port refuses connections: a request nginx sends while it dies is reset, and a
    # POST already sent is not retried (as on any crash). The leader thread turns zombie before
    # the other threads have closed the process's files, so its state does not tell.
    port = int(prod["replicas"][0].rsplit(":", 1)[1])
    deadline = time.time() + 10
    while _reachable(port):
        assert time.time() < deadline
        time.sleep(0.05)
    for i in range(8):
        reply = say(public(prod), f"after-kill-{i}", "what is hsg")
        assert reply.status_code == 200 and reply.json(), reply.text


def test_behind_a_trusted_proxy_nginx_sees_the_patients_address(prod):
    """From the trusted proxy (127.0.0.1 here), X-Forwarded-For names the patient; from any
    other address the header is ignored."""
    url = public(prod) + "/webhooks/rest/webhook"
    assert requests.post(url, json={"sender": "via-proxy", "message": "hi"}, timeout=60,
                         headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 200
    assert _client_from("127.0.1.200").post(url, json={"sender": "spoof", "message": "hi"}, timeout=60,
                                             headers={"X-Forwarded-For": "198.51.100.9"}).status_code == 200
    log = open(os.path.join(prod["PROD_DIR"], "nginx-access.log")).read()
    assert "203.0.113.7 " in log and "198.51.100.9" not in log and "127.0.1.200 " in log


def test_conversations_sharing_one_address_are_answered_and_a_flooding_one_is_throttled(prod):
    """Issue 13: 20 patients behind one address (a carrier NAT, the hospital's Wi-Fi) are all
    answered; one conversation sending 60 messages at once is throttled (429 with Retry-After)
    while another conversation from the same address is answered."""
    from concurrent.futures import ThreadPoolExecutor

    url = public(prod) + "/webhooks/rest/webhook"
    questions = ["hello", "what is hsg", "does it hurt", "chup hsg co dau ko", "thanks"]

    def patient(i):
        return [requests.post(url, json={"sender": f"nat-{i}", "message": text}, timeout=120).status_code
                for text in questions]

    with ThreadPoolExecutor(20) as pool:
        codes = [code for codes in pool.map(patient, range(20)) for code in codes]
    assert codes == [200] * 100, codes

    with ThreadPoolExecutor(30) as pool:
        flood = list(pool.map(lambda i: requests.post(
            url, json={"sender": "flood", "message": "hi"}, timeout=120), range(60)))
    codes = [r.status_code for r in flood]
    # the burst of 20 per conversation, once per replica, passes; the rest is refused
    assert codes.count(429) >= 60 - 2 * 20 - 10 and set(codes) <= {200, 429}, codes
    assert all(int(r.headers["Retry-After"]) >= 1 for r in flood if r.status_code == 429)
    calm = requests.post(url, json={"sender": "calm", "message": "does hsg hurt"}, timeout=120)
    assert calm.status_code == 200 and calm.json()


def test_signed_messenger_webhooks_are_not_limited_per_address(prod, fake_platform):
    """Every Messenger call comes from Facebook's few addresses: 60 signed calls for 30 patients
    at once all get 200 and every patient is answered; a flooding patient's extra messages are
    dropped, still with 200 (a platform disables a webhook that fails)."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.test_channels import messenger_event
    from channels.messenger import hub_signature

    url = public(prod) + "/webhooks/facebook/webhook"

    def post(event):
        body = json.dumps(event).encode()
        return requests.post(url, data=body, timeout=120, headers={
            "Content-Type": "application/json",
            "X-Hub-Signature-256": hub_signature(FACEBOOK["FACEBOOK_APP_SECRET"], body)}).status_code

    events = [messenger_event(f"fb-nat-{i % 30}", "chup hsg co dau ko") for i in range(60)]
    with ThreadPoolExecutor(20) as pool:
        assert list(pool.map(post, events)) == [200] * 60
    for i in range(30):
        assert fake_platform.sent_to(f"fb-nat-{i}", 2)
    with ThreadPoolExecutor(20) as pool:
        assert set(pool.map(post, [messenger_event("fb-flood", "hi")] * 60)) == {200}
    time.sleep(2)
    stored = int(psql("select count(*) from events where sender_id = 'fb-flood' and type_name = 'user'",
                      prod["TRACKER_DB_NAME"]))
    assert 20 <= stored <= 2 * 20 + 10, stored  # the burst (once per replica) answered, the rest dropped
