"""Group commit: the hot job transitions of a worker process's threads, written together.

A worker thread hands its claim, or its step's success, to a lane; a lane writes everything
handed in since its last round at once: the claims (with each step's inputs) in one statement,
the successes (job rows, outputs, plan advances) in one transaction, and their events in one
Redis round trip. Eight threads finishing short steps share one round trip and one commit
instead of paying for eight. A claim is waited for (a step may not start unclaimed), and under
light load its round holds that one request, written by its own thread: a direct write. A
success is not: the lane's own thread writes it while the worker thread takes its next message,
and the message's ack waits for the commit instead (`workers.completion`, `workers.acks`).

The semantics are those of the per-job paths (`jobs.claim`, `store.record_success`), which stay
the reference: a request the round could not settle (a job not claimable the common way, a
round that failed and rolled back) takes that path alone, so each gets its own result or error.
PostgreSQL only: on SQLite every request takes the per-job path.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import lru_cache
from typing import Any

import msgspec
from psycopg import ClientCursor
from psycopg.rows import RowFactory, namedtuple_row
from sqlalchemy import Connection

from pipelines.context import StepResult
from settings import get_settings
from workers import acks, jobs
from workers.db import autocommit, engine
from workers.events import content_channel, publish_many
from workers.inputs import inputs_from_rows
from workers.metrics import record_step
from workers.orchestrator import ContentState, JobState, Outcome, advance_locked, lock_content
from workers.store import record_success, store_in, stores_rows

log = logging.getLogger(__name__)

# Named tuples typed Any: psycopg types them as the bare NamedTuple, whose fields (the columns a
# statement returns) no type checker can know.
_ANY_NAMED_ROWS: RowFactory[Any] = namedtuple_row

# The status tests below are written `(jobs.status || '')`, which no index can answer, so that
# the planner always finds the rows by id. The status index holds an entry for every transition
# a job went through (a status change is never a HOT update) until vacuum removes the dead ones:
# a plan that used it for `status = 'running'` read thousands of them on every round. These
# statements are prepared once per connection, and the one generic plan must be the id lookup.

# The common claim, as `jobs.claim` makes it one job at a time, with each step's inputs read in
# the same statement (as `workers.inputs.LOAD` reads them).
_CLAIM_MANY = """
WITH wanted AS (
    SELECT * FROM unnest(CAST(%(ids)s AS varchar[]), CAST(%(message_ids)s AS varchar[]))
        AS w(id, message_id)
), claimed AS (
    UPDATE jobs SET status = 'running', attempts = jobs.attempts + 1, progress = 0,
        worker = %(worker)s, message_id = wanted.message_id, started_at = %(now)s,
        heartbeat_at = %(now)s, finished_at = NULL
    FROM wanted
    WHERE jobs.id = wanted.id
      AND (jobs.status || '') IN ('queued', 'running')
      AND (jobs.message_id IS NULL OR jobs.message_id = wanted.message_id)
      AND jobs.attempts < jobs.max_attempts
    RETURNING jobs.id, jobs.content_id, jobs.step, jobs.generation, jobs.status,
        jobs.progress, jobs.attempts, jobs.error, jobs.max_attempts
)
SELECT claimed.*, content.title, content.speaker, content.description, content.language,
    content.recorded_date, content.source_key, series.title AS series_title,
    earlier.step AS earlier_step, earlier.result AS earlier_result
FROM claimed
JOIN content ON content.id = claimed.content_id
LEFT JOIN series ON series.id = content.series_id
LEFT JOIN jobs AS earlier ON earlier.content_id = claimed.content_id
    AND earlier.generation = claimed.generation AND earlier.status = 'succeeded'
"""

# A round of successes, sent as one string (one round trip): open the transaction, lock the
# contents in id order, mark the jobs whose attempts still hold them succeeded, then read the
# contents' current jobs. Each statement takes its own snapshot, so the last one, run once the
# locks are held, sees every success committed before (see `orchestrator.lock_contents`).
# (psycopg's pipeline mode would send them prepared, but it waits for the server by polling, at
# a cost in CPU that exceeds the planning it saves.)
_SUCCEED_ROUND = """
BEGIN;
SELECT id, status, generation, live_generation, media_type FROM content
WHERE id = ANY(%(content_ids)s) ORDER BY id FOR UPDATE;
UPDATE jobs SET status = 'succeeded', progress = 1, result = done.result,
    cpu_seconds = done.cpu, media_seconds = done.media, error = NULL, error_code = NULL,
    log_tail = NULL, heartbeat_at = NULL, finished_at = %(now)s
