-- Revert tasklib:tables
BEGIN;

DROP TABLE tasklib.tasks;
DROP TABLE tasklib.task_types;
DROP FUNCTION tasklib.is_terminal(text, integer, integer);
DROP FUNCTION tasklib.task_defaults();
DROP TYPE tasklib.task_options;
DROP FUNCTION tasklib.limits();
DROP TYPE tasklib.limit_values;
DROP FUNCTION tasklib._uuid_v7_step(uuid, bigint);
DROP FUNCTION tasklib._uuid_v7();

COMMIT;
