"""Stand-ins for the services behind the gateway, shared by its unit tests (conftest.py and the
modules that answer more than one thing)."""
from consignations_shared.errors import Unauthenticated


class FakeRpc:
    """Resolves the test's bearer tokens to people and answers every other call with `answer`
    (or raises it), recording the calls; `respond` is what a subclass changes."""

    def __init__(self, sessions: dict, answer=None):
        self.sessions = sessions
        self.calls = []
        self.answer = answer

    def call(self, service, method, *args, correlation_id=None, **kwargs):
        if (service, method) == ("identity", "resolve_session"):
            if args[0] not in self.sessions:
                raise Unauthenticated()
            return {"session_id": "s1", "csrf_hash": "-", "person": self.sessions[args[0]]}
        self.calls.append((service, method, args))
        return self.respond(service, method, *args)

    def respond(self, service, method, *args):
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer


class AnswersByMethod:
    """Answers each RPC with `answers[method]` (or raises it), every call recorded as
    (service, method, args): the pages' tests, which need many answers at once."""

    def __init__(self, answers: dict):
        self.calls = []
        self.answers = answers

    def call(self, service, method, *args, correlation_id=None, **kwargs):
        self.calls.append((service, method, args))
        answer = self.answers[method]
        if isinstance(answer, BaseException):
            raise answer
        return answer
