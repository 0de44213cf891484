import pytest

from chat_bridge.chatwoot.errors import ConfigurationError
from chat_bridge.chatwoot.urls import normalize_base_url, parse_account_id


@pytest.mark.parametrize(
	"raw, expected",
	[
		("https://chat.example.com", "https://chat.example.com"),
		("https://chat.example.com/", "https://chat.example.com"),
		("  HTTPS://Chat.Example.com//  ", "https://chat.example.com"),
		("http://localhost:3000", "http://localhost:3000"),
		("http://127.0.0.1:3000/", "http://127.0.0.1:3000"),
		("http://[::1]:3000", "http://[::1]:3000"),
	],
)
def test_normalizes(raw, expected):
	assert normalize_base_url(raw) == expected


@pytest.mark.parametrize(
	"raw, reason",
	[
		("", "empty"),
		("chat.example.com", "http:// or https://"),
		("ftp://chat.example.com", "http:// or https://"),
		("javascript:alert(1)", "http:// or https://"),
		("https://user:secret@chat.example.com", "user name or password"),
		("https://chat.example.com/app/accounts/3/dashboard", "address of the installation only"),
		("https://chat.example.com?x=1", "address of the installation only"),
		("https://chat.example.com#top", "address of the installation only"),
		("https://:443", "no host name"),
		("https://chat.example.com:99999", "invalid port"),
	],
)
def test_refuses_with_reason(raw, reason):
	with pytest.raises(ConfigurationError, match=reason):
		normalize_base_url(raw)


def test_credentials_never_echoed():
	with pytest.raises(ConfigurationError) as info:
		normalize_base_url("https://user:hunter2@chat.example.com")
	assert "hunter2" not in str(info.value)


@pytest.mark.parametrize("value, expected", [(3, 3), ("3", 3), (" 12 ", 12)])
def test_account_id(value, expected):
	assert parse_account_id(value) == expected


@pytest.mark.parametrize("value", [0, -1, "0", "abc", "1.5", "", None, True, "²", 2.0])
def test_account_id_refused(value):
	with pytest.raises(ConfigurationError, match="positive whole number"):
		parse_account_id(value)