FROM unnest(CAST(%(ids)s AS varchar[]), CAST(%(attempts)s AS integer[]),
            CAST(%(results)s AS jsonb[]), CAST(%(cpus)s AS float8[]),
            CAST(%(medias)s AS float8[]))
    AS done(id, attempt, result, cpu, media)
WHERE jobs.id = done.id AND (jobs.status || '') = 'running' AND jobs.attempts = done.attempt
RETURNING jobs.id, jobs.content_id, jobs.step, jobs.generation, jobs.status, jobs.progress,
    jobs.attempts, jobs.error;
SELECT jobs.content_id, jobs.step, jobs.status, jobs.error FROM jobs
JOIN content ON content.id = jobs.content_id AND jobs.generation = content.generation
WHERE content.id = ANY(%(content_ids)s)
"""


class _Alone:
    """The answer that sends a request back to its thread, to take the per-job path."""


ALONE = _Alone()
Success = tuple[jobs.Claim, str, int, StepResult]


class _Request:
    __slots__ = ("args", "answer", "settled", "then", "_done")

    def __init__(self, args: Any, then: Callable[[Any], None] | None = None) -> None:
        self.args = args
        self.answer: Any = ALONE
        self.settled = False
        self.then = then
        self._done = threading.Event()

    def settle(self, answer: Any) -> None:
        self.answer = answer
        self.settled = True
        self._done.set()

    def lead(self) -> None:
        """Wake the request's thread to write the next round (its own request among them)."""
        self._done.set()

    def wait(self) -> None:
        self._done.wait()


def _write_round(write: Any, requests: list[_Request]) -> None:
    """Write the requests in one round and settle each; a failed round settles them ALONE."""
    try:
        answers, events = write([request.args for request in requests])
    except Exception:
        log.warning("a round of %d writes failed; each is made alone", len(requests), exc_info=True)
        answers, events = [ALONE] * len(requests), []
    _announce(events)
    for request, answer in zip(requests, answers, strict=True):
        request.settle(answer)


class _Lane:
    """Requests of one kind, written a round at a time by the threads that make them.

    A thread that finds no round being written writes one itself: everything handed in so far,
    its own request included. Requests that come while it writes wait, and when it is done it
    wakes the first of them to write the next round. So a request costs its thread at most one
    wake-up, and alone it costs none: there is no writer thread to hand over to and back from.
    """

    def __init__(self, write: Any) -> None:
        self._write = write
        self._lock = threading.Lock()
        self._waiting: list[_Request] = []
        self._writing = False

    def submit(self, args: Any) -> Any:
        """The request's answer, once a round has written it."""
        request = _Request(args)
        with self._lock:
            self._waiting.append(request)
            leads, self._writing = not self._writing, True
        if not leads:
            request.wait()
            if request.settled:
                return request.answer
        self._round()
        return request.answer

    def _round(self) -> None:
        with self._lock:
            requests, self._waiting = self._waiting, []
        try:
            _write_round(self._write, requests)
        finally:
            # Even when the round was cut short (Dramatiq's time limit raises in the thread):
            # nobody may wait for a round that never comes.
            for request in requests:
                if not request.settled:
                    request.settle(ALONE)
            with self._lock:
                following = self._waiting[0] if self._waiting else None
                self._writing = following is not None
            if following is not None:
                following.lead()


