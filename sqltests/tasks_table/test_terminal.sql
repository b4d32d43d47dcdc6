-- tasks.terminal (finished for good) is derived from is_terminal, is the last column, cannot be
-- written, and follows every state change the API makes; it says what completed_at IS NOT NULL
-- says, and the seed's own queries (which spell the rule out) keep their numbers.
BEGIN;
SELECT plan(30);

SELECT col_type_is('tasklib', 'tasks', 'terminal', 'boolean', 'terminal is a boolean');
SELECT col_not_null('tasklib', 'tasks', 'terminal', 'terminal is never NULL');
SELECT is((SELECT attgenerated::text FROM pg_attribute
            WHERE attrelid = 'tasklib.tasks'::regclass AND attname = 'terminal'), 's',
    'terminal is a stored generated column');
SELECT is((SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d
             JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
            WHERE d.adrelid = 'tasklib.tasks'::regclass AND a.attname = 'terminal'),
    'tasklib.is_terminal(state, retry_count, max_retries)', 'terminal is is_terminal of the row');
SELECT is((SELECT attname::text FROM pg_attribute
            WHERE attrelid = 'tasklib.tasks'::regclass AND attnum > 0 AND NOT attisdropped
            ORDER BY attnum DESC LIMIT 1), 'terminal', 'terminal is the last column');
SELECT isnt(col_description('tasklib.tasks'::regclass,
                            (SELECT attnum FROM pg_attribute WHERE attrelid = 'tasklib.tasks'::regclass
                                AND attname = 'terminal')), NULL, 'terminal has a comment');
SELECT throws_ok($$UPDATE tasklib.tasks SET terminal = true$$, '428C9', NULL, 'terminal cannot be written');

DELETE FROM tasklib.tasks;
-- Each task in its own queue, so that a claim takes exactly the one meant.
CREATE FUNCTION pg_temp.put(p_label text, p_max_retries int) RETURNS uuid LANGUAGE sql AS
    $$SELECT tasklib.submit('sqltest.terminal', args => jsonb_build_object('label', p_label),
                            queue => p_label, max_retries => p_max_retries)$$;
CREATE FUNCTION pg_temp.take(p_label text) RETURNS SETOF tasklib.tasks LANGUAGE sql AS
    $$UPDATE tasklib.tasks SET next_retry_at = now() WHERE queue = p_label AND state = 'failed';
      SELECT * FROM tasklib.claim('sqltest-worker', 1, ARRAY[p_label])$$;
CREATE FUNCTION pg_temp.terminal(p_label text) RETURNS boolean LANGUAGE sql AS
    $$SELECT terminal FROM tasklib.tasks WHERE queue = p_label$$;
CREATE FUNCTION pg_temp.id(p_label text) RETURNS uuid LANGUAGE sql AS
    $$SELECT id FROM tasklib.tasks WHERE queue = p_label$$;

SELECT pg_temp.put('done', 3);
SELECT is(pg_temp.terminal('done'), false, 'a pending task is not terminal');
SELECT is((SELECT terminal FROM pg_temp.take('done')), false, 'claim returns terminal: false for a running task');
SELECT tasklib.complete('sqltest-worker', ARRAY[pg_temp.id('done')], ARRAY[(SELECT lease_token FROM tasklib.tasks WHERE id = pg_temp.id('done'))]);
SELECT is(pg_temp.terminal('done'), true, 'a completed task is terminal');

SELECT pg_temp.put('spent', 1);
SELECT pg_temp.take('spent');
SELECT tasklib.fail('sqltest-worker', ARRAY[pg_temp.id('spent')], ARRAY[(SELECT lease_token FROM tasklib.tasks WHERE id = pg_temp.id('spent'))], ARRAY['first']);
SELECT is(pg_temp.terminal('spent'), false, 'a failure with a retry left is not terminal');
SELECT is((SELECT retry_count FROM pg_temp.take('spent')), 1, 'its retry is claimed');
SELECT tasklib.fail('sqltest-worker', ARRAY[pg_temp.id('spent')], ARRAY[(SELECT lease_token FROM tasklib.tasks WHERE id = pg_temp.id('spent'))], ARRAY['second']);
SELECT is(pg_temp.terminal('spent'), true, 'the failure that spends the last retry is terminal');
SELECT is((SELECT run_at FROM tasklib.tasks WHERE queue = 'spent'), NULL, 'a terminal failure is never due');
SELECT throws_ok($$UPDATE tasklib.tasks SET next_retry_at = now() WHERE queue = 'spent'$$, '23514', NULL,
    'a terminal failure cannot be given a next retry by hand (CHECK tasks_terminal_failure_no_retry)');

