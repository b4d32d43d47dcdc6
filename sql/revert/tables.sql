-- Revert tasklib:tables
BEGIN;

DROP FUNCTION tasklib._failures_after(jsonb, integer, text, timestamptz, text);
DROP FUNCTION tasklib._bucket_ready_at(double precision, integer, double precision);
DROP FUNCTION tasklib._bucket_level(double precision, timestamptz, integer, double precision, integer);
DROP TABLE tasklib.unique_windows;
DROP TABLE tasklib.queue_waits;
DROP TABLE tasklib.queue_keys;
DROP TABLE tasklib.queues;
DROP TABLE tasklib.tasks;
DROP TABLE tasklib.task_types;
DROP FUNCTION tasklib._state_after_attempt(text, timestamptz);
DROP FUNCTION tasklib.is_terminal(text, integer, integer);
DROP FUNCTION tasklib.task_defaults();
DROP TYPE tasklib.task_options;
DROP FUNCTION tasklib.limits();
DROP TYPE tasklib.limit_values;
DROP FUNCTION tasklib._uuid_v7_step(uuid, bigint);
DROP FUNCTION tasklib._uuid_v7();

COMMIT;
