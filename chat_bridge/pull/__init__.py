"""Pulling from Chatwoot's API what webhooks did not bring: the backfill and the reconciliation.

Chatwoot drops a delivery it could not make, so webhooks alone leave gaps. Both paths here write
through the same functions as the webhook handlers, which find records before creating them and
are guarded by unique keys: running a pull twice, or while webhooks arrive, creates nothing twice.
Each conversation (with its messages) is its own transaction, so a failure loses one item, not the run.
"""
