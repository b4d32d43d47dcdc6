-- submit, submit_many and register_task_type refuse exactly the options _option_problem finds
-- wrong, with its words (TL002), and what it passes the CHECK constraints of task_types and
-- tasks (the backstop for rows written by hand) accept: none of them has rules of its own.
-- (submit_many gets a non-finite number as a JSON string, the only way JSON can carry it.)
BEGIN;
SELECT plan(6);

CREATE TEMP TABLE cases (n serial, max_retries int, timeout_seconds double precision, queue text,
                         backoff_base_seconds double precision, backoff_max_seconds double precision);
INSERT INTO cases (max_retries, timeout_seconds, queue, backoff_base_seconds, backoff_max_seconds) VALUES
    (NULL, NULL, NULL, NULL, NULL),
    (0, 0.001, 'q', 0.001, 0.001),
    (100, 1e300, ' ', 1e300, 1e300),
    (101, NULL, NULL, NULL, NULL),
    (2147483647, NULL, NULL, NULL, NULL),
    (-1, NULL, NULL, NULL, NULL),
    (-2147483648, NULL, NULL, NULL, NULL),
    (NULL, 0, NULL, NULL, NULL),
    (NULL, -1, NULL, NULL, NULL),
    (NULL, 'NaN', NULL, NULL, NULL),
    (NULL, 'Infinity', NULL, NULL, NULL),
    (NULL, '-Infinity', NULL, NULL, NULL),
    (NULL, NULL, '', NULL, NULL),
    (NULL, NULL, NULL, 0, NULL),
    (NULL, NULL, NULL, -0.5, NULL),
    (NULL, NULL, NULL, 0.0009, NULL),
    (NULL, NULL, NULL, 1e-300, NULL),
    (NULL, NULL, NULL, 'NaN', NULL),
    (NULL, NULL, NULL, 'Infinity', NULL),
    (NULL, NULL, NULL, NULL, 0),
    (NULL, NULL, NULL, NULL, 'NaN'),
    (NULL, NULL, NULL, NULL, '-Infinity'),
    (3, 10, 'mail', 2, 60),
    (-1, 0, '', 0, 0);

-- NULL when the statement succeeds (undone at once), else its SQLSTATE and message.
CREATE FUNCTION pg_temp.outcome(p_sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE p_sql;
    RAISE EXCEPTION USING ERRCODE = 'P0004';  -- undo what it did
EXCEPTION
    WHEN SQLSTATE 'P0004' THEN RETURN NULL;
    WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

CREATE TEMP TABLE verdicts AS
SELECT c.*,
       tasklib._option_problem(c.max_retries, c.timeout_seconds, c.queue, c.backoff_base_seconds,
                               c.backoff_max_seconds) AS problem,
       tasklib._option_problem(c.max_retries, c.timeout_seconds, c.queue, c.backoff_base_seconds) AS submit_problem,
       pg_temp.outcome(format('SELECT tasklib.register_task_type(%L, max_retries => %L, timeout_seconds => %L, queue => %L,
                                  backoff_base_seconds => %L, backoff_max_seconds => %L)',
                              'agree.' || c.n, c.max_retries, c.timeout_seconds, c.queue, c.backoff_base_seconds,
                              c.backoff_max_seconds)) AS registered,
       pg_temp.outcome(format('SELECT tasklib.submit(%L, max_retries => %L, timeout_seconds => %L, queue => %L,
                                  backoff_base_seconds => %L)',
                              'agree.' || c.n, c.max_retries, c.timeout_seconds, c.queue, c.backoff_base_seconds)) AS submitted,
       pg_temp.outcome(format('SELECT tasklib.submit_many(%L)',
                              jsonb_build_array(jsonb_build_object('name', 'agree.' || c.n, 'max_retries', c.max_retries,
                                  'timeout_seconds', to_jsonb(c.timeout_seconds), 'queue', c.queue,
                                  'backoff_base_seconds', to_jsonb(c.backoff_base_seconds))))) AS submitted_many,
       pg_temp.outcome(format('INSERT INTO tasklib.task_types (name, max_retries, timeout_seconds, queue, backoff_base_seconds,
                                                               backoff_max_seconds) VALUES (%L, %L, %L, %L, %L, %L)',
                              'agree.' || c.n, c.max_retries, c.timeout_seconds, c.queue, c.backoff_base_seconds,
                              c.backoff_max_seconds)) AS typed_by_hand,
       pg_temp.outcome(format('INSERT INTO tasklib.tasks (name, max_retries, timeout_seconds, queue, backoff_base_seconds,
                                                          backoff_max_seconds)
                               SELECT %L, coalesce(%L, d.max_retries), %L, coalesce(%L, d.queue),
                                      coalesce(%L, d.backoff_base_seconds), coalesce(%L, d.backoff_max_seconds)
                                 FROM tasklib.task_defaults() d',
                              'agree.' || c.n, c.max_retries, c.timeout_seconds, c.queue, c.backoff_base_seconds,
                              c.backoff_max_seconds)) AS inserted_by_hand
  FROM cases c;

SELECT is((SELECT count(*)::int FROM verdicts WHERE problem IS NULL), 4, 'four of the cases are good');
SELECT is_empty($$SELECT n, problem, registered FROM verdicts
                   WHERE registered IS DISTINCT FROM 'TL002: ' || problem || ' (task type agree.' || n || ')'$$,
    'register_task_type refuses exactly what _option_problem finds, with its words');
SELECT is_empty($$SELECT n, submit_problem, submitted FROM verdicts
                   WHERE submitted IS DISTINCT FROM 'TL002: ' || submit_problem || ' (task agree.' || n || ')'$$,
    'submit refuses exactly what _option_problem finds, with its words');
SELECT is_empty($$SELECT n, submitted, submitted_many FROM verdicts
                   WHERE submitted_many IS DISTINCT FROM regexp_replace(submitted, '^TL002: ', 'TL002: tasks[0]: ')$$,
    'submit_many says what submit says, after the position of the element');
SELECT is_empty($$SELECT n, problem, typed_by_hand FROM verdicts
                   WHERE (problem IS NULL) <> (typed_by_hand IS NULL)
                      OR typed_by_hand NOT LIKE '23514: %' $$,
    'the CHECKs of task_types accept exactly what _option_problem passes');
SELECT is_empty($$SELECT n, problem, inserted_by_hand FROM verdicts
                   WHERE (problem IS NULL) <> (inserted_by_hand IS NULL)
                      OR inserted_by_hand NOT LIKE '23514: %' $$,
    'the CHECKs of tasks accept exactly what _option_problem passes');

SELECT * FROM finish();
ROLLBACK;
