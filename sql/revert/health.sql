-- Revert tasklib:health
BEGIN;

DROP VIEW tasklib.health_expired_leases;
DROP VIEW tasklib.health_workers;
DROP VIEW tasklib.health_tasks_indexes;
DROP VIEW tasklib.health_tasks_table;
DROP VIEW tasklib.health_xmin_holders;
DROP VIEW tasklib.health_sessions;
DROP VIEW tasklib.queue_depth;

COMMIT;
