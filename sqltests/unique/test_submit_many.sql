-- submit_many deduplicates like submit, within the batch too; the helpers are private.
BEGIN;
SELECT plan(5);

DELETE FROM tasklib.tasks;
CREATE TEMP TABLE many AS
SELECT * FROM tasklib.submit_many('[{"name": "sqltest.m", "unique_key": "a"}, {"name": "sqltest.m", "unique_key": "a"},
                                    {"name": "sqltest.m", "unique_key": "b"}, {"name": "sqltest.m"}]') WITH ORDINALITY AS m(id, ord);
SELECT is((SELECT count(*)::int FROM many), 4, 'an id per element');
SELECT is((SELECT count(DISTINCT id)::int FROM many), 3, 'a key repeated in the batch is one task');
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE name = 'sqltest.m'), 3, 'three tasks');
SELECT throws_ok($$SELECT tasklib.submit_many('[{"name": "sqltest.m"}, {"name": "sqltest.m", "unique_key": "a", "on_conflict": "raise"}]')$$,
    'TL007', NULL, 'a conflict with raise fails the batch, TL007');
SELECT is_empty(
    $$SELECT f FROM unnest(ARRAY['tasklib._unique_key_of(jsonb, text[])',
                                 'tasklib._unique_conflict(uuid, text, text, text, jsonb, jsonb, integer, double precision)']) AS f,
                  unnest(ARRAY['tasklib_producer', 'tasklib_worker', 'tasklib_monitor', 'tasklib_admin', 'public']) AS r
       WHERE has_function_privilege(r, f, 'EXECUTE')$$,
    'no role may call the deduplication helpers');

SELECT * FROM finish();
ROLLBACK;
