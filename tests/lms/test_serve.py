"""`make serve`'s set-up for real: gunicorn with several workers sharing sign-in limits through Redis."""
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests import databases
from tests.conftest import free_port

REDIS = ("127.0.0.1", 6379)
BIN = Path(sys.executable).parent


def redis_available():
    try:
        socket.create_connection(REDIS, timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture
def gunicorn_server(tmp_path):
    if not redis_available():
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    url = databases.create(tmp_path)
    (tmp_path / "config.py").write_text(f"RATELIMIT_KEY_PREFIX = 'test-{uuid.uuid4().hex}'\n")
    env = {
        **os.environ,
        "LMS_INSTANCE_PATH": str(tmp_path),
        "DATABASE_URL": url,
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
    }
    repository = Path(__file__).parents[2]
    subprocess.run([BIN / "flask", "--app", "wsgi", "db", "upgrade"], cwd=repository, env=env, check=True)
    port = free_port()
    server = subprocess.Popen(
        [BIN / "gunicorn", "-k", "gthread", "--workers", "2", "--threads", "4", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=repository,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _attempt in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)
        databases.drop(url)


def test_gunicorn_workers_share_the_sign_in_limit_through_redis(gunicorn_server):
    assert urllib.request.urlopen(gunicorn_server + "/healthz").read() == b'{"db":"ok","status":"ok"}\n'
    statuses = []
    for _attempt in range(11):
        # A fresh connection each time, so the two workers both take requests.
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        page = opener.open(gunicorn_server + "/account/login").read().decode()
        token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"email": "nobody@example.kz", "password": "wrong password", "csrf_token": token})
        try:
            statuses.append(opener.open(gunicorn_server + "/account/login", data=form.encode()).status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)
    assert statuses == [200] * 10 + [429]
