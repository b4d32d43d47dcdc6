-- _uuid_v7 gives version-7 UUIDs whose first 48 bits are the Unix time in milliseconds, so ids
-- sort by creation time; the other bits stay random and unique.
BEGIN;
SELECT plan(7);

SELECT has_function('tasklib', '_uuid_v7', ARRAY[]::text[], '_uuid_v7() exists');
SELECT isnt(obj_description('tasklib._uuid_v7()'::regprocedure, 'pg_proc'), NULL, '_uuid_v7 has a comment');

CREATE TEMP TABLE span AS SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint AS first_ms;
CREATE TEMP TABLE ids AS SELECT g AS n, tasklib._uuid_v7() AS id FROM generate_series(1, 1000) g;
ALTER TABLE span ADD COLUMN last_ms bigint DEFAULT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint;

SELECT is((SELECT count(DISTINCT substr(id::text, 15, 1)) FROM ids)::int, 1, 'one version digit for all');
SELECT is((SELECT min(substr(id::text, 15, 1)) FROM ids), '7', 'the version digit is 7');
SELECT ok((SELECT bool_and(substr(id::text, 20, 1) IN ('8', '9', 'a', 'b')) FROM ids), 'the variant is RFC 9562''s');
SELECT is((SELECT count(DISTINCT id) FROM ids)::int, 1000, '1,000 calls give 1,000 different ids');
-- The leading 48 bits hold the milliseconds of the moment the id was made.
SELECT ok((SELECT bool_and(('x' || lpad(replace(left(i.id::text, 13), '-', ''), 16, '0'))::bit(64)::bigint
                           BETWEEN s.first_ms AND s.last_ms) FROM ids i, span s),
    'the first 48 bits are the Unix time in milliseconds');

SELECT * FROM finish();
ROLLBACK;
