-- Verify tasklib:schema
BEGIN;

SELECT pg_catalog.has_schema_privilege('tasklib', 'usage');

ROLLBACK;
