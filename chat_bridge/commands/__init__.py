"""`bench --site <site> chatwoot …`: Chat Bridge from the command line.

Bench imports this package on every command it runs, so each command imports its work inside it;
the modules here hold the commands by what they act on, and the writes only they make.
"""

from chat_bridge.commands import agents, registration, rollout, sync
from chat_bridge.commands.group import chatwoot

__all__ = ["agents", "registration", "rollout", "sync"]

commands = [chatwoot]