class _BehindLane:
    """Requests written a round at a time by the lane's own thread: the thread that hands one
    in goes on at once, and the answer goes to the request's callback, in the lane's thread.

    For successes: once a step has run, what remains (the commit, the plan's advance, the
    message's ack, see `workers.acks`) no longer needs its worker thread, which can take the
    next message while this round commits.
    """

    def __init__(
        self,
        write: Any,
        name: str,
        callbacks_in: Callable[[], AbstractContextManager[object]] = nullcontext,
    ) -> None:
        self._write = write
        self._name = name
        self._callbacks_in = callbacks_in  # what a round's callbacks run inside
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._idle = threading.Condition(self._lock)
        self._waiting: list[_Request] = []
        self._open = 0  # handed in, callback not yet run
        self._thread: threading.Thread | None = None

    def hand_in(self, args: Any, then: Callable[[Any], None] | None = None) -> _Request:
        request = _Request(args, then)
        with self._lock:
            self._waiting.append(request)
            self._open += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, daemon=True, name=self._name)
                self._thread.start()
            self._arrived.notify()
        return request

    def submit(self, args: Any) -> Any:
        """The request's answer, waited for (a caller that has nothing else to do)."""
        request = self.hand_in(args)
        request.wait()
        return request.answer

    def flush(self, timeout_s: float) -> bool:
        """Wait until every request handed in has been answered; False if time ran out."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while self._open and (left := deadline - time.monotonic()) > 0:
                self._idle.wait(left)
            return not self._open

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._waiting:
                    self._arrived.wait()
                requests, self._waiting = self._waiting, []
            try:
                _write_round(self._write, requests)
                with self._callbacks_in():
                    for request in requests:
                        _call_back(request)
            finally:
                with self._lock:
                    self._open -= len(requests)
                    if not self._open:
                        self._idle.notify_all()


def _call_back(request: _Request) -> None:
    if request.then is None:  # its thread waits for the answer itself
        return
    try:
        request.then(request.answer)
    except Exception:  # one request's callback must not cost the others theirs
        log.exception("the callback of a ledger request failed")


class Ledger:
    """The process's two lanes: claims and successes are written apart, each round on its own
    connection, so a round of claims is written while a round of successes waits for its
    commit, and the other way round. Claims are waited for (a step may not start unclaimed);
    successes need not be (see `record_success_later`)."""

    def __init__(self) -> None:
        self._claims = _Lane(_claim_many)
        # The acks a round's successes release go to Redis together, once its callbacks ran.
        self._successes = _BehindLane(_succeed_many, "ledger-successes", acks.together)

    def claim(self, job_id: str, message_id: str) -> jobs.Claim:
        """As `jobs.claim`: the job is this attempt's, or JobGone."""
        answer = self._claims.submit((job_id, message_id))
        if isinstance(answer, jobs.Claim):
            return answer
        return jobs.claim(job_id, message_id)

    def record_success(
        self, claim: jobs.Claim, step: str, generation: int, result: StepResult
    ) -> Outcome | None:
        """As `store.record_success`."""
        answer = self._successes.submit((claim, step, generation, result))
        return _resolved(answer, claim, step, generation, result)

    def record_success_later(
        self,
        claim: jobs.Claim,
        step: str,
        generation: int,
        result: StepResult,
        then: Callable[[Outcome | None], None],
        failed: Callable[[Exception], None],
    ) -> None:
        """As `record_success`, without waiting: `then` gets its outcome once committed, or
        `failed` the error that kept it from being recorded; both in the lane's thread."""

        def answered(answer: Any) -> None:
            try:
                outcome = _resolved(answer, claim, step, generation, result)
            except Exception as exc:
                failed(exc)
                return
            then(outcome)

        self._successes.hand_in((claim, step, generation, result), answered)

    def flush(self, timeout_s: float) -> bool:
        """Wait for the successes handed in so far to be recorded (a worker stopping)."""
        return self._successes.flush(timeout_s)


def _resolved(
    answer: Any, claim: jobs.Claim, step: str, generation: int, result: StepResult
) -> Outcome | None:
    """A round's answer for a success; one the round could not settle takes the per-job path."""
    if answer is ALONE:
        return jobs.durably(lambda: record_success(claim, step, generation, result))
    if answer is not None:
        record_step(step, result.cpu_seconds, result.media_seconds)
    return answer  # type: ignore[no-any-return]


def _claim_many(
    wanted: Sequence[tuple[str, str]],
) -> tuple[list[jobs.Claim | _Alone], list[tuple[str, dict[str, Any]]]]:
    # One claim per job in a round: a second message for the same job goes the per-job way.
    first: dict[str, str] = {}
    for job_id, message_id in wanted:
        first.setdefault(job_id, message_id)
    params = {
        "ids": list(first),
        "message_ids": list(first.values()),
        "worker": jobs.WORKER_NAME,
        "now": jobs.utcnow(),
    }
    with autocommit() as connection, _cursor(connection) as cursor:
        rows = cursor.execute(_CLAIM_MANY, params).fetchall()
    by_job: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        by_job[row.id].append(row)
    claims: dict[str, jobs.Claim] = {}
    events = []
    for job_id, job_rows in by_job.items():
        row = job_rows[0]
        inputs = inputs_from_rows(job_rows)
        claims[job_id] = jobs.Claim(
            job_id, row.content_id, row.step, row.attempts, row.max_attempts, inputs=inputs
        )
        events.append((row.content_id, jobs.job_event(row)))
    answers: list[jobs.Claim | _Alone] = []
    for job_id, message_id in wanted:
        # A job's claim goes to the first of its messages; any other takes the per-job path.
        held = claims.pop(job_id, None) if first[job_id] == message_id else None
        answers.append(held or ALONE)
    return answers, events


