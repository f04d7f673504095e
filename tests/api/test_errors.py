"""Failures of ours answer in the API's shape, promptly, and the schema is cheap."""

import os
import subprocess
import sys
import threading

import pytest
from django.db import connection
from django.test import Client

from tests import support
from tourdraw.lottery import results

API = "/api/v1"


def test_an_unexpected_failure_answers_500_in_the_error_shape(db, monkeypatch):
    round, _, entries = support.drawn_round(4, [2], [2])

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(results, "lookup", broken)
    client = Client(raise_request_exception=False)
    response = client.get(f"{API}/rounds/{round.code}/results", {"entry": entries[0].code})
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "code": "server_error",
        "message": "Something went wrong on our side.",
        "field": "",
    }


def test_the_database_time_limits_come_from_the_environment():
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://u@db.internal:5432/tourdraw",
        "DATABASE_CONNECT_TIMEOUT_SECONDS": "3",
        "DATABASE_STATEMENT_TIMEOUT_SECONDS": "7",
    }
    code = "from tourdraw import settings as s; print(s.DATABASES['default']['OPTIONS'])"
    printed = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert "'connect_timeout': 3" in printed
    assert "-c statement_timeout=7s" in printed


@pytest.mark.postgres
def test_a_frozen_database_answers_503_promptly_not_when_it_thaws(transactional_db):
    import psycopg

    support.make_round()
    # The statement limit as production sets it, shortened for the test.
    options = connection.settings_dict["OPTIONS"]
    saved = options["options"]
    options["options"] = "-c statement_timeout=1s"
    connection.close()
    name = connection.settings_dict["NAME"]
    freezer = psycopg.connect(f"host=127.0.0.1 user=postgres dbname={name}")
    # The rounds table is held by another session: every read of it waits.
    freezer.execute("LOCK TABLE lottery_round IN ACCESS EXCLUSIVE MODE")
    # A test without the limit ends, not hangs. The 503 must come before the thaw:
    # the "prompt" claim, bounded generously (60 s against a 1 s statement
    # limit) so a loaded machine cannot decide it.
    thaw = threading.Timer(60, freezer.rollback)
    thaw.start()
    try:
        response = Client(raise_request_exception=False).get(f"{API}/rounds")
        still_frozen = thaw.is_alive()
    finally:
        thaw.cancel()
        freezer.rollback()
        freezer.close()
        options["options"] = saved
        connection.close()
    assert still_frozen
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["code"] == "unavailable"


def test_the_openapi_document_is_built_once_per_process(client, monkeypatch):
    import ninja.main

    from tourdraw.api.v1 import api

    built = []
    real = ninja.main.get_schema

    def counting(**kwargs):
        built.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(ninja.main, "get_schema", counting)
    monkeypatch.setattr(type(api), "_schemas", {})
    first = client.get(f"{API}/openapi.json")
    second = client.get(f"{API}/openapi.json")
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert len(built) == 1
