"""``civicgrid notify-receiver``: a district's team tries its webhook setup against it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from civicgrid.notify.webhook import sign
from tests.processes import free_port

ROOT = Path(__file__).resolve().parents[2]


def _post(url: str, body: bytes, secret: str) -> int:
    ts = str(int(time.time()))
    headers = {"X-Civicgrid-Timestamp": ts, "X-Civicgrid-Signature": sign(secret, ts, body)}
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_receiver_command_prints_what_it_accepts(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "CIVICGRID_DATA_DIR": str(tmp_path)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("CIVICGRID_DATABASE_URL", None)
    command = ["notify-receiver", "--port", str(port), "--secret", "s3"]
    process = subprocess.Popen(
        [sys.executable, "-m", "civicgrid", *command],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "listening on" in process.stderr.readline()
        url = f"http://127.0.0.1:{port}/"
        assert _post(url, b'{"id": 1, "text": "x"}', "wrong") == 401
        assert _post(url, json.dumps({"id": 2, "text": "您好"}).encode(), "s3") == 204
        assert json.loads(process.stdout.readline()) == {"id": 2, "text": "您好"}
    finally:
        process.terminate()
        process.wait(10)


def test_the_receiver_command_needs_a_secret(settings) -> None:  # type: ignore[no-untyped-def]
    settings.NOTIFY_WEBHOOK_SECRET = ""
    with pytest.raises(CommandError, match="--secret"):
        call_command("notify_receiver")


def test_the_webhook_adapter_is_refused_without_its_address(settings) -> None:  # type: ignore[no-untyped-def]
    from civicgrid.notify.checks import notify_settings

    settings.NOTIFY_ADAPTERS = ["log", "webhook", "sms"]
    settings.NOTIFY_WEBHOOK_URL = ""
    ids = [e.id for e in notify_settings()]
    assert ids == ["civicgrid.notify.E001", "civicgrid.notify.E002"]
    settings.NOTIFY_ADAPTERS = ["log"]
    assert notify_settings() == []
