"""/chatwoot-app: the customer card, framed by Chatwoot as a Dashboard App.

The page itself holds no data: what it shows is asked for by its script, as the viewer.
"""

import json

from chat_bridge.features import Feature
from chat_bridge.frame_headers import chatwoot_origin
from chat_bridge.settings import feature_enabled, get_settings

no_cache = 1


def get_context(context):
	context.no_header = context.no_breadcrumbs = True
	context.card_config = json.dumps(
		{
			"enabled": feature_enabled(Feature.CHATWOOT_APP),
			"chatwoot_origin": chatwoot_origin(get_settings().chatwoot_url),
		}
	).replace("</", "<\\/")
