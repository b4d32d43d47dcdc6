-- Verify tasklib:task_type_registry
BEGIN;

SELECT 'tasklib.register_task_type'::regproc;

ROLLBACK;
