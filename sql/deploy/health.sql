-- Deploy tasklib:health
-- Views that name what hurts a queue (read by `tasklib doctor`) and the per-queue gauges that
-- the Prometheus metrics read once per scrape. Nothing on the write path: each costs only when
-- read. queue_depth reads through the claim and lease indexes (pending, failed-with-retry and
-- running rows only, never the finished history); the health_* views read the statistics
-- views, the catalogs, tasklib.workers, and at most 10 000 rows of tasklib.tasks.
-- pg_stat_activity shows other users' sessions in full only to superusers and members of
-- pg_read_all_stats (pg_monitor): see docs/operations.md ("Health checks").
BEGIN;

-- One row per queue that has tasks due, waiting for a later time, or running.
CREATE VIEW tasklib.queue_depth AS
SELECT t.queue,
       count(*) FILTER (WHERE t.run_at <= now()) AS due,
       extract(epoch FROM now() - min(t.run_at) FILTER (WHERE t.run_at <= now()))::float8 AS oldest_due_seconds,
       count(*) FILTER (WHERE t.state = 'running') AS running,
       count(*) FILTER (WHERE t.run_at > now()) AS scheduled
  FROM tasklib.tasks t
 WHERE t.run_at IS NOT NULL OR t.state = 'running'
 GROUP BY t.queue
 ORDER BY t.queue;
COMMENT ON VIEW tasklib.queue_depth IS
    'One row per queue with unfinished tasks: due now, how long the oldest due one has waited (seconds), running, scheduled for later. What the metrics export per scrape.';

-- Sessions of this database inside a transaction or holding a snapshot: an old one keeps
-- vacuum from removing the dead rows that every complete, fail and claim leaves behind.
CREATE VIEW tasklib.health_sessions AS
SELECT a.pid,
       a.usename::text AS user_name,
       a.application_name,
       a.client_addr::text AS client_addr,
       a.state,
       now() - a.xact_start AS transaction_age,
       now() - a.state_change AS state_age,
       pg_catalog.age(a.backend_xmin) AS xmin_age,
       a.wait_event_type,
       left(a.query, 200) AS last_query
  FROM pg_catalog.pg_stat_activity a
 WHERE a.datname = current_database()
   AND a.pid <> pg_catalog.pg_backend_pid()
   AND a.backend_type = 'client backend'
   AND (a.xact_start IS NOT NULL OR a.backend_xmin IS NOT NULL)
 ORDER BY a.xact_start NULLS LAST;
COMMENT ON VIEW tasklib.health_sessions IS
    'Sessions of this database in a transaction or holding a snapshot (backend_xmin): pid, user, application_name, state, transaction_age, xmin_age (transactions), last query. Without pg_read_all_stats, other users'' sessions show NULL ages.';

-- Everything that holds back the xmin horizon: sessions, replication slots, prepared
-- transactions. xmin_age counts transactions since the oldest one it still needs.
CREATE VIEW tasklib.health_xmin_holders AS
SELECT 'session'::text AS kind, s.pid::text AS holder, s.application_name AS detail,
       s.xmin_age, s.transaction_age AS age
  FROM tasklib.health_sessions s
 WHERE s.xmin_age IS NOT NULL
UNION ALL
SELECT 'replication_slot', r.slot_name::text,
       r.slot_type || CASE WHEN r.active THEN ', active' ELSE ', inactive' END,
       greatest(pg_catalog.age(r.xmin), pg_catalog.age(r.catalog_xmin)), NULL::interval
  FROM pg_catalog.pg_replication_slots r
 WHERE r.xmin IS NOT NULL OR (r.catalog_xmin IS NOT NULL AND r.database = current_database())
UNION ALL
SELECT 'prepared_transaction', p.gid, p.owner::text, pg_catalog.age(p.transaction), now() - p.prepared
  FROM pg_catalog.pg_prepared_xacts p
 WHERE p.database = current_database();
COMMENT ON VIEW tasklib.health_xmin_holders IS
    'What holds back vacuum''s horizon: sessions (pid), replication slots (slot name) and prepared transactions (gid), with xmin_age in transactions and age in time.';

