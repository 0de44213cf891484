"""Provisioning decisions: the steps, the password, the agent limit, the sign-in link."""

from urllib.parse import parse_qs, urlsplit

import pytest

from chat_bridge.provisioning.plan import (
	DONE,
	FAILED,
	WAITING,
	generate_password,
	inboxes_to_join,
	limit_refusal,
	remaining_steps,
	sign_in_link,
	status_of,
)
from tests.mock_chatwoot_api.platform import password_errors


def test_steps_run_in_order_and_what_is_done_is_not_run_again():
	assert remaining_steps({}) == ["user", "account", "inboxes", "token"]
	assert remaining_steps({"user": DONE, "account": DONE, "inboxes": FAILED}) == ["inboxes", "token"]
	assert remaining_steps(dict.fromkeys(("user", "account", "inboxes", "token"), DONE)) == []


@pytest.mark.parametrize(
	"outcomes, status",
	[
		(dict.fromkeys(("user", "account", "inboxes", "token"), DONE), "Provisioned"),
		({"user": DONE, "account": DONE, "inboxes": DONE, "token": WAITING}, "Invited"),
		({"user": DONE, "account": DONE, "inboxes": FAILED}, "Partly provisioned"),
		({"user": DONE, "account": DONE, "inboxes": FAILED, "token": WAITING}, "Partly provisioned"),
		({}, "Partly provisioned"),
	],
)
def test_status(outcomes, status):
	assert status_of(outcomes) == status


def test_passwords_pass_chatwoots_rules_and_differ():
	passwords = {generate_password() for _ in range(200)}
	assert len(passwords) == 200
	for password in passwords:
		assert password_errors(password) == [], password  # the mock's model of Chatwoot's rules


def test_the_mock_refuses_what_chatwoot_refuses():
	assert password_errors("abc") != []
	assert password_errors("alllowercase1!") == [
		"Password must contain at least 1 uppercase character  (A..Z)"
	]
	assert password_errors("Abcdef1.") == []  # a full stop is special to Chatwoot
	assert password_errors("Abcdef1!é") == ["Password contains 1 invalid character (é)"]


@pytest.mark.parametrize("length", [7, 129])
def test_password_length_is_bounded(length):
	with pytest.raises(ValueError):
		generate_password(length)


def test_the_limit():
	assert limit_refusal(None, 40, "ann@example.com") is None
	assert limit_refusal(0, 40, "ann@example.com") is None
	assert limit_refusal(5, 4, "ann@example.com") is None
	refusal = limit_refusal(5, 5, "ann@example.com")
	assert refusal.startswith("The account has 5 agents and Max Agents is 5: ann@example.com was not added.")


def test_inboxes_to_join_adds_only_what_is_missing():
	members = {7: [1, 12], 8: [1]}
	assert inboxes_to_join([7, 8, 8, 9], members, 12) == [8, 9]
	assert inboxes_to_join([7], members, 12) == []


def test_sign_in_link_lands_on_the_conversation():
	sso = "https://chat.example.com/app/login?email=ann%40example.com&sso_auth_token=abc"
	assert sign_in_link(sso) == sso
	assert sign_in_link(sso, 3) == sso
	query = parse_qs(urlsplit(sign_in_link(sso, 3, 58)).query)
	assert query == {
		"email": ["ann@example.com"],
		"sso_auth_token": ["abc"],
		"sso_account_id": ["3"],
		"sso_conversation_id": ["58"],
	}
