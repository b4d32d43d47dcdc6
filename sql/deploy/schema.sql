-- Deploy tasklib:schema
-- Creates the schema that holds every TaskLib object. Cheap: no data is touched.
BEGIN;

CREATE SCHEMA IF NOT EXISTS tasklib;
COMMENT ON SCHEMA tasklib IS 'TaskLib: a PostgreSQL-backed task queue. Public API: the functions and views in this schema.';

COMMIT;
