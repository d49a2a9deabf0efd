"""The restart drill: `civicgrid serve` and `civicgrid worker` killed with SIGKILL in
the middle of intake and of a deadline sweep, then started again.

Residents' apps keep posting requests with Idempotency-Keys while one worker sweeps
many overdue cases and another reads the new ones (the two workers a deployment runs,
as `dev.py start` does); all three processes are killed at once with nothing done;
after the restart every request is sent again with its key. Then: every request the server
acknowledged exists exactly once, under the tracking code it was given; every request
it never answered exists exactly once too; each case was submitted once and read by
the machine once; each overdue deadline was escalated and supervised exactly once.
On the database the suite runs on (SQLite in WAL mode, PostgreSQL).
"""

from __future__ import annotations

import http.client
import json
import threading
import time

from tests.processes import Process, Scratch, Server, scratch  # noqa: F401 (fixture)

OVERDUE_CASES = 120
INTAKE_THREADS = 3
PAUSE_S = 0.02  # between one resident's requests: the drill is about the kill, not load
POINT = (120.005, 30.005)  # inside grid D01001001 of tests.factories.make_tree

SETUP = f"""
import json
from tests.dispatch.test_sweeper import dispatched_cases, make_overdue
_tree, cases = dispatched_cases({OVERDUE_CASES})
make_overdue(cases)
print(json.dumps([c.pk for c in cases]))
"""


def body(key: str) -> dict[str, object]:
    return {
        "text": f"小区门口的井盖松动了，车压过去响（{key}）。",
        "lon": POINT[0],
        "lat": POINT[1],
        "phone": "13800000000",
    }


class Residents:
    """Threads posting new requests, each with its own key, until the server dies."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.sent: list[str] = []
        self.acknowledged: dict[str, str] = {}  # key → the tracking code it was given
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self.post_until_dead, args=(n,)) for n in range(INTAKE_THREADS)
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        for thread in self.threads:
            thread.join(60)
        assert not any(t.is_alive() for t in self.threads)
        assert not self.errors, self.errors

    def post_until_dead(self, n: int) -> None:
        for i in range(100_000):
            key = f"drill-{n}-{i}"
            with self.lock:
                self.sent.append(key)
            try:
                answer = self.server.request(
                    "POST", "/api/requests", body=body(key), headers={"Idempotency-Key": key}
                )
            except (OSError, http.client.HTTPException):
                return  # killed: this request's fate is unknown to the resident
            if answer.status in (200, 201):
                with self.lock:
                    self.acknowledged[key] = answer.json()["tracking_code"]
            elif answer.status != 503:  # busy: not acknowledged, sent again later
                with self.lock:
                    self.errors.append(f"{key}: {answer.status} {answer.text[:300]}")
                return
            time.sleep(PAUSE_S)


def send_again(server: Server, key: str) -> dict[str, object]:
    """The same request with the same key, as an app does after a failure."""
    for _attempt in range(40):
        answer = server.request(
            "POST", "/api/requests", body=body(key), headers={"Idempotency-Key": key}
        )
        if answer.status != 503:
            assert answer.status in (200, 201), (key, answer.status, answer.text[:300])
            return {"status": answer.status, **answer.json()}
        time.sleep(0.5)
    raise AssertionError(f"{key}: still busy")


def wait_until(condition, seconds: float, what: str) -> None:  # type: ignore[no-untyped-def]
    give_up = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < give_up, f"not reached in {seconds} s: {what}"
        time.sleep(0.05)


def test_serve_and_worker_killed_mid_intake_and_mid_sweep(scratch: Scratch) -> None:  # noqa: F811
    assert scratch.civicgrid("migrate", "-v", "0").returncode == 0
    swept = set(json.loads(scratch.shell(SETUP).strip().splitlines()[-1]))
    env = scratch.env(
        CIVICGRID_INTAKE_RATE_PER_IP="0/60",
        CIVICGRID_INTAKE_RATE_PER_PHONE="0/60",
        CIVICGRID_SWEEP_BATCH="2",  # many small transactions: the kill lands between them
        CIVICGRID_SWEEP_INTERVAL_S="1",
        CIVICGRID_TASK_ABANDONED_AFTER_S="3",  # readings the killed worker held: run again
    )

    def overdue_marks() -> int:
        return scratch.scalar("SELECT count(*) FROM cases_deadlinemark WHERE stage = 'overdue'")

    def workers(round: str) -> list[Process]:
        return [
            Process(scratch, ["worker", "--interval", "0.2", *queues], env, f"worker-{name}{round}")
            for name, queues in [
                ("sweeps", ["--queues", "default"]),
                ("readings", ["--queues", "triage"]),
            ]
        ]

    server = Server(scratch, env=env).start()
    running = [server, *workers("")]
    residents = Residents(server)
    try:
        residents.start()
        wait_until(lambda: len(residents.acknowledged) >= 30, 120, "30 requests acknowledged")
        for worker in running[1:]:
            worker.start()
        wait_until(lambda: overdue_marks() >= 3, 120, "the sweep under way")
        sweeping, reading = running[1:]
        for process in (sweeping, server, reading):  # the sweep first: it ends soonest
            process.kill()
        residents.join()
    finally:
        for process in running:
            process.kill()
    at_kill = overdue_marks()
    assert 0 < at_kill < OVERDUE_CASES, f"the kill should land mid-sweep ({at_kill} marks)"
    assert len(residents.sent) > len(residents.acknowledged) >= 30

    server = Server(scratch, env=env, name="serve-again").start()
    running = [server, *(worker.start() for worker in workers("-again"))]
    try:
        again = {key: send_again(server, key) for key in residents.sent}
        for key, code in residents.acknowledged.items():
            assert (again[key]["status"], again[key]["tracking_code"]) == (200, code), key
            assert again[key]["created"] is False

        def unread() -> int:
            return scratch.scalar(
                "SELECT count(*) FROM cases_case c WHERE c.channel = 'api' AND NOT EXISTS "
                "(SELECT 1 FROM triage_suggestion s WHERE s.case_id = c.id)"
            )

        wait_until(lambda: overdue_marks() == OVERDUE_CASES, 180, "every deadline swept")
        wait_until(lambda: unread() == 0, 180, "every new case read by the machine")
    finally:
        for process in running:
            process.stop()

    # Every request, acknowledged or not, is one case under the code it was answered with.
    keys = dict(scratch.query("SELECT key, case_id FROM intake_idempotencykey"))
    assert sorted(keys) == sorted(residents.sent)
    assert len(set(keys.values())) == len(keys)
    codes = {
        code
        for (code,) in scratch.query("SELECT tracking_code FROM cases_case WHERE channel = 'api'")
    }
    assert codes == {answer["tracking_code"] for answer in again.values()}
    assert len(codes) == len(residents.sent)
    submitted_twice = scratch.query(
        "SELECT case_id FROM cases_caseevent WHERE action = 'submit' "
        "GROUP BY case_id HAVING count(*) > 1"
    )
    assert submitted_twice == []

    # Every overdue deadline escalated and supervised exactly once.
    for action in ("escalate", "supervise"):
        rows = scratch.query(
            f"SELECT case_id, count(*) FROM cases_caseevent WHERE action = '{action}' "
            "GROUP BY case_id"
        )
        assert dict(rows) == {case: 1 for case in swept}, action
    assert overdue_marks() == OVERDUE_CASES
