"""Fault injection (issue 10): ≥ 1,000 submissions through the gateway, real processes, real
RabbitMQ and PostgreSQL, while the system is hurt — a demandes and a notifier process killed
with SIGKILL mid-flow then started again (as a supervisor would), every database connection of
the system terminated (pg_terminate_backend), the broker restarted (stop_app / start_app of the
suite's own node), one poison event — then a drain and a Jepsen-style check (fault_checker.py):

- every submission the gateway confirmed is exactly one submitted request with a unique number,
  one per Idempotency-Key (the driver retries a 503 or a silence with the same key);
- exactly one confirmation e-mail (NO-8) per submitted request: 0 lost, 0 duplicated;
- the dead-letter queues hold the poison message and nothing else;
- the gateway answered 200 or 503, never a 500, never nothing for 30 s;
- every process that was not killed is the one started at the beginning, ready again: each
  service reconnected to the broker and the database by itself.

Run alone (two cores, a whole system and a load of its own):
    python -m pytest tests/faults -m faults -s
"""
from __future__ import annotations

import os
import re
import signal
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from email import policy
from email.parser import BytesHeaderParser

import psycopg2
import pytest
import requests
from kombu import Connection

from consignations_shared.dead_letters import inspect_queue, service_dead_letter_queues
from consignations_shared.events import new_envelope
from e2e_helpers import rows, sign_up_company, wait_for
from fault_checker import Observed, Outage, check, table
from fault_driver import Client, Driver, sample_rib

pytestmark = [pytest.mark.faults, pytest.mark.timeout(600)]

REQUESTS = int(os.environ.get("FAULTS_REQUESTS", "1000"))
PEOPLE = int(os.environ.get("FAULTS_PEOPLE", "12"))  # one company each, one driver thread each
SUBMISSION_DEADLINE = 240.0  # seconds for the whole submission phase
SUBMITTED_SUBJECT = "a bien été transmise"
POISON_QUEUE = "notifier.on_demande_submitted"


# --- the faults -------------------------------------------------------------------------------

def service_ready(system, name) -> bool:
    try:
        return requests.get(system.service_url(name) + "/health/ready", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def kill_and_restart(system, name) -> str:
    """kill -9 mid-flow, then started again (what a supervisor does); until it is ready."""
    killed = system.processes[name].pid
    system.stop(name, signal.SIGKILL)
    started = time.monotonic()
    system.start(name)
    assert wait_for(lambda: service_ready(system, name), timeout=60), f"{name} not ready after its restart"
    return f"pid {killed} killed; pid {system.processes[name].pid} ready {time.monotonic() - started:.1f} s later"


def terminate_connections(system, rounds=3, pause=1.0) -> str:
    """pg_terminate_backend of every connection to the system's own databases (the cluster, used by
    others, keeps running), a few times: connections reopened in between are cut again."""
    from consignations_shared.testing import PG_ADMIN_DSN

    names = [url.rsplit("/", 1)[1] for url in system.database_urls.values()]
    terminated = []
    for round_ in range(rounds):
        connection = psycopg2.connect(PG_ADMIN_DSN)
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                               "WHERE datname = ANY(%s) AND pid <> pg_backend_pid()", (names,))
                terminated.append(cursor.fetchone()[0])
        finally:
            connection.close()
        if round_ < rounds - 1:
            time.sleep(pause)
    return f"connections terminated: {' + '.join(map(str, terminated))}"


def restart_broker(system, broker, down_for=5.0) -> str:
    started = time.monotonic()
    broker.stop_app()
    stopped = time.monotonic()
    time.sleep(down_for)
    broker.start_app()
    back = time.monotonic()
    try:
        system.wait_ready(timeout=90)  # the gateway pings every service: each reconnected by itself
    except AssertionError:
        dump_stacks(system)
        raise
    return (f"broker down {back - stopped:.1f} s (stop_app took {stopped - started:.1f} s); every service "
            f"ready again {time.monotonic() - back:.1f} s after start_app")


def dump_stacks(system) -> None:
    """Every service logs the stacks of its green threads (runner.dump_green_threads): what a
    service that did not come back was waiting on, in the logs the failure points to."""
    asked = {}
    for name, process in system.processes.items():
        if name != "gateway" and process.poll() is None:
            asked[name] = len(system.log_text(name))
            os.kill(process.pid, signal.SIGUSR1)
    # each logged its stacks (runner.dump_green_threads: « N green threads: ») — or, stuck for
    # good, did not within the bound: the report is written either way
    wait_for(lambda: all("green threads:" in system.log_text(name)[offset:] for name, offset in asked.items()),
             timeout=10)