SELECT pg_temp.put('fatal', 3);
SELECT pg_temp.take('fatal');
SELECT tasklib.fail('sqltest-worker', ARRAY[pg_temp.id('fatal')], ARRAY[(SELECT lease_token FROM tasklib.tasks WHERE id = pg_temp.id('fatal'))], ARRAY['bad arguments'], ARRAY[false]);
SELECT is(pg_temp.terminal('fatal'), true, 'a failure marked not retryable is terminal');

SELECT pg_temp.put('dropped', 3);
SELECT tasklib.cancel(pg_temp.id('dropped'));
SELECT is(pg_temp.terminal('dropped'), true, 'a cancelled task is terminal');

SELECT pg_temp.put('waiting', 3);
SELECT pg_temp.take('waiting');
SELECT tasklib.fail('sqltest-worker', ARRAY[pg_temp.id('waiting')], ARRAY[(SELECT lease_token FROM tasklib.tasks WHERE id = pg_temp.id('waiting'))], ARRAY['first']);
SELECT is((tasklib.cancel(pg_temp.id('waiting'))).terminal, true, 'cancel returns the row, terminal');

SELECT pg_temp.put('lost', 0);
SELECT pg_temp.put('lost-again', 2);
SELECT pg_temp.take('lost');
SELECT pg_temp.take('lost-again');
UPDATE tasklib.tasks SET locked_until = now() - interval '1 second' WHERE state = 'running';
SELECT is(tasklib.recover_expired(), 2, 'two expired leases are recovered');
SELECT is(pg_temp.terminal('lost'), true, 'a lost task without retries is terminal');
SELECT is(pg_temp.terminal('lost-again'), false, 'a lost task with retries left is not');

SELECT pg_temp.put('handed-back', 3);
SELECT pg_temp.take('handed-back');
SELECT tasklib.release('sqltest-worker', NULL, ARRAY(SELECT lease_token FROM tasklib.tasks WHERE name = 'handed-back'));
SELECT is(pg_temp.terminal('handed-back'), false, 'a released task is not terminal');

-- The invariants, over every row the steps above left.
SELECT is_empty($$SELECT queue FROM tasklib.tasks WHERE terminal <> tasklib.is_terminal(state, retry_count, max_retries)$$,
    'every row''s terminal is is_terminal of its state and counts');
SELECT is_empty($$SELECT queue FROM tasklib.tasks WHERE terminal <> (completed_at IS NOT NULL)$$,
    'a task has completed_at exactly when it is terminal');
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE terminal), 6, 'six of the eight tasks are finished for good');

-- The seed's failed_permanent and failed_retrying, verbatim, count what terminal says.
SELECT is((SELECT count(*) FROM tasklib.tasks WHERE state='failed' AND retry_count >= max_retries),
          (SELECT count(*) FROM tasklib.tasks WHERE state = 'failed' AND terminal),
    'the seed''s failed_permanent counts the terminal failures');
SELECT is((SELECT count(*) FROM tasklib.tasks WHERE state='failed' AND retry_count < max_retries),
          (SELECT count(*) FROM tasklib.tasks WHERE state = 'failed' AND NOT terminal),
    'the seed''s failed_retrying counts the others');
SELECT results_eq(
    $$SELECT failed_retrying, failed_permanent FROM tasklib.queue_status$$,
    $$VALUES (1::bigint, 3::bigint)$$,
    'queue_status gives the same numbers: one failure waiting, three for good');

SELECT tasklib.retry(pg_temp.id('spent'));
SELECT tasklib.retry(pg_temp.id('dropped'));
SELECT is((SELECT count(*)::int FROM tasklib.tasks WHERE queue IN ('spent', 'dropped') AND NOT terminal), 2,
    'retry makes a terminal failure and a cancelled task unfinished again');
SELECT is_empty($$SELECT queue FROM tasklib.tasks WHERE terminal <> (completed_at IS NOT NULL)$$,
    'and clears their completed_at');

SELECT * FROM finish();
ROLLBACK;
