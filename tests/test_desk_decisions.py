"""What the desk and the rollout commands decide without Frappe: arguments, presentation, error
messages, the stage → flags table and the doctor's checks."""

from datetime import datetime, timedelta

import pytest

from chat_bridge import arguments
from chat_bridge.arguments import ArgumentError
from chat_bridge.chatwoot.errors import (
	AccountAccessError,
	AuthenticationError,
	ChatwootConnectionError,
	ChatwootError,
	ForbiddenError,
	NotFoundError,
	NotPermissibleError,
	RateLimitError,
	ServerError,
	ValidationError,
	describe_for_user,
)
from chat_bridge.chatwoot.presenters import (
	conversation_summary,
	conversation_url,
	dashboard_url,
	scrub_secrets,
)
from chat_bridge.features import Feature, is_enabled
from chat_bridge.rollout import (
	STAGE_CHECKS,
	STAGES,
	WEBHOOK_EVENTS,
	Check,
	Refusal,
	ScheduledJob,
	blockers,
	check_account,
	check_delivery_address,
	check_guest_errors,
	check_reachable,
	check_refusals,
	check_scheduled_jobs,
	check_scheduler,
	check_secret,
	check_token,
	check_webhook,
	check_widget,
	check_workers,
	find_site_webhook,
	scheduled_methods,
	stage_blockers,
	stage_of,
)
from tests.conftest import webhook_payload

# Arguments


@pytest.mark.parametrize("value, expected", [(3, 3), ("58", 58), (" 7 ", 7)])
def test_positive_int(value, expected):
	assert arguments.positive_int(value, "id") == expected


@pytest.mark.parametrize("value", [0, -1, "abc", "", None, True, "1.5", "58/../1"])
def test_positive_int_refused(value):
	with pytest.raises(ArgumentError, match="id must be a positive whole number"):
		arguments.positive_int(value, "id")


def test_optional_positive_int():
	assert arguments.optional_positive_int("", "before") is None
	assert arguments.optional_positive_int("12", "before") == 12


@pytest.mark.parametrize(
	"value, expected", [("OPEN", "open"), (" resolved ", "resolved"), ("snoozed", "snoozed")]
)
def test_status(value, expected):
	assert arguments.status(value) == expected


def test_status_refused_and_all_only_where_allowed():
	with pytest.raises(ArgumentError, match="status must be one of"):
		arguments.status("closed")
	with pytest.raises(ArgumentError):
		arguments.status("all")
	assert arguments.status("all", allow_all=True) == "all"


@pytest.mark.parametrize(
	"value, expected",
	[
		("1", True),
		("true", True),
		("on", True),
		(1, True),
		(True, True),
		("0", False),
		("", False),
		(None, False),
		(0, False),
	],
)
def test_flag(value, expected):
	assert arguments.flag(value) is expected


def test_message_content():
	assert arguments.message_content("  Hello  ") == "Hello"
	for bad in ("", "   ", None, {"a": 1}):
		with pytest.raises(ArgumentError, match="needs some text"):
			arguments.message_content(bad)
	with pytest.raises(ArgumentError, match="at most"):
		arguments.message_content("x" * (arguments.MAX_MESSAGE_LENGTH + 1))


@pytest.mark.parametrize(
	"value, expected",
	[
		("vip, billing", ["vip", "billing"]),
		('["vip","vip"," b2b "]', ["vip", "b2b"]),
		(["vip"], ["vip"]),
		(("a", "b"), ["a", "b"]),
	],
)
def test_labels(value, expected):
	assert arguments.labels(value) == expected


@pytest.mark.parametrize(
	"value, fragment",
	[
		("", "at least one"),
		(" , ", "at least one"),
		("[not json", "not a valid JSON"),
		(5, "list of label"),
		({"a": 1}, "list of label"),
	],
)
def test_labels_refused(value, fragment):
	with pytest.raises(ArgumentError, match=fragment):
		arguments.labels(value)


# Presentation