def _succeed_many(
    successes: Sequence[Success],
) -> tuple[list[Outcome | None], list[tuple[str, dict[str, Any]]]]:
    content_ids = sorted({claim.content_id for claim, *_ in successes})
    with _transaction_in_one_string() as connection:
        states, rows = _succeed_round(connection, content_ids, successes)
        done = {row.id for row in rows}
        stored = set()
        for claim, step, generation, result in successes:
            if claim.job_id in done and stores_rows(step, result):
                store_in(connection, claim.content_id, step, generation, result)
                stored.add(claim.content_id)
        outcomes: dict[str, Outcome] = {}
        for content_id in {row.content_id for row in rows}:  # contents where a job succeeded
            state = (
                lock_content(connection, content_id)  # with what the steps taught it
                if content_id in stored
                else states.get(content_id)
            )
            outcomes[content_id] = advance_locked(connection, content_id, state)
    answers: list[Outcome | None] = []
    for claim, *_ in successes:
        # The content's advance is carried out once, by the first of its steps in the round.
        answers.append(
            outcomes.pop(claim.content_id, Outcome(claim.content_id))
            if claim.job_id in done
            else None
        )
    return answers, [(row.content_id, jobs.job_event(row)) for row in rows]


@contextmanager
def _transaction_in_one_string() -> Iterator[Connection]:
    """A transaction whose BEGIN travels in the round's string (psycopg sends its own BEGIN on a
    round trip of its own), on an autocommit connection. SQLAlchemy's transaction around it is
    what an ORM session inside joins, and its end commits or rolls back what the string began:
    psycopg sends COMMIT or ROLLBACK whenever the server holds a transaction open."""
    with autocommit() as connection, connection.begin():
        yield connection


def _succeed_round(
    connection: Connection, content_ids: list[str], successes: Sequence[Success]
) -> tuple[dict[str, ContentState], list[Any]]:
    """Run `_SUCCEED_ROUND`: the contents' states (with this round's successes) and the rows of
    the jobs it marked succeeded."""
    driver = connection.connection.driver_connection
    assert driver is not None
    params = {"content_ids": content_ids, **_succeed_params(successes)}
    # Client-side binding: the simple query protocol is the one that takes several statements.
    with ClientCursor(driver, row_factory=_ANY_NAMED_ROWS) as cursor:
        cursor.execute(_SUCCEED_ROUND, params)
        cursor.nextset()  # past BEGIN
        states = {
            row.id: ContentState(
                row.status, row.generation, row.live_generation, row.media_type, []
            )
            for row in cursor.fetchall()
        }
        cursor.nextset()
        succeeded = cursor.fetchall()
        cursor.nextset()
        for row in cursor.fetchall():
            states[row.content_id].jobs.append(JobState(row.step, row.status, row.error))
    return states, succeeded


def _succeed_params(successes: Sequence[Success]) -> dict[str, Any]:
    return {
        "ids": [claim.job_id for claim, *_ in successes],
        "attempts": [claim.attempt for claim, *_ in successes],
        "results": [msgspec.json.encode(result).decode() for *_, result in successes],
        "cpus": [result.cpu_seconds for *_, result in successes],
        "medias": [result.media_seconds for *_, result in successes],
        "now": jobs.utcnow(),
    }


def _cursor(connection: Connection) -> Any:
    """A psycopg cursor on the connection (and in its transaction): these statements are
    PostgreSQL's own, and rows as named tuples skip SQLAlchemy's result machinery."""
    driver = connection.connection.driver_connection
    assert driver is not None
    return driver.cursor(row_factory=namedtuple_row)


def _announce(events: list[tuple[str, dict[str, Any]]]) -> None:
    """Never let a Redis hiccup break a transition (the rows are the truth)."""
    if not events:
        return
    try:
        publish_many([(content_channel(content_id), event) for content_id, event in events])
    except Exception:
        log.warning("could not publish %d job events", len(events))


@lru_cache(maxsize=1)
def ledger() -> Ledger | None:
    """The process's ledger, or None where the per-job paths are used (SQLite, or turned off)."""
    if not get_settings().job_group_commit or engine().dialect.name != "postgresql":
        return None
    return Ledger()


def claim(job_id: str, message_id: str) -> jobs.Claim:
    writer = ledger()
    return writer.claim(job_id, message_id) if writer else jobs.claim(job_id, message_id)


def succeed(claim: jobs.Claim, step: str, generation: int, result: StepResult) -> Outcome | None:
    """The step's outputs, the job's success and the plan's advance, written durably."""
    writer = ledger()
    if writer is not None:
        return writer.record_success(claim, step, generation, result)
    return jobs.durably(lambda: record_success(claim, step, generation, result))


def flush(timeout_s: float = 30.0) -> bool:
    """Wait for this process's successes in flight to be recorded."""
    writer = ledger() if ledger.cache_info().currsize else None
    return writer.flush(timeout_s) if writer is not None else True
