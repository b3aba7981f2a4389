"""Scale-out (issue 10): a second demandes and a second notifier process consume the same RPC and
event queues as the first ones (competing consumers). Submissions through the gateway are shared
between the two demandes processes, their confirmation e-mails between the two notifiers, and
every request still has exactly one number and one e-mail."""
import re
import subprocess
import uuid
from pathlib import Path

import pytest
import requests

from consignations_shared.testing import logged_http_address
from e2e_helpers import Browser, emails_to, sign_up_company, wait_account, wait_for
from test_demandes import file_saisie

ROOT = Path(__file__).resolve().parents[2]
REQUESTS = 12
SUBMITTED_SUBJECT = "a bien été transmise"


def counter(metrics_url, name, **labels):
    """The sum of a Prometheus counter's samples matching `labels` (0 when absent)."""
    text = requests.get(metrics_url, timeout=5).text
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


@pytest.fixture
def second_instances(system):
    """demandes-2 and notifier-2: the Procfile's commands, the same broker and databases, their own
    health/metrics port."""
    started = {}
    offsets = {}
    for name in ("demandes", "notifier"):
        env = {**system.env, f"{name.upper()}_HTTP_ADDRESS": "127.0.0.1:0"}  # the OS chooses, it logs
        log = open(system.logs / f"{name}-2.log", "ab")
        offsets[name] = log.tell()
        started[name] = subprocess.Popen(system.commands[name], env=env, stdout=log, stderr=subprocess.STDOUT,
                                         cwd=ROOT)
    started = {name: (process, "http://" + logged_http_address(system.logs / f"{name}-2.log", process, offsets[name]))
               for name, process in started.items()}
    for process, url in started.values():
        wait_for(lambda: _ready(url), timeout=60)
    yield {name: url for name, (process, url) in started.items()}
    for process, _ in started.values():
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def _ready(url):
    try:
        return requests.get(url + "/health/ready", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def test_two_instances_share_the_work_without_duplicate_effects(system, second_instances):
    email = f"scale-{uuid.uuid4().hex[:8]}@scale.example.com"
    client = wait_account(Browser(system, email, sign_up_company(system, email)))
    first = {"demandes": system.service_url("demandes") + "/metrics",
             "notifier": system.service_url("notifier") + "/metrics"}
    second = {name: url + "/metrics" for name, url in second_instances.items()}

    def submits(url):
        return counter(url, "consignations_requests_total", entrypoint="submit", outcome="ok")

    def rpc_calls(url):  # every RPC of the requests' life (drafts, steps, rights, submission)
        return counter(url, "consignations_requests_total", kind="rpc", outcome="ok") - \
            counter(url, "consignations_requests_total", entrypoint="ping")

    def confirmations(url):
        return counter(url, "consignations_requests_total", entrypoint="on_demande_submitted", outcome="ok")

    before = (submits(first["demandes"]), submits(second["demandes"]),
              confirmations(first["notifier"]), confirmations(second["notifier"]),
              rpc_calls(first["demandes"]), rpc_calls(second["demandes"]))
    numbers = [file_saisie(client)["number"] for _ in range(REQUESTS)]
    assert len(set(numbers)) == REQUESTS

    assert wait_for(lambda: len(emails_to(system, email, SUBMITTED_SUBJECT)) >= REQUESTS, timeout=30)
    mails = emails_to(system, email, SUBMITTED_SUBJECT)
    mailed = [re.search(r"n° (10\d{13})", str(m["Subject"])).group(1) for m in mails]
    assert sorted(mailed) == sorted(numbers)  # one e-mail each, none twice

    by_first, by_second = submits(first["demandes"]) - before[0], submits(second["demandes"]) - before[1]
    sent_first = confirmations(first["notifier"]) - before[2]
    sent_second = confirmations(second["notifier"]) - before[3]
    calls_first, calls_second = rpc_calls(first["demandes"]) - before[4], rpc_calls(second["demandes"]) - before[5]
    # Each submission is handled once, by either process (round robin puts the same step of each
    # request on the same process, so the split shows over all the requests' calls).
    assert by_first + by_second == REQUESTS, (by_first, by_second)
    assert calls_first > 0 and calls_second > 0, (calls_first, calls_second)
    assert sent_first + sent_second == REQUESTS and sent_first > 0 and sent_second > 0, (sent_first, sent_second)
    print(f"demandes RPCs: {calls_first:.0f} + {calls_second:.0f} (submissions {by_first:.0f} + {by_second:.0f}); "
          f"confirmation e-mails: {sent_first:.0f} + {sent_second:.0f}")