def publish_poison(amqp_uri) -> str:
    """A well-formed envelope whose payload breaks the contract (no number): the notifier fails
    on it every time, retries it, then parks it in the queue's DLQ."""
    poison = new_envelope("demande_submitted", {"demande_id": "poison", "procedure_label": "Poison",
                                                "owner_person_id": str(uuid.uuid4())}, source="demandes")
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        connection.Producer().publish(poison.to_dict(), exchange="", routing_key=POISON_QUEUE, serializer="json",
                                      delivery_mode=2, message_id=poison.event_id, retry=True)
    return poison.event_id


class Faults(threading.Thread):
    """Injects the faults one after the other, each once the load has reached its share, so each
    falls in the middle of the load. Until a fault is over, the driver keeps RESERVE of the
    submissions for it and for each fault still to come: load remains after every fault, the
    proof that the system recovered from it."""

    RESERVE = 0.05

    def __init__(self, system, broker, driver):
        super().__init__(daemon=True, name="faults")
        self.system, self.broker, self.driver = system, broker, driver
        self.outages: list[Outage] = []
        self.poison_event_id = ""
        self.error: BaseException | None = None
        self.schedule = [
            (0.06, "kill -9 demandes", lambda: kill_and_restart(system, "demandes")),
            (0.16, "kill -9 notifier", lambda: kill_and_restart(system, "notifier")),
            (0.26, "pg_terminate_backend x3", lambda: terminate_connections(system)),
            (0.36, "broker stop_app / start_app", lambda: restart_broker(system, broker)),
            (0.50, "poison event", self._poison),
            (0.60, "pg_terminate_backend + kill -9 notifier",
             lambda: terminate_connections(system, rounds=1) + "; " + kill_and_restart(system, "notifier")),
        ]

    def _poison(self) -> str:
        self.poison_event_id = publish_poison(self.system.env["AMQP_URI"])
        return f"event {self.poison_event_id} put on {POISON_QUEUE}"

    def run(self):
        total, count = self.driver.total, len(self.schedule)
        try:
            for index, (share, name, inject) in enumerate(self.schedule):
                self.driver.limit = int((1 - self.RESERVE * (count - index)) * total)
                while self.driver.succeeded < share * total:
                    if not self.driver.running():
                        raise AssertionError(f"the load ended before the fault « {name} »")
                    time.sleep(0.05)
                outage = Outage(name, self.driver.now())
                self.outages.append(outage)
                outage.detail = inject() or ""
                outage.end = self.driver.now()
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            self.driver.limit = total


# --- what the system holds at the end --------------------------------------------------------------

def confirmation_emails(system, owners: dict[str, str]):
    """(request number -> e-mails, e-mails to another address than the request's owner)."""
    found, wrong = Counter(), 0
    folder = system.outbox / "email"
    headers = BytesHeaderParser(policy=policy.default)
    for path in folder.glob("*.eml") if folder.exists() else ():
        message = headers.parsebytes(path.read_bytes())
        if SUBMITTED_SUBJECT not in str(message["Subject"]):
            continue
        number = re.search(r"n° (10\d{13})", str(message["Subject"])).group(1)
        found[number] += 1
        if owners.get(number) not in (None, str(message["To"])):
            wrong += 1
    return found, wrong


def observe(system, driver, poison_event_id) -> Observed:
    demandes = system.database_urls["demandes"]
    ids = [s.demande_id for s in driver.submissions]
    requests_ = {r.id: (r.number, r.state) for r in rows(
        demandes, "SELECT id, number, state FROM requests WHERE id = ANY(:ids)", ids=ids)}
    keys: dict[str, list[str]] = {}
    for r in rows(demandes, "SELECT key, request_id FROM submission_keys WHERE key LIKE :prefix",
                  prefix=f"faults-{driver.run_id}-%"):
        keys.setdefault(r.key, []).append(r.request_id)
    transitions = Counter(r.request_id for r in rows(
        demandes, "SELECT request_id FROM request_transitions WHERE to_state = 'SUBMITTED' "
                  "AND request_id = ANY(:ids)", ids=ids))
    events = Counter(r.demande_id for r in rows(
        demandes, "SELECT body->'payload'->>'demande_id' AS demande_id FROM outbox "
                  "WHERE routing_key = 'demandes.demande_submitted'"))
    unpublished = rows(demandes, "SELECT count(*) FROM outbox WHERE published_at IS NULL")[0][0]
    owners = {s.number: s.email for s in driver.submissions if s.number}
    emails, wrong = confirmation_emails(system, owners)
    number_of_event = {r.event_id: r.number for r in rows(
        demandes, "SELECT event_id, body->'payload'->>'number' AS number FROM outbox "
                  "WHERE routing_key = 'demandes.demande_submitted'")}
    notifications = Counter()  # request number -> deliveries recorded as sent
    for r in rows(system.database_urls["notifier"], "SELECT notification_id FROM delivery_attempts "
                  "WHERE kind = 'demande_submitted' AND status = 'sent'"):
        notifications[number_of_event.get(r.notification_id, r.notification_id)] += 1
    dead_letters = {}
    for uri, name in service_dead_letter_queues(system.env):
        queue = inspect_queue(uri, name, limit=50)
        dead_letters[name] = [letter.event_id for letter in queue.messages] + \
            ["?"] * max(0, (queue.count or 0) - len(queue.messages))
    return Observed(requests=requests_, keys=keys, submitted_transitions=transitions, submitted_events=events,
                    unpublished_events=unpublished, emails=emails, emails_to_wrong_person=wrong,
                    notifications=notifications, dead_letters=dead_letters, poison_event_id=poison_event_id,
                    poison_queue=POISON_QUEUE)


