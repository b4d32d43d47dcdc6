-- Revert tasklib:tables
BEGIN;

DROP TABLE tasklib.tasks;
DROP TABLE tasklib.task_types;

COMMIT;