-- tasklib.tasks: live and dead rows, vacuum times, size, and a bloat estimate: the bytes
-- beyond what its live rows need (average row size from the first 10 000 rows).
CREATE VIEW tasklib.health_tasks_table AS
SELECT s.n_live_tup AS live_rows,
       s.n_dead_tup AS dead_rows,
       s.last_vacuum,
       s.last_autovacuum,
       s.autovacuum_count,
       pg_catalog.pg_relation_size(s.relid) AS table_bytes,
       pg_catalog.pg_indexes_size(s.relid) AS index_bytes,
       greatest(0, pg_catalog.pg_relation_size(s.relid)
                   - ceil(s.n_live_tup * (coalesce(w.row_bytes, 0) + 4) / 8168.0) * 8192
                   - 8192)::bigint AS estimated_bloat_bytes
  FROM pg_catalog.pg_stat_user_tables s
 CROSS JOIN (SELECT avg(pg_catalog.pg_column_size(f.*)) AS row_bytes
               FROM (SELECT * FROM tasklib.tasks LIMIT 10000) f) w
 WHERE s.relid = 'tasklib.tasks'::regclass;
COMMENT ON VIEW tasklib.health_tasks_table IS
    'tasklib.tasks: live and dead rows (pg_stat_user_tables), last (auto)vacuum, table and index bytes, and the estimated bloat: bytes beyond what the live rows need.';

-- Each index of tasklib.tasks: its size and a bloat estimate from its entries (reltuples, as
-- of the last vacuum or analyze) and its key widths (32 bytes assumed for a text key).
CREATE VIEW tasklib.health_tasks_indexes AS
SELECT c.relname::text AS index_name,
       pg_catalog.pg_relation_size(i.indexrelid) AS index_bytes,
       greatest(c.reltuples, 0)::bigint AS entries,
       CASE WHEN am.amname = 'btree' THEN
           greatest(0, pg_catalog.pg_relation_size(i.indexrelid)
                       - ceil(greatest(c.reltuples, 0) * (ceil((8 + w.key_bytes) / 8.0) * 8 + 4)
                              / 0.9 / 8168.0) * 8192
                       - 8192)::bigint
       END AS estimated_bloat_bytes
  FROM pg_catalog.pg_index i
  JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
  JOIN pg_catalog.pg_am am ON am.oid = c.relam
 CROSS JOIN LATERAL (
        SELECT sum(CASE WHEN k.attnum = 0 THEN 16 WHEN a.attlen > 0 THEN a.attlen ELSE 32 END) AS key_bytes
          FROM unnest(i.indkey::int2[]) AS k(attnum)
          LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum) w
 WHERE i.indrelid = 'tasklib.tasks'::regclass
 ORDER BY c.relname;
COMMENT ON VIEW tasklib.health_tasks_indexes IS
    'Each index of tasklib.tasks: bytes, entries, and for btree indexes the estimated bloat (bytes beyond what its entries need at 90% leaf fill).';

-- Workers and their heartbeats: stale = not heard from in the last minute.
CREATE VIEW tasklib.health_workers AS
SELECT w.worker AS worker_id,
       w.last_seen_at,
       now() - w.last_seen_at AS since_last_heartbeat,
       w.last_seen_at < now() - interval '1 minute' AS stale,
       (SELECT count(*) FROM tasklib.tasks t WHERE t.state = 'running' AND t.worker_id = w.worker) AS running_tasks
  FROM tasklib.workers w
 ORDER BY w.last_seen_at;
COMMENT ON VIEW tasklib.health_workers IS
    'Each registered worker: its last heartbeat, how long ago, stale (more than a minute) and the tasks it holds running.';

-- Running tasks whose lease ran out: their worker is gone, and until some worker's claim
-- recovers them (recover_expired) nobody runs them.
CREATE VIEW tasklib.health_expired_leases AS
SELECT t.queue, t.name, count(*) AS tasks, now() - min(t.locked_until) AS longest_past_lease,
       array_agg(DISTINCT t.worker_id) AS workers
  FROM tasklib.tasks t
 WHERE t.state = 'running' AND t.locked_until < now()
 GROUP BY t.queue, t.name
 ORDER BY 4 DESC;
COMMENT ON VIEW tasklib.health_expired_leases IS
    'Running tasks past their lease, per queue and name: how many, the longest time past, and the workers that held them.';

COMMIT;