# --- the run --------------------------------------------------------------------------------------

def prepare_people(system, count):
    def person(index):
        email = f"faults-{index}-{uuid.uuid4().hex[:6]}@faults.example.com"
        password = sign_up_company(system, email, company=f"SOCIETE {index} SAS")
        client = Client(system.base_url, email, password)

        def account_open():  # accounts opens it when identity's events reach it
            try:
                return client.login().http.get(system.url("/api/me/profile"), timeout=10).status_code == 200
            except requests.RequestException:
                return False

        assert wait_for(account_open, timeout=60), f"no account for {email}"
        return client

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(person, range(count)))


def prepare_drafts(clients, total) -> dict[int, list[str]]:
    rib = sample_rib()
    shares = {i: total // len(clients) + (1 if i < total % len(clients) else 0) for i in range(len(clients))}

    def drafts_of(index):
        client, company = clients[index], f"SOCIETE {index} SAS"
        first = client.prepare_draft(company, rib)
        return [first] + [client.prepare_draft(company, rib, model=first) for _ in range(shares[index] - 1)]

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        return dict(enumerate(pool.map(drafts_of, range(len(clients)))))


def test_submissions_survive_crashes_outages_and_a_poison_event(system, own_broker):
    started = time.monotonic()
    clients = prepare_people(system, PEOPLE)
    people_at = time.monotonic()
    drafts = prepare_drafts(clients, REQUESTS)
    drafts_at = time.monotonic()
    pids = {name: process.pid for name, process in system.processes.items()}

    driver = Driver(clients, drafts, deadline=SUBMISSION_DEADLINE)
    faults = Faults(system, own_broker, driver)
    driver.start()
    faults.start()
    driver.join()
    load_ended = driver.now()
    faults.join(timeout=120)
    submitted_at = time.monotonic()

    confirmed = sum(1 for s in driver.submissions if s.number)

    def drained():
        pending = rows(system.database_urls["demandes"], "SELECT count(*) FROM outbox WHERE published_at IS NULL")
        sent = rows(system.database_urls["notifier"], "SELECT count(*) FROM notifications "
                    "WHERE kind = 'demande_submitted' AND status = 'sent'")
        return pending[0][0] == 0 and sent[0][0] >= confirmed

    wait_for(drained, timeout=90)
    wait_for(lambda: inspect_queue(system.env["AMQP_URI"], POISON_QUEUE + ".dlq").count, timeout=30)
    seen = observe(system, driver, faults.poison_event_id)
    report = check(driver.submissions, driver.replies, faults.outages, seen)
    ended = time.monotonic()
    report.counts["faults injected"] = len(faults.outages)
    print(table(report, faults.outages))
    print(f"logs of the processes: {system.logs}; of the broker: {own_broker.root / 'log'}")
    print(f"timings: people {people_at - started:.0f} s, drafts {drafts_at - people_at:.0f} s, "
          f"submissions {submitted_at - drafts_at:.0f} s, drain and check {ended - submitted_at:.0f} s")

    assert faults.error is None, f"fault injection failed: {faults.error!r}"
    assert [o.name for o in faults.outages] == [name for _, name, _ in faults.schedule]
    assert all(o.end is not None and o.end < load_ended for o in faults.outages), "a fault outlived the load"
    assert all(report.confirmed_after.values())  # the load went on after each fault
    assert report.replies_by_outage["broker stop_app / start_app"].get("503"), "no submission met the broker outage"
    assert len(driver.submissions) >= 1000 or REQUESTS < 1000
    # No service was restarted by hand but the ones killed: each came back by itself.
    survivors = {name: pid for name, pid in pids.items() if name not in ("demandes", "notifier")}
    assert {name: system.processes[name].pid for name in survivors} == survivors
    assert all(system.processes[name].poll() is None for name in system.processes)
    system.wait_ready(timeout=30)
    assert not report.problems, "\n".join(report.problems)
