-- 0002: sent rows are purged by age (Store::purge_sent); index them by state and sent_at.
-- A shipped migration is never edited: add 0003_*.sql instead.

CREATE INDEX outbox_sent ON outbox (state, sent_at);
