-- Verify tasklib:retention
BEGIN;

SELECT 'tasklib.purge_all'::regproc, 'tasklib.purge_workers'::regproc;

ROLLBACK;