def test_secrets_are_scrubbed_at_any_depth():
	data = {
		"id": 1,
		"access_token": "t",
		"contact_inbox": {"pubsub_token": "p", "source_id": "s"},
		"inboxes": [{"hmac_token": "h", "name": "Web"}],
		"webhook": {"Secret": "x", "url": "u"},
	}
	assert scrub_secrets(data) == {
		"id": 1,
		"contact_inbox": {"source_id": "s"},
		"inboxes": [{"name": "Web"}],
		"webhook": {"url": "u"},
	}


def test_links_into_chatwoot():
	assert dashboard_url("https://c.example", 3) == "https://c.example/app/accounts/3/dashboard"
	assert conversation_url("https://c.example", 3, 58) == "https://c.example/app/accounts/3/conversations/58"


def test_conversation_summary():
	summary = conversation_summary(
		webhook_payload("conversation_updated"), "https://c.example", 3, "Jane Doe"
	)
	assert summary["id"] == 58 and summary["status"] == "open"
	assert (summary["contact_name"], summary["contact_email"], summary["erpnext_contact"]) == (
		"Jane Doe",
		"jane.doe@example.com",
		"Jane Doe",
	)
	assert summary["assignee"] == "Ravi Kumar"
	assert summary["last_message"].startswith("Hi, could you tell me")
	assert summary["last_message_type"] == "incoming"
	assert summary["chatwoot_url"] == "https://c.example/app/accounts/3/conversations/58"
	assert summary["identity_verified"] is True


def test_summary_of_a_sparse_conversation():
	summary = conversation_summary({"id": 9}, "https://c.example", 3)
	assert summary["id"] == 9 and summary["last_message"] == "" and summary["contact_name"] is None


def test_long_messages_are_shortened_in_lists():
	data = {
		**webhook_payload("conversation_created"),
		"messages": [{"content": "word " * 100, "message_type": 0}],
	}
	assert len(conversation_summary(data, "https://c.example", 3)["last_message"]) <= 160


# Error messages


@pytest.mark.parametrize(
	"error, kind, fragment",
	[
		(AuthenticationError("x", status=401), "token", "rejected the access token"),
		(ForbiddenError("x", status=401), "forbidden", "administrator"),
		(
			AccountAccessError("x", status=401, detail="You are not authorized to access this account"),
			"account",
			"member of it",
		),
		(NotPermissibleError("x", status=401), "not_permissible", "created or was given"),
		(NotFoundError("x", status=404), "not_found", "no such record"),
		(
			ValidationError("x", status=422, detail="Email has already been taken"),
			"invalid",
			"Email has already been taken",
		),
		(RateLimitError("x", status=429), "unavailable", "rate limiting"),
		(ChatwootConnectionError("x"), "unavailable", "unreachable at https://chat.example.com"),
		(ServerError("x", status=503), "unavailable", "try again later"),
		(ChatwootError("odd"), "failed", "odd"),
	],
)
def test_errors_as_people_read_them(error, kind, fragment):
	got_kind, message = describe_for_user(error, "https://chat.example.com")
	assert got_kind == kind and fragment in message


# Stages


def test_each_stage_switches_on_exactly_its_features():
	for stage, flags in STAGES.items():
		assert stage_of(flags) == stage
	assert not is_enabled(STAGES["api"], Feature.SYNC)
	assert is_enabled(STAGES["sync"], Feature.MESSAGE_SYNC)


def test_off_touches_only_the_master_switch_so_on_again_restores_the_stage():
	before = STAGES["sync"]
	after = {**before, **STAGES["off"]}
	assert stage_of(after) == "off"
	assert stage_of({**after, "enabled": 1}) == "sync"


def test_enabled_with_nothing_on():
	assert stage_of({"enabled": 1}) == "enabled, nothing switched on"


def test_later_stages_need_more_checks():
	assert set(STAGE_CHECKS["dashboard"]) < set(STAGE_CHECKS["api"]) < set(STAGE_CHECKS["sync"])
	assert STAGE_CHECKS["off"] == ()


def passing(*names: str) -> dict:
	return {name: Check(name, True, "ok") for name in names}


