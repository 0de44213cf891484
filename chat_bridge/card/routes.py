"""Where the customer card lives on the site: its page, its sign-in window and its methods."""

CARD_PAGE = "/chatwoot-app"
CARD_SIGN_IN_PAGE = "/chatwoot-app/sign-in"
CARD_METHODS = "/api/method/chat_bridge.card.api."
# The one card method a card token may not call: tokens come only from a real session.
CARD_SIGN_IN_METHOD = CARD_METHODS + "sign_in"
CARD_TOKEN_HEADER = "X-Chat-Bridge-Card"  # noqa: S105 -- a header name
# Where a frame on another site keeps its card token across Chatwoot's remounts (card.access).
CARD_COOKIE = "chat_bridge_card"
# A cookie's Path matches at "/" boundaries only: this is the narrowest one the card's methods share.
CARD_COOKIE_PATH = "/api/method"
