"""schemathesis against the gateway's OpenAPI document (issue 10): generated requests for every
operation, as nobody, as a company Administrateur and as a gestionnaire (bearer sessions), with
the path parameters naming real resources of the person's own (so the successful answers are
checked too). Checks: no server error (5xx), and every answer documented — status code,
content type, headers and body schema. Fixed seed, no example database: reproducible.

The number of generated cases is printed; together the three runs make well over 1,000."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from security_helpers import bearer, company, invite, staff_message, submitted

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance," \
         "response_schema_conformance"
SEED = 20261123
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@pytest.fixture(scope="module")
def fuzz(world):
    """A company of its own for schemathesis to play with (nothing else of the suite is touched):
    two transmitted requests (one for the client's run, one for the gestionnaire's), each with
    its RIB and a gestionnaire's message."""
    admin = company(world.system, "fuzz")
    member = invite(admin, {"fuzz_utilisateur": "UTILISATEUR"})["fuzz_utilisateur"]
    agent = world.people["gestionnaire"]
    client_demande, client_rib = submitted(admin)
    staff_demande, staff_rib = submitted(admin)
    return {
        "client": {"token": bearer(world.system, admin.email, admin.password), "parameters": {
            "path.demande_id": client_demande, "path.document_id": client_rib,
            "path.message_id": staff_message(agent, client_demande), "path.person_id": member.person_id,
            "query.owner_id": client_demande}},
        "gestionnaire": {"token": bearer(world.system, agent.email, agent.password), "parameters": {
            "path.demande_id": staff_demande, "path.document_id": staff_rib,
            "path.message_id": staff_message(agent, staff_demande), "path.person_id": member.person_id,
            "query.owner_id": staff_demande}},
    }


def run(system, tmp_path, label, token=None, parameters=None, max_examples=5, extra=()):
    config = tmp_path / f"{label}.toml"
    config.write_text("[parameters]\n" + "".join(f'"{k}" = "{v}"\n' for k, v in (parameters or {}).items()))
    command = [str(SCHEMATHESIS), "--config-file", str(config), "run", system.url("/api/openapi.yaml"),
               "--url", system.base_url, "--checks", CHECKS, "--seed", str(SEED), "--max-examples", str(max_examples),
               "--generation-database", "none", "--no-color", "--workers", "2", "--request-timeout", "30",
               "--phases", "examples,coverage,fuzzing", *extra]
    if token:
        # The session would end with the run's first logout: the bearer stays valid for the whole run.
        command += ["--header", f"Authorization: Bearer {token}", "--exclude-path", "/api/logout"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    output = done.stdout + done.stderr
    (tmp_path / f"{label}.log").write_text(output)
    generated = re.search(r"(\d+) generated", output)
    cases = int(generated.group(1)) if generated else 0
    print(f"schemathesis as {label}: {cases} generated cases, exit code {done.returncode}")
    assert done.returncode == 0, output[-6000:]
    return cases


def test_schemathesis_finds_no_server_error_and_no_schema_violation(world, fuzz, tmp_path):
    system = world.system
    cases = run(system, tmp_path, "anonymous", max_examples=5)
    cases += run(system, tmp_path, "administrateur", fuzz["client"]["token"], fuzz["client"]["parameters"])
    cases += run(system, tmp_path, "gestionnaire", fuzz["gestionnaire"]["token"], fuzz["gestionnaire"]["parameters"],
                 extra=("--include-tag", "backoffice", "--include-tag", "documents", "--include-tag", "messages",
                        "--include-tag", "session", "--include-tag", "passwords"))
    print(f"schemathesis: {cases} generated cases in all")
    assert cases >= 1000
