"""A mock Chatwoot 4.15: a real HTTP server on loopback that behaves as Chatwoot does for
everything chat_bridge relies on (CONFORMANCE.md says what, with Chatwoot's source lines)."""

from tests.mock_chatwoot_api.server import MockChatwoot

__all__ = ["MockChatwoot"]
