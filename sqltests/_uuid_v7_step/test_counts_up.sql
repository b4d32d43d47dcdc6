-- _uuid_v7_step gives a batch its ids from one random start: the low 62 bits count up, so the
-- ids are distinct and sort in step order, while the timestamp, version and variant stay.
BEGIN;
SELECT plan(8);

SELECT has_function('tasklib', '_uuid_v7_step', ARRAY['uuid', 'bigint'], '_uuid_v7_step(uuid, bigint) exists');
SELECT isnt(obj_description('tasklib._uuid_v7_step(uuid, bigint)'::regprocedure, 'pg_proc'), NULL,
    '_uuid_v7_step has a comment');

SELECT is(tasklib._uuid_v7_step('01a21fa3-15a5-7386-8000-000000000000', 5),
          '01a21fa3-15a5-7386-8000-000000000005'::uuid, 'step 5 adds 5 to the low bits');
SELECT is(tasklib._uuid_v7_step('01a21fa3-15a5-7386-a880-8e45a4c96ac0', 0),
          '01a21fa3-15a5-7386-a880-8e45a4c96ac0'::uuid, 'step 0 is the start itself');
SELECT is(tasklib._uuid_v7_step('01a21fa3-15a5-7386-bfff-ffffffffffff', 1),
          '01a21fa3-15a5-7386-8000-000000000000'::uuid,
          'the 62 counted bits wrap without touching the variant or the timestamp');

CREATE TEMP TABLE ids AS
SELECT g AS n, tasklib._uuid_v7_step(s.start, g) AS id
  FROM (SELECT tasklib._uuid_v7() AS start) s, generate_series(0, 9999) g;

SELECT is((SELECT count(DISTINCT id) FROM ids)::int, 10000, '10,000 steps give 10,000 different ids');
SELECT ok((SELECT bool_and(substr(id::text, 15, 1) = '7' AND substr(id::text, 20, 1) IN ('8', '9', 'a', 'b')) FROM ids),
    'every id keeps version 7 and the RFC 9562 variant');
-- A wrap inside a batch is a 1 in 2^48 event for 10,000 steps, so ids follow steps.
SELECT is(ARRAY(SELECT n FROM ids ORDER BY id), ARRAY(SELECT n FROM ids ORDER BY n),
    'ids sort in step order');

SELECT * FROM finish();
ROLLBACK;
