-- Revert tasklib:schema
BEGIN;

DROP SCHEMA tasklib;

COMMIT;
