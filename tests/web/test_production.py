"""Production settings: behind an HTTPS reverse proxy, `check --deploy` clean, the
session lifetime and the shared cache chosen by environment variables."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.processes import ROOT, Scratch, Server, scratch  # noqa: F401 (fixture)

PUBLIC_HOST = "12345.district.example.cn"


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIVICGRID_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests' fixture
    return {
        **env,
        "CIVICGRID_DATA_DIR": str(tmp_path / "prod"),
        "CIVICGRID_HTTPS": "1",
        "CIVICGRID_ALLOWED_HOSTS": f"{PUBLIC_HOST},.intranet.example.cn",
        **extra,
    }


def settings_under(env: dict[str, str], *names: str) -> dict[str, object]:
    """The named settings as a process started with ``env`` has them."""
    code = (
        "import json, os, sys\n"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'civicgrid.settings'\n"
        "from django.conf import settings\n"
        "print(json.dumps({n: getattr(settings, n, None) for n in sys.argv[1:]}, default=str))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *names], env=env, capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "civicgrid", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


def test_check_deploy_passes_with_the_production_settings(tmp_path: Path) -> None:
    done = check_deploy(production_env(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


def test_check_deploy_fails_without_https(tmp_path: Path) -> None:
    """The same check without CIVICGRID_HTTPS: what the variable turns on is missing."""
    done = check_deploy(production_env(tmp_path, CIVICGRID_HTTPS="0"))
    assert done.returncode != 0
    for warning in ["security.W004", "security.W008", "security.W012", "security.W016"]:
        assert warning in done.stderr, done.stderr


def test_check_deploy_names_a_weak_secret_key(tmp_path: Path) -> None:
    done = check_deploy(production_env(tmp_path, CIVICGRID_SECRET_KEY="short"))
    assert done.returncode != 0 and "security.W009" in done.stderr


def test_https_turns_on_what_a_proxy_needs(tmp_path: Path) -> None:
    s = settings_under(
        production_env(tmp_path),
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_PROXY_SSL_HEADER",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "CSRF_TRUSTED_ORIGINS",
        "TRUSTED_PROXY",
    )
    assert s["SESSION_COOKIE_SECURE"] is True and s["CSRF_COOKIE_SECURE"] is True
    assert s["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert s["SECURE_SSL_REDIRECT"] is True
    assert s["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600 and s["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
    # Derived from the allowed hosts: a leading dot allows every subdomain.
    assert s["CSRF_TRUSTED_ORIGINS"] == [f"https://{PUBLIC_HOST}", "https://*.intranet.example.cn"]
    assert s["TRUSTED_PROXY"] == "127.0.0.1"
    given = settings_under(
        production_env(tmp_path, CIVICGRID_CSRF_TRUSTED_ORIGINS="https://a.example.cn"),
        "CSRF_TRUSTED_ORIGINS",
    )
    assert given["CSRF_TRUSTED_ORIGINS"] == ["https://a.example.cn"]


def test_without_https_nothing_of_it_is_on(tmp_path: Path) -> None:
    s = settings_under(
        production_env(tmp_path, CIVICGRID_HTTPS="0"),
        "SESSION_COOKIE_SECURE",
        "SECURE_PROXY_SSL_HEADER",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "TRUSTED_PROXY",
    )
    assert s == {
        "SESSION_COOKIE_SECURE": False,
        "SECURE_PROXY_SSL_HEADER": None,
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 0,
        "TRUSTED_PROXY": "",
    }


def test_session_lifetime_and_cache_from_the_environment(tmp_path: Path) -> None:
    default = settings_under(
        production_env(tmp_path), "SESSION_COOKIE_AGE", "SESSION_EXPIRE_AT_BROWSER_CLOSE", "CACHES"
    )
    assert default["SESSION_COOKIE_AGE"] == 9 * 3600
    assert default["SESSION_EXPIRE_AT_BROWSER_CLOSE"] is True
    assert default["CACHES"]["default"]["BACKEND"].endswith("LocMemCache")  # type: ignore[index]
    chosen = settings_under(
        production_env(
            tmp_path, CIVICGRID_SESSION_HOURS="4.5", CIVICGRID_CACHE_URL="redis://10.0.0.5:6379/2"
        ),
        "SESSION_COOKIE_AGE",
        "CACHES",
    )
    assert chosen["SESSION_COOKIE_AGE"] == 4.5 * 3600
    cache = chosen["CACHES"]["default"]  # type: ignore[index]
    assert cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert cache["LOCATION"] == "redis://10.0.0.5:6379/2"


def test_a_tile_server_is_allowed_for_images_only(tmp_path: Path) -> None:
    s = settings_under(
        production_env(
            tmp_path, CIVICGRID_MAP_TILE_URL="https://{s}.tiles.example.cn/{z}/{x}/{y}.png"
        ),
        "CONTENT_SECURITY_POLICY",
    )
    directives = s["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]  # type: ignore[index]
    assert "https://*.tiles.example.cn" in directives["img-src"]
    assert directives["script-src"] == ["'self'"] and directives["connect-src"] == ["'self'"]


def test_behind_the_proxy(scratch: Scratch, tmp_path: Path) -> None:  # noqa: F811
    """`civicgrid serve` with CIVICGRID_HTTPS=1 behind a proxy at 127.0.0.1: plain http
    is sent to https; what came through the proxy over https is served with HSTS and
    secure cookies; a form posted from the public origin passes CSRF though the proxy
    passed its own Host; rate limits count the client's address, not the proxy's."""
    env = scratch.env(
        CIVICGRID_HTTPS="1",
        CIVICGRID_ALLOWED_HOSTS=f"{PUBLIC_HOST},127.0.0.1",
        CIVICGRID_INTAKE_RATE_PER_IP="2/600",
    )
    server = Server(scratch, env=env).start()
    try:
        plain = server.request("GET", "/login/", headers={"Host": PUBLIC_HOST})
        assert plain.status == 301
        assert plain.header("Location") == f"https://{PUBLIC_HOST}/login/"

        https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
        page = server.request("GET", "/login/", headers={**https, "Host": PUBLIC_HOST})
        assert page.status == 200
        assert page.header("Strict-Transport-Security") == ("max-age=31536000; includeSubDomains")
        assert "script-src 'self'" in (page.header("Content-Security-Policy") or "")
        csrf_cookie = page.cookies()["csrftoken"]
        assert "Secure" in csrf_cookie
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token

        # The proxy passed its own Host (127.0.0.1); the browser's Origin is public.
        login = server.request(
            "POST",
            "/login/",
            body=f"username=nobody&password=wrong&csrfmiddlewaretoken={token.group(1)}",
            headers={
                **https,
                "Host": "127.0.0.1",
                "Origin": f"https://{PUBLIC_HOST}",
                "Referer": f"https://{PUBLIC_HOST}/login/",
                "Cookie": csrf_cookie.split(";", 1)[0],
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        assert login.status == 200, login.text  # the form again (403 if CSRF refused it)

        # Someone not the proxy cannot claim https (the header is dropped): redirected.
        elsewhere = server.request("GET", "/login/", headers=https, source="127.0.0.2")
        assert elsewhere.status == 301

        def intake(client: str) -> int:
            headers = {**https, "X-Forwarded-For": client, "Idempotency-Key": os.urandom(8).hex()}
            return server.request(
                "POST", "/api/requests", body={"text": "x"}, headers=headers
            ).status

        assert [intake("203.0.113.8") for _ in range(3)] == [400, 400, 429]
        assert intake("203.0.113.9") == 400  # another resident behind the same proxy
    finally:
        server.stop()
