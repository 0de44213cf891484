import pytest

from chat_bridge.features import (
	MASTER_FLAG,
	Feature,
	configuration_problems,
	first_disabled_flag,
	is_enabled,
	required_flags,
)

ALL_ON = {
	"enabled": 1,
	"enable_dashboard": 1,
	"enable_api": 1,
	"enable_sync": 1,
	"enable_contact_sync": 1,
	"enable_conversation_sync": 1,
	"enable_message_sync": 1,
}


@pytest.mark.parametrize("feature", list(Feature))
def test_every_feature_is_on_when_all_flags_are(feature):
	assert is_enabled(
		{**ALL_ON, "enable_widget": 1, "enable_chatwoot_app": 1, "enable_documents": 1}, feature
	)


@pytest.mark.parametrize("feature", list(Feature))
def test_master_switch_turns_everything_off(feature):
	flags = {**ALL_ON, "enable_widget": 1, "enable_chatwoot_app": 1, "enable_documents": 1, MASTER_FLAG: 0}
	assert not is_enabled(flags, feature)
	assert first_disabled_flag(flags, feature) == MASTER_FLAG


@pytest.mark.parametrize("feature", [Feature.CONTACT_SYNC, Feature.CONVERSATION_SYNC, Feature.MESSAGE_SYNC])
def test_sync_sub_flags_need_enable_sync(feature):
	flags = {**ALL_ON, "enable_sync": 0}
	assert not is_enabled(flags, feature)
	assert first_disabled_flag(flags, feature) == "enable_sync"


def test_own_flag_off_keeps_only_that_feature_off():
	flags = {**ALL_ON, "enable_api": 0}
	assert not is_enabled(flags, Feature.API)
	assert is_enabled(flags, Feature.DASHBOARD)
	assert is_enabled(flags, Feature.MESSAGE_SYNC)


def test_missing_and_falsy_values_count_as_off():
	assert not is_enabled({}, Feature.DASHBOARD)
	assert not is_enabled({"enabled": "0" and 0, "enable_dashboard": None}, Feature.DASHBOARD)


def test_required_flags_are_listed_outermost_first():
	assert required_flags(Feature.MESSAGE_SYNC) == ("enabled", "enable_sync", "enable_message_sync")
	assert required_flags(Feature.DASHBOARD) == ("enabled", "enable_dashboard")


CONFIGURED = {
	"chatwoot_url": "https://chat.example.com",
	"account_id": 3,
	"api_access_token": "*****",
	"webhook_secret": "*****",
}


def test_everything_off_needs_no_configuration():
	assert configuration_problems({"enable_sync": 1, "enable_api": 1}) == []


def test_rollback_is_never_refused_for_missing_configuration():
	assert configuration_problems({**ALL_ON, "enabled": 0}) == []


def test_fully_configured_sync_passes():
	assert configuration_problems({**ALL_ON, **CONFIGURED}) == []


def test_dashboard_needs_url_and_account():
	problems = configuration_problems({"enabled": 1, "enable_dashboard": 1})
	assert problems == [
		"Chatwoot URL is required while Enable Dashboard is on.",
		"Chatwoot Account ID is required while Enable Dashboard is on.",
	]


def test_dashboard_alone_needs_no_token():
	assert (
		configuration_problems(
			{"enabled": 1, "enable_dashboard": 1, "chatwoot_url": "https://c.example", "account_id": 1}
		)
		== []
	)


def test_api_needs_an_administrator_token():
	settings = {"enabled": 1, "enable_api": 1, "chatwoot_url": "https://c.example", "account_id": 1}
	[problem] = configuration_problems(settings)
	assert "API Access Token is required while Enable API Access is on" in problem


def test_sync_without_secret_or_legacy_mode_says_what_to_do():
	settings = {**ALL_ON, **CONFIGURED, "webhook_secret": None}
	[problem] = configuration_problems(settings)
	assert "Webhook Secret is required while Enable Sync is on" in problem
	assert "Allow Unsigned Webhooks" in problem


def test_the_fix_names_the_site_it_is_for():
	settings = {**ALL_ON, **CONFIGURED, "webhook_secret": None}
	[problem] = configuration_problems(settings, "bench --site erp.localhost")
	assert "run `bench --site erp.localhost chatwoot register-webhook`" in problem
	[anywhere] = configuration_problems(settings)
	assert "`bench --site SITE chatwoot register-webhook`" in anywhere
	assert "<" not in anywhere  # Frappe's messages drop what looks like an HTML tag


def test_legacy_mode_replaces_the_secret_but_needs_its_token():
	settings = {**ALL_ON, **CONFIGURED, "webhook_secret": None, "allow_unsigned_webhooks": 1}
	[problem] = configuration_problems(settings)
	assert "no Webhook Token is set" in problem
	assert configuration_problems({**settings, "webhook_token": "*****"}) == []


def test_invalid_values_are_refused_even_while_off():
	problems = configuration_problems({"chatwoot_url": "ftp://chat.example.com", "account_id": -4})
	assert len(problems) == 2
	assert "http:// or https://" in problems[0]
	assert "positive whole number" in problems[1]


def test_all_problems_are_reported_at_once():
	problems = configuration_problems({**ALL_ON, "chatwoot_url": "https://c.example/app/accounts/1"})
	assert len(problems) == 4  # URL with a path, account id, token, webhook secret


def test_widget_needs_url_and_website_token_but_no_account_or_token():
	problems = configuration_problems({"enabled": 1, "enable_widget": 1})
	assert problems == [
		"Chatwoot URL is required while Enable Website Widget is on.",
		"A Widget Website Token is required while Enable Website Widget is on: copy it from the website "
		"inbox in Chatwoot (Settings → Inboxes → the inbox → Configuration).",
	]
	assert (
		configuration_problems(
			{
				"enabled": 1,
				"enable_widget": 1,
				"chatwoot_url": "https://chat.example.com",
				"widget_website_token": "t",
			}
		)
		== []
	)


def test_widget_on_listed_routes_needs_a_route():
	settings = {
		"enabled": 1,
		"enable_widget": 1,
		"chatwoot_url": "https://chat.example.com",
		"widget_website_token": "t",
		"widget_pages": "Listed routes",
		"widget_routes": "  \n",
	}
	assert configuration_problems(settings) == [
		"Show the Widget On is Listed routes, but Widget Routes lists none: add one a line, such as /contact."
	]
	assert configuration_problems({**settings, "widget_routes": "/contact"}) == []


def test_the_url_is_asked_for_once_whatever_needs_it():
	problems = configuration_problems(
		{"enabled": 1, "enable_widget": 1, "enable_dashboard": 1, "account_id": 3}
	)
	assert [p for p in problems if "Chatwoot URL" in p] == [
		"Chatwoot URL is required while Enable Dashboard is on."
	]