def test_a_stage_waits_for_every_account_and_says_which_one_fails():
	site = passing("reachable", "workers", "scheduler", "scheduled_jobs")
	good = passing("token", "account", "webhook", "secret")
	no_webhook = {**good, "webhook": Check("webhook", False, "no webhook")}
	assert stage_blockers("sync", site, {3: good}) == []
	assert stage_blockers("sync", site, {3: good, 4: good}) == []
	[failing] = stage_blockers("sync", site, {3: good, 4: no_webhook})
	assert (failing.name, failing.detail) == ("webhook (account 4)", "no webhook")
	assert [c.name for c in stage_blockers("sync", site, {3: no_webhook})] == ["webhook"]  # one: no id
	assert stage_blockers("api", site, {3: good, 4: no_webhook}) == []  # the API stage needs no webhook


def test_a_site_check_that_fails_is_said_once_whatever_the_accounts():
	site = {
		**passing("reachable", "workers", "scheduled_jobs"),
		"scheduler": Check("scheduler", False, "off"),
	}
	good = passing("token", "account", "webhook", "secret")
	assert [c.name for c in stage_blockers("sync", site, {3: good, 4: good})] == ["scheduler"]


# The doctor's checks


ADMIN = {"email": "ada@acme.example", "accounts": [{"id": 3, "role": "administrator"}]}
SITE = "https://erp.example.com/api/method/chat_bridge.webhook.handle"
WEBHOOK = {"id": 5, "url": SITE, "subscriptions": list(WEBHOOK_EVENTS), "secret": "s3cret"}


def test_reachable():
	assert check_reachable("https://c.example", None).ok
	failed = check_reachable("https://c.example", "ConnectionError")
	assert not failed.ok and "did not answer" in failed.detail and failed.fix
	assert "no Chatwoot URL" in check_reachable(None, None).detail


@pytest.mark.parametrize(
	"profile, error, ok, fragment",
	[
		(ADMIN, None, True, "administrator of account 3"),
		(
			{"email": "sam@x", "accounts": [{"id": 3, "role": "agent"}]},
			None,
			False,
			"is an agent, not an administrator",
		),
		(
			{"email": "sam@x", "accounts": [{"id": 9, "role": "administrator"}]},
			None,
			False,
			"not a member of account 3",
		),
		(None, "token", False, "rejects the API Access Token"),
		(None, "missing", False, "no API Access Token"),
		(None, "unavailable", False, "could not check"),
	],
)
def test_token(profile, error, ok, fragment):
	check = check_token(profile, error, 3)
	assert check.ok is ok and fragment in check.detail
	assert check.ok or check.fix


def test_account():
	assert check_account({"name": "Acme"}, None, 3).ok
	assert "Fix the Account ID" in check_account(None, "not_found", 3).fix
	assert check_account(None, "missing", None).detail == "no Account ID is set"
	assert check_account(None, "missing", 3).detail == "account 3 was not checked: no API Access Token is set"


def test_webhook_found_by_url_even_with_a_legacy_token():
	assert find_site_webhook([{"url": "https://x"}, {**WEBHOOK, "url": SITE + "?token=abc"}], SITE)["id"] == 5
	assert find_site_webhook([{"url": "https://other"}], SITE) is None


def test_the_webhook_registered_from_here_is_found_by_its_id_wherever_it_posts():
	registered = {
		**WEBHOOK,
		"id": 9,
		"url": "http://erp.localhost:8001/api/method/chat_bridge.webhook.handle",
	}
	webhooks = [{**WEBHOOK, "id": 5}, registered]
	assert find_site_webhook(webhooks, SITE, webhook_id=9)["id"] == 9
	assert find_site_webhook(webhooks, SITE, webhook_id=77)["id"] == 5  # deleted in Chatwoot: by URL


def test_webhook_checks():
	assert check_webhook(WEBHOOK, SITE, None).ok
	missing = check_webhook({**WEBHOOK, "subscriptions": ["message_created"]}, SITE, None)
	assert not missing.ok and "contact_created" in missing.detail and "register-webhook" in missing.fix
	assert "no webhook in Chatwoot posts to" in check_webhook(None, SITE, None).detail
	assert "could not list" in check_webhook(None, SITE, "forbidden").detail


