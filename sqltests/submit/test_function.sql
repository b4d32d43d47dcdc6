-- submit exists with its public signature, is documented, and queues a pending task with the global defaults.
BEGIN;
SELECT plan(15);

SELECT has_function('tasklib', 'submit',
    ARRAY['text', 'jsonb', 'double precision', 'integer', 'jsonb', 'integer', 'double precision', 'text', 'double precision', 'text',
          'text', 'text', 'double precision', 'text[]', 'text'],
    'tasklib.submit has its public signature');
SELECT function_returns('tasklib', 'submit', 'uuid', 'submit returns the task id');
SELECT isnt(obj_description('tasklib.submit'::regproc, 'pg_proc'), NULL, 'submit has a comment');

SELECT lives_ok($$SELECT tasklib.submit('sqltest.submit.defaults')$$, 'submit with only a name works');

SELECT results_eq(
    $$SELECT state, args, priority, tags, retry_count, max_retries, queue, backoff_base_seconds,
             backoff_max_seconds
        FROM tasklib.tasks WHERE name = 'sqltest.submit.defaults'$$,
    $$VALUES ('pending'::text, '{}'::jsonb, 0, '{}'::jsonb, 0, 3, 'default'::text, 5::double precision,
              3600::double precision)$$,
    'a task with no options gets the global defaults');
SELECT is((SELECT scheduled_at FROM tasklib.tasks WHERE name = 'sqltest.submit.defaults'), now(),
    'a task with no delay is due at once');
SELECT is((SELECT run_at FROM tasklib.tasks WHERE name = 'sqltest.submit.defaults'), now(),
    'a pending task may be claimed at its scheduled time');
SELECT is((SELECT created_at FROM tasklib.tasks WHERE name = 'sqltest.submit.defaults'), now(),
    'created_at is the submission time');
SELECT ok((SELECT timeout_seconds IS NULL AND next_retry_at IS NULL AND started_at IS NULL
                  AND completed_at IS NULL AND worker_id IS NULL AND locked_until IS NULL
                  AND result IS NULL AND error IS NULL
             FROM tasklib.tasks WHERE name = 'sqltest.submit.defaults'),
    'a new task has no timeout, retry time, worker, lease, result or error');

SELECT lives_ok($$SELECT tasklib.submit('sqltest.submit.options', args => '{"x": [1, 2]}',
                                        priority => 7, tags => '{"tenant": "acme"}',
                                        max_retries => 0, timeout_seconds => 2.5, queue => 'emails',
                                        backoff_base_seconds => 1.5)$$,
    'submit accepts every option by name');
SELECT results_eq(
    $$SELECT args, priority, tags, max_retries, timeout_seconds, queue, backoff_base_seconds
        FROM tasklib.tasks WHERE name = 'sqltest.submit.options'$$,
    $$VALUES ('{"x": [1, 2]}'::jsonb, 7, '{"tenant": "acme"}'::jsonb, 0, 2.5::double precision,
              'emails'::text, 1.5::double precision)$$,
    'the given options are stored');
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE tags @> '{"tenant": "acme"}'), 1,
    'tasks are found by tag containment');

SELECT is(
    (SELECT id FROM tasklib.tasks WHERE name = 'sqltest.submit.returned'),
    NULL, 'no such task yet');
CREATE TEMP TABLE returned AS SELECT tasklib.submit('sqltest.submit.returned') AS id;
SELECT is((SELECT id FROM tasklib.tasks WHERE name = 'sqltest.submit.returned'),
          (SELECT id FROM returned), 'the returned id is the stored task''s id');
SELECT isnt(tasklib.submit('sqltest.submit.returned'), (SELECT id FROM returned),
    'each submission gets its own id');

SELECT * FROM finish();
ROLLBACK;
