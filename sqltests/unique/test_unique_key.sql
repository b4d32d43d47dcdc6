-- Deduplication by unique_key: no two unfinished tasks of one name share a key (a unique index,
-- not a look before the insert); a conflicting submit returns the holder's id, raises TL007, or
-- replaces a pending holder; once the holder has finished the key is free again.
BEGIN;
SELECT plan(18);

DELETE FROM tasklib.tasks;
CREATE TEMP TABLE ids (label text, id uuid);
INSERT INTO ids VALUES ('first', tasklib.submit('sqltest.u', '{"n": 1}', unique_key => 'k'));
INSERT INTO ids VALUES ('again', tasklib.submit('sqltest.u', '{"n": 2}', unique_key => 'k'));
SELECT is((SELECT count(DISTINCT id)::int FROM ids), 1, 'a second submit of the key returns the first task''s id');
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE name = 'sqltest.u'), 1, 'one task');
SELECT is((SELECT args FROM tasklib.tasks WHERE name = 'sqltest.u'), '{"n": 1}'::jsonb, 'the first one, untouched');
INSERT INTO ids VALUES ('other name', tasklib.submit('sqltest.v', unique_key => 'k'));
INSERT INTO ids VALUES ('other key', tasklib.submit('sqltest.u', unique_key => 'k2'));
SELECT is((SELECT count(DISTINCT id)::int FROM ids), 3, 'the key is per task name; another key is another task');

SELECT throws_ok($$SELECT tasklib.submit('sqltest.u', unique_key => 'k', on_conflict => 'raise')$$, 'TL007', NULL,
    'on_conflict raise: TL007');
SELECT is(tasklib.submit('sqltest.u', '{"n": 3}', priority => 9, unique_key => 'k', on_conflict => 'replace'),
    (SELECT id FROM ids WHERE label = 'first'), 'on_conflict replace: the pending holder''s id');
SELECT results_eq($$SELECT args, priority FROM tasklib.tasks WHERE name = 'sqltest.u' AND unique_key = 'k'$$,
    $$VALUES ('{"n": 3}'::jsonb, 9)$$, 'with the new arguments and priority');

SELECT count(*) FROM tasklib.claim('w', 10, ARRAY['default'], lease_token => '00000000-0000-4000-8000-0000000000f1');
SELECT is(tasklib.submit('sqltest.u', unique_key => 'k'), (SELECT id FROM ids WHERE label = 'first'),
    'a running holder still holds the key');
SELECT throws_ok($$SELECT tasklib.submit('sqltest.u', unique_key => 'k', on_conflict => 'replace')$$, 'TL007', NULL,
    'a running holder cannot be replaced: TL007');
SELECT 1 FROM tasklib.complete('w', ARRAY(SELECT id FROM ids WHERE label = 'first'),
                               ARRAY['00000000-0000-4000-8000-0000000000f1'::uuid]);
SELECT isnt(tasklib.submit('sqltest.u', unique_key => 'k'), (SELECT id FROM ids WHERE label = 'first'),
    'once the holder has finished, the key makes a new task');

-- A failure that waits for its retry is unfinished: it holds its key.
SELECT 1 FROM tasklib.submit('sqltest.f', unique_key => 'f');
SELECT 1 FROM tasklib.claim('w', 10, ARRAY['default'], lease_token => '00000000-0000-4000-8000-0000000000f2');
SELECT 1 FROM tasklib.fail('w', ARRAY(SELECT id FROM tasklib.tasks WHERE name = 'sqltest.f'),
                           ARRAY['00000000-0000-4000-8000-0000000000f2'::uuid], ARRAY['boom']);
SELECT is(tasklib.submit('sqltest.f', unique_key => 'f'), (SELECT id FROM tasklib.tasks WHERE name = 'sqltest.f'),
    'a failure waiting for its retry holds the key');

-- retry() of a finished task whose key another unfinished task took meanwhile: TL007.
UPDATE tasklib.tasks SET state = 'cancelled', next_retry_at = NULL, completed_at = now() WHERE name = 'sqltest.f';
SELECT 1 FROM tasklib.submit('sqltest.f', unique_key => 'f');
SELECT throws_ok($$SELECT tasklib.retry((SELECT id FROM tasklib.tasks WHERE name = 'sqltest.f' AND state = 'cancelled'))$$,
    'TL007', NULL, 'retrying a task whose key is taken again: TL007');

-- Derived from the arguments the task type names.
SELECT 1 FROM tasklib.register_task_type('sqltest.d', unique_args => ARRAY['user', 'day']);
INSERT INTO ids VALUES ('d1', tasklib.submit('sqltest.d', '{"user": 7, "day": "mon", "x": 1}'));
INSERT INTO ids VALUES ('d2', tasklib.submit('sqltest.d', '{"user": 7, "day": "mon", "x": 2}'));
INSERT INTO ids VALUES ('d3', tasklib.submit('sqltest.d', '{"user": 7, "day": "tue"}'));
SELECT is((SELECT count(DISTINCT id)::int FROM ids WHERE label LIKE 'd%'), 2, 'the type''s unique_args make the key');
SELECT is((SELECT unique_key FROM tasklib.tasks WHERE id = (SELECT id FROM ids WHERE label = 'd1')), '[7, "mon"]',
    'a JSON array of their values');

-- The submitter may declare the key's arguments itself (the Python client does): the same key.
INSERT INTO ids VALUES ('d4', tasklib.submit('sqltest.e', '{"user": 7, "day": "mon"}', unique_args => ARRAY['user', 'day']));
SELECT is((SELECT unique_key FROM tasklib.tasks WHERE id = (SELECT id FROM ids WHERE label = 'd4')), '[7, "mon"]',
    'unique_args given at submit make the same key, registered or not');
SELECT is((SELECT count(*)::int FROM tasklib.submit_many('[{"name": "sqltest.e", "args": {"user": 7, "day": "mon"}, "unique_args": ["user", "day"]}]') s(id)
             WHERE s.id = (SELECT id FROM ids WHERE label = 'd4')), 1, 'and in submit_many');
SELECT throws_ok($$SELECT tasklib.submit('sqltest.u', unique_key => 'k', on_conflict => 'ignore')$$, 'TL002',
    'on_conflict must be return, raise or replace, got ''ignore''', 'an unknown policy is refused');
SELECT throws_ok($$SELECT tasklib.submit('sqltest.u', unique_key => '')$$, 'TL002', NULL, 'an empty key is refused');

SELECT * FROM finish();
ROLLBACK;
