"""The load of the fault suite: people submitting prepared drafts through the gateway, each
submission with its own Idempotency-Key, retried with the same key after a 503 or no answer.

Every reply the gateway gives (or does not give within CLIENT_TIMEOUT: a hang) is recorded with
its time, so the checker can tell what happened during each fault."""
from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field

import requests

from documents_service import samples

CLIENT_TIMEOUT = 30.0  # seconds without an answer: a hang
RETRY_PAUSE = 0.3  # between two attempts of the same submission
# gunicorn closes a kept-alive connection idle for 2 s (its `keepalive`): a request sent on it at
# that moment meets a closed socket, a race of HTTP keep-alive, not an answer of the gateway
IDLE_CONNECTION = 1.0
IBAN, BIC = "FR7630006000011234567890189", "BNPAFRPPXXX"
PROCEDURE = "SAISIE_IMMO_D"  # the cheapest path: one form, one required document (the RIB)


@dataclass
class Reply:
    key: str
    attempt: int
    at: float  # seconds since the driver's start
    elapsed: float
    status: int | None  # None: no HTTP answer
    error: str = ""  # "hang" (no answer within CLIENT_TIMEOUT), "connection", or the body of an unexpected status


@dataclass
class Submission:
    key: str
    demande_id: str
    email: str
    person_id: str
    number: str | None = None
    attempts: int = 0
    gave_up: str = ""  # why the driver stopped before a success


@dataclass
class Client:
    """One person at their browser: a session of their own (requests.Session is per thread)."""

    base_url: str
    email: str
    password: str
    http: requests.Session = field(default_factory=requests.Session)
    person_id: str = ""
    last_request: float = 0.0

    def login(self) -> "Client":
        reply = self.http.post(self.base_url + "/api/login", json={"email": self.email, "password": self.password},
                               timeout=CLIENT_TIMEOUT)
        reply.raise_for_status()
        self.person_id = reply.json()["person"]["id"]
        self.http.headers["X-CSRF-Token"] = reply.json()["csrf_token"]
        return self

    def post(self, path, **kwargs):
        return self.http.post(self.base_url + path, timeout=CLIENT_TIMEOUT, **kwargs)

    def put(self, path, **kwargs):
        return self.http.put(self.base_url + path, timeout=CLIENT_TIMEOUT, **kwargs)

    def prepare_draft(self, company: str, rib: bytes, model: str | None = None) -> str:
        """A draft ready to submit: informations complete, the RIB attached and « Validé ». With
        `model` (a draft of this person's), « Dupliquer » gives the informations in one call.
        Preparing is not what the suite tests: a busy gateway's 503, or a kept-alive connection
        the gateway closed as it was reused, starts a fresh draft over."""
        for _ in range(5):
            try:
                return self._prepare_draft(company, rib, model)
            except (Unavailable, requests.ConnectionError):
                self.http.close()
                time.sleep(1)
        raise AssertionError(f"no draft prepared for {self.email}: the gateway kept answering 503")

    def _prepare_draft(self, company, rib, model):
        if model:
            demande_id = _expect(self.post(f"/api/demandes/{model}/duplicate"), 201)["id"]
        else:
            demande_id = _expect(self.post("/api/demandes", json={"procedure_code": PROCEDURE}), 201)["id"]
            _expect(self.put(f"/api/demandes/{demande_id}/informations", json={"complete": True, "values": {
                "company_name": company, "legal_form": "SAS", "account_holder": company, "iban": IBAN,
                "bic": BIC}}), 200)
        uploaded = _expect(self.post("/api/documents", files={"file": ("rib.pdf", rib, "application/pdf")},
                                     data={"owner_service": "demandes", "owner_id": demande_id, "kind": "RIB"}), 201)
        _expect(self.post(f"/api/documents/{uploaded['id']}/attach"), 200)
        return demande_id


class Unavailable(Exception):
    pass


def _expect(reply, status) -> dict:
    if reply.status_code == 503:
        raise Unavailable()
    assert reply.status_code == status, reply.text
    return reply.json()


class Driver:
    """Each client submits its drafts, one after the other, all clients at once, until every one
    succeeded or `deadline` (seconds) passed. `limit` holds back submissions not begun yet (the
    fault injector keeps some load for after each fault)."""

    def __init__(self, clients: list[Client], drafts: dict[int, list[str]], deadline: float):
        self.clients = clients
        self.drafts = drafts  # client index -> draft ids
        self.total = sum(len(ids) for ids in drafts.values())
        self.deadline = deadline
        self.replies: list[Reply] = []
        self.submissions: list[Submission] = []
        self.succeeded = 0
        self.limit = self.total
        self.t0 = time.monotonic()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.run_id = uuid.uuid4().hex[:8]

    def running(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    def now(self) -> float:
        return time.monotonic() - self.t0

    def start(self) -> None:
        self.t0 = time.monotonic()
        for index, client in enumerate(self.clients):
            thread = threading.Thread(target=self._run, args=(client, self.drafts[index]), daemon=True,
                                      name=f"driver-{index}")
            thread.start()
            self._threads.append(thread)

    def join(self) -> None:
        for thread in self._threads:
            thread.join()

    def _record(self, reply: Reply) -> None:
        with self._lock:
            self.replies.append(reply)

    def _run(self, client: Client, draft_ids: list[str]) -> None:
        for demande_id in draft_ids:
            while True:
                with self._lock:
                    if len(self.submissions) < self.limit:
                        submission = Submission(key=f"faults-{self.run_id}-{demande_id}", demande_id=demande_id,
                                                email=client.email, person_id=client.person_id)
                        self.submissions.append(submission)
                        break
                if self.now() > self.deadline:
                    return
                time.sleep(0.05)
            self._submit(client, submission)

    def _submit(self, client: Client, submission: Submission) -> None:
        path = f"/api/demandes/{submission.demande_id}/submit"
        while True:
            if time.monotonic() - self.t0 > self.deadline:
                submission.gave_up = "deadline"
                return
            if time.monotonic() - client.last_request > IDLE_CONNECTION:
                client.http.close()  # not a kept-alive connection the gateway may be closing right now
            submission.attempts += 1
            started = time.monotonic()
            status, error, body = None, "", None
            try:
                answer = client.post(path, headers={"Idempotency-Key": submission.key})
                status = answer.status_code
                if status == 200:
                    body = answer.json()
                elif status != 503:
                    error = answer.text[:300]
            except requests.Timeout:
                error = "hang"
            except requests.ConnectionError as exc:
                error = f"connection: {exc}"[:300]
            client.last_request = time.monotonic()
            self._record(Reply(submission.key, submission.attempts, started - self.t0,
                               client.last_request - started, status, error))
            if status == 200:
                submission.number = body["number"]
                with self._lock:
                    self.succeeded += 1
                return
            if status is not None and status < 500 and status != 429:
                submission.gave_up = f"HTTP {status}"  # a refusal: retrying the same key cannot help
                return
            time.sleep(RETRY_PAUSE)  # 503, 500, no answer: the same key again


def sample_rib() -> bytes:
    return samples.pdf(text="RIB")
