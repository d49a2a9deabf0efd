"""The account page: a login lasts a working day, and "log out everywhere" ends every
session of that person (shared office computers, a lost phone)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django.utils import timezone

from civicgrid.org.models import Role, User
from tests.factories import PASSWORD, TreeFixture, UserFactory, make_member

LOGOUT_EVERYWHERE = "/account/logout-everywhere/"


def log_in(user: User, client: Client | None = None) -> Client:
    """A login through the login page, as a browser makes it."""
    client = client or Client()
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def is_logged_in(client: Client) -> bool:
    response = client.get("/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def test_the_account_page_is_linked_from_the_header(tree: TreeFixture) -> None:
    user = make_member(tree.streets[0], Role.DISPATCHER, display_name="李调度")
    client = log_in(user)
    assert 'href="/account/"' in client.get("/").content.decode()
    page = client.get("/account/").content.decode()
    assert "李调度" in page and "调度员" in page and "第1街道" in page
    assert "最长 9.0 小时" in page and "关闭浏览器" in page
    assert f'action="{LOGOUT_EVERYWHERE}"' in page


def test_log_out_everywhere_ends_every_session_of_that_person_alone(tree: TreeFixture) -> None:
    user = make_member(tree.streets[0], Role.DISPATCHER)
    colleague = make_member(tree.streets[0], Role.DISPATCHER)
    office, phone, theirs = log_in(user), log_in(user), log_in(colleague)
    response = office.post(LOGOUT_EVERYWHERE)
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert "已在所有电脑和手机上退出" in office.get("/login/").content.decode()
    assert not is_logged_in(office) and not is_logged_in(phone)
    assert is_logged_in(theirs)
    # Logging in again works, and ends nobody else's new session.
    log_in(user, phone)
    assert is_logged_in(phone)


def test_logging_out_everywhere_needs_a_post_with_the_form_token(tree: TreeFixture) -> None:
    user = make_member(tree.streets[0], Role.DISPATCHER)
    client = log_in(user)
    assert client.get(LOGOUT_EVERYWHERE).status_code == 405
    forged = Client(enforce_csrf_checks=True)
    forged.cookies = client.cookies  # the session, without the page's token
    assert forged.post(LOGOUT_EVERYWHERE).status_code == 403
    assert is_logged_in(client)
    user.refresh_from_db()
    assert user.session_token == ""


def test_nobody_logged_in_cannot_log_anyone_out(tree: TreeFixture) -> None:
    user = make_member(tree.streets[0], Role.DISPATCHER)
    client = log_in(user)
    anonymous = Client().post(LOGOUT_EVERYWHERE)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    assert is_logged_in(client)
    assert not User.objects.exclude(session_token="").exists()


def test_sessions_from_before_the_token_stay_valid(tree: TreeFixture) -> None:
    """Until a person first logs out everywhere, the hash is Django's own: upgrading
    civicgrid logs nobody out."""
    user = make_member(tree.streets[0], Role.DISPATCHER)
    assert user.get_session_auth_hash() == AbstractBaseUser.get_session_auth_hash(user)
    client = log_in(user)
    client.post(LOGOUT_EVERYWHERE)
    user.refresh_from_db()
    assert user.session_token and user.get_session_auth_hash() != (
        AbstractBaseUser.get_session_auth_hash(user)
    )


def test_a_new_password_still_ends_sessions(tree: TreeFixture) -> None:
    user = make_member(tree.streets[0], Role.DISPATCHER)
    client = log_in(user)
    client.post(LOGOUT_EVERYWHERE)
    client = log_in(user)
    user.set_password("another-pass-456")
    user.save()
    assert not is_logged_in(client)


def test_sessions_survive_a_secret_key_rotation(tree: TreeFixture, settings) -> None:  # type: ignore[no-untyped-def]
    user = make_member(tree.streets[0], Role.DISPATCHER)
    log_in(user).post(LOGOUT_EVERYWHERE)  # the person has a session token now
    kept, dropped = log_in(user), log_in(user)
    new_key = "a-new-key-" * 5
    with override_settings(SECRET_KEY=new_key, SECRET_KEY_FALLBACKS=[settings.SECRET_KEY]):
        assert is_logged_in(kept)
    with override_settings(SECRET_KEY=new_key, SECRET_KEY_FALLBACKS=[]):
        assert not is_logged_in(dropped)


def test_a_login_lasts_a_working_day_and_the_browser_session(tree: TreeFixture) -> None:
    user = make_member(tree.streets[0], Role.DISPATCHER)
    client = Client()
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    cookie = response.cookies["sessionid"]
    assert cookie["max-age"] == "" and cookie["expires"] == ""  # gone when the browser closes
    assert client.session.get_expiry_age() == 9 * 3600
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert not is_logged_in(client)


def test_an_administrator_logs_someone_out_everywhere(tree: TreeFixture) -> None:
    user = make_member(tree.streets[0], Role.DISPATCHER)
    bystander = make_member(tree.streets[0], Role.DISPATCHER)
    theirs, others = log_in(user), log_in(bystander)
    admin = Client()
    admin.force_login(UserFactory(is_superuser=True, is_staff=True))
    response = admin.post(
        "/admin/org/user/", {"action": "end_sessions", "_selected_action": [user.pk]}
    )
    assert response.status_code == 302
    assert not is_logged_in(theirs) and is_logged_in(others)
