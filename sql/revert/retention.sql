-- Revert tasklib:retention
BEGIN;

DROP PROCEDURE tasklib.purge_all;
DROP FUNCTION tasklib.purge_workers;

COMMIT;