def test_a_guessed_address_is_called_a_guess_and_the_fix_gives_the_url_form():
	guessed = check_webhook(None, SITE, None, "bench --site erp.localhost", guessed=True)
	assert "guess" in guessed.detail
	assert (
		"`bench --site erp.localhost chatwoot register-webhook --url https://<address>"
		"/api/method/chat_bridge.webhook.handle`" in guessed.fix
	)
	assert "--url" not in check_webhook(None, SITE, None).fix  # a registered or given address


def test_secret_checks():
	assert check_secret(WEBHOOK, "s3cret", False).ok
	assert "differs" in check_secret(WEBHOOK, "other", False).detail
	assert not check_secret({**WEBHOOK, "secret": None}, None, False).ok
	assert check_secret({**WEBHOOK, "secret": None}, None, True).ok


def test_workers_and_scheduler():
	assert check_workers(2).ok and not check_workers(0).ok
	assert check_scheduler(True).ok and "enable-scheduler" in check_scheduler(False).fix


def test_blockers_name_what_to_fix_for_the_stage():
	checks = {
		"reachable": Check("reachable", True, "ok"),
		"token": Check("token", True, "ok"),
		"account": Check("account", True, "ok"),
		"webhook": Check("webhook", False, "missing", "register"),
	}
	assert blockers("api", checks) == []
	names = [c.name for c in blockers("sync", checks)]
	assert names == ["webhook", "secret", "workers", "scheduler", "scheduled_jobs"]
	assert blockers("off", {}) == []
	with pytest.raises(ValueError):
		blockers("everything", checks)


NOW = datetime(2026, 12, 1, 12, 0)
JOBS = {"app.retry": "*/5 * * * *", "app.purge": "daily"}


def jobs(**last_runs) -> dict:
	return {
		method: ScheduledJob(method, stopped=False, last_execution=last_runs.get(method.split(".")[1], NOW))
		for method in JOBS
	}


def test_scheduled_jobs_that_ran_lately_pass():
	check = check_scheduled_jobs(JOBS, jobs(), NOW, "bench --site erp.localhost")
	assert (check.verdict, check.detail) == (
		"PASS",
		"all 2 of the app's jobs have run lately: purge at 2026-12-01 12:00, retry at 2026-12-01 12:00",
	)


def test_the_apps_scheduled_methods_are_read_from_its_hooks():
	from chat_bridge import hooks

	methods = scheduled_methods(hooks.scheduler_events)
	assert methods["chat_bridge.pull.reconcile.reconcile"] == "*/5 * * * *"
	assert methods["chat_bridge.webhook.retries.purge_old_events"] == "daily"
	assert scheduled_methods({"cron": {"0 * * * *": ["a.b"]}, "hourly": ["c.d"]}) == {
		"a.b": "0 * * * *",
		"c.d": "hourly",
	}


def test_a_missing_scheduled_job_fails_with_migrate_for_this_site():
	check = check_scheduled_jobs(JOBS, {"app.purge": jobs()["app.purge"]}, NOW, "bench --site erp.localhost")
	assert check.verdict == "FAIL" and "app.retry" in check.detail
	assert check.fix == "Run `bench --site erp.localhost migrate`, which creates the app's scheduled jobs."


def test_a_stopped_or_late_job_fails_and_one_that_never_ran_warns():
	stopped = {**jobs(), "app.retry": ScheduledJob("app.retry", stopped=True, last_execution=NOW)}
	assert check_scheduled_jobs(JOBS, stopped, NOW).detail == "stopped: app.retry"
	late = check_scheduled_jobs(JOBS, jobs(retry=NOW - timedelta(minutes=16)), NOW)
	assert late.verdict == "FAIL" and late.detail == "not run lately: app.retry (last 2026-12-01 11:44)"
	assert check_scheduled_jobs(JOBS, jobs(retry=NOW - timedelta(minutes=14)), NOW).verdict == "PASS"
	assert check_scheduled_jobs(JOBS, jobs(purge=None), NOW).verdict == "WARN"


def test_tracebacks_shown_to_guests_are_a_warning_that_names_the_setting():
	check = check_guest_errors(True)
	assert check.verdict == "WARN" and check.ok
	assert "Show Full Error" in check.detail and "Uncheck System Settings" in check.fix
	assert check_guest_errors(False).verdict == "PASS"
	assert check.line().startswith("WARN  guest_errors: the site shows Python tracebacks to guests")


