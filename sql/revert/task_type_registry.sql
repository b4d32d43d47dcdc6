-- Revert tasklib:task_type_registry
BEGIN;

DROP FUNCTION tasklib.register_task_type;

COMMIT;
