"""Password hashing runs off the event loop: a burst of sign-ins after a service does not stall
every other request of the API process."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.conftest import Accounts

LOGINS = 10


def test_ten_concurrent_logins_do_not_stall_the_api(accounts: Accounts, live_api: str) -> None:
    user = accounts.make("listener")
    signed = {"email": user["email"], "password": user["password"]}
    with httpx.Client(base_url=live_api, timeout=30) as http:
        http.get("/healthz")
        stalls: list[float] = []

        def login(_: int) -> int:
            return http.post("/api/v1/auth/login", json=signed).status_code

        with ThreadPoolExecutor(LOGINS) as pool:
            logins = [pool.submit(login, i) for i in range(LOGINS)]
            # Only while the burst lasts: afterwards every answer is quick either way.
            while not all(future.done() for future in logins):
                started = time.monotonic()
                assert http.get("/healthz").status_code == 200
                stalls.append(time.monotonic() - started)
            assert {future.result() for future in logins} == {200}
    # With argon2 on the loop, /healthz waited behind one verification after another (90th
    # percentile 0.22 s here, 15 answers in the whole burst); off it, a few milliseconds (over
    # a thousand answers), with a rare wait for a core when the machine is busy.
    stalls.sort()
    p90 = stalls[int(len(stalls) * 0.9)]
    assert p90 < 0.05, f"/healthz waited {p90:.3f} s (90th percentile) behind the logins"