def test_fixes_name_the_site_never_an_html_like_placeholder():
	for check in (
		check_webhook(None, SITE, None, "bench --site erp.localhost"),
		check_secret(WEBHOOK, "other", False, "bench --site erp.localhost"),
		check_scheduler(False, "bench --site erp.localhost"),
	):
		assert "bench --site erp.localhost " in check.fix and "<" not in check.fix
	assert "<" not in check_webhook(None, SITE, None).fix


def test_a_run_of_refused_deliveries_fails_with_what_to_do():
	refusals = [
		Refusal(NOW - timedelta(minutes=minutes), "Invalid webhook signature: the signature does not match.")
		for minutes in (90, 30, 20, 5)
	]
	assert check_refusals(refusals[:3], NOW).verdict == "PASS"  # one of them is older than the hour
	check = check_refusals(refusals, NOW, "bench --site erp.localhost")
	assert check.verdict == "FAIL"
	assert check.detail == (
		"3 deliveries refused as unauthenticated in the last hour; the last at 2026-12-01 11:55: "
		"Invalid webhook signature: the signature does not match."
	)
	assert "`bench --site erp.localhost chatwoot register-webhook`" in check.fix


def test_check_line_shows_the_fix_only_when_failing():
	assert Check("token", True, "valid", "never shown").line() == "PASS  token: valid"
	assert (
		Check("token", False, "bad", "copy it again").line() == "FAIL  token: bad\n      fix: copy it again"
	)


WIDGET_INBOX = {
	"id": 7,
	"name": "Acme Website",
	"website_token": "widget-token",
	"hmac_mandatory": True,
}


@pytest.mark.parametrize(
	"args, verdict, fragment",
	[
		((False, None, False, None, "missing"), "PASS", "off"),
		((True, None, False, [WIDGET_INBOX], None), "FAIL", "no Widget Website Token"),
		((True, "widget-token", True, None, "missing"), "WARN", "was not checked (missing)"),
		((True, "other-token", True, [WIDGET_INBOX], None), "FAIL", "no website inbox"),
		((True, "widget-token", False, [WIDGET_INBOX], None), "WARN", "visitors are not identified"),
		(
			(True, "widget-token", True, [WIDGET_INBOX], None, False),
			"FAIL",
			"is not inbox 7 (Acme Website)'s",
		),
		(
			(True, "widget-token", True, [{**WIDGET_INBOX, "hmac_mandatory": False}], None, True),
			"FAIL",
			"does not enforce identity validation",
		),
		((True, "widget-token", True, [WIDGET_INBOX], None, True), "PASS", "identity validation enforced"),
		((True, "widget-token", True, [WIDGET_INBOX], None, None), "PASS", "identity validation enforced"),
	],
)
def test_widget_checks(args, verdict, fragment):
	check = check_widget(*args)
	assert check.name == "widget" and check.verdict == verdict
	assert fragment in check.detail
	assert check.ok or check.fix


# Where Chatwoot may post


@pytest.mark.parametrize(
	"addresses, public",
	[
		(["127.0.0.1"], False),
		(["10.1.2.3", "192.168.1.9"], False),
		(["169.254.169.254"], False),
		(["100.64.0.1"], False),  # shared address space, refused by Chatwoot's filter too
		(["::1"], False),
		(["fe80::1%eth0"], False),
		(["::ffff:10.0.0.1"], False),
		(["93.184.215.14"], True),
		(["10.0.0.1", "2606:4700::6810:84e5"], True),  # one public address is enough
	],
)
def test_chatwoot_posts_only_to_a_public_address(addresses, public):
	check = check_delivery_address("http://erp.example:8000/api/method/x", addresses)
	assert check.ok  # a warning: Chatwoot may run with private networks allowed
	assert check.warning is not public
	if not public:
		assert "SAFE_FETCH_ALLOW_PRIVATE_NETWORK=true" in check.detail + check.fix
		assert "--url" in check.fix


def test_an_address_that_does_not_resolve_is_a_warning():
	check = check_delivery_address("http://erp.internal/api", None)
	assert check.warning and "erp.internal" in check.detail
