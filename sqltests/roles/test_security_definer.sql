-- The API functions run as their owner with search_path pinned, so a caller's search_path
-- cannot substitute its own now(), gen_random_uuid() or tables.
BEGIN;
SELECT plan(4);

SELECT is_empty(
    $$SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname = 'tasklib' AND p.proname IN ('submit', 'submit_many', 'claim', 'complete', 'fail',
             'heartbeat', 'release', 'recover_expired', 'cancel', 'retry', 'purge', 'register_task_type',
             'worker_heartbeat', 'unregister_worker', 'purge_workers', 'rate_limited', 'seconds_until_claimable',
             'set_queue_limits', 'pause_queue', 'resume_queue', 'suspend_queue', 'purge_queue_keys',
             'cancel_tasks', 'cancel_requests', 'report_progress')
         AND NOT (p.prosecdef AND 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig)
                  AND p.proconfig <@ ARRAY['search_path=pg_catalog, pg_temp', 'plan_cache_mode=force_generic_plan'])$$,
    'every API function is SECURITY DEFINER with search_path = pg_catalog, pg_temp (and at most a plan mode)');
SELECT is_empty(
    $$SELECT p.proname FROM pg_proc p
       WHERE p.pronamespace = 'tasklib'::regnamespace
         AND ('plan_cache_mode=force_generic_plan' = ANY (coalesce(p.proconfig, '{}')))
             <> (p.proname IN ('claim', '_choose_limited', 'complete', 'fail', 'heartbeat', 'rate_limited'))$$,
    'claim (with _choose_limited), complete, fail, heartbeat and rate_limited, and only they, keep one generic plan per statement');
SELECT is_empty(
    $$SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname = 'tasklib' AND p.prosecdef AND (p.proconfig IS NULL
             OR NOT 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig))$$,
    'no SECURITY DEFINER function runs with the caller''s search_path');

-- A hostile schema first on the path, with a now() from long ago.
CREATE SCHEMA tasklib_test_evil;
CREATE FUNCTION tasklib_test_evil.now() RETURNS timestamptz LANGUAGE sql AS $$SELECT '2000-01-01'::timestamptz$$;
GRANT USAGE ON SCHEMA tasklib_test_evil TO PUBLIC;
SET LOCAL search_path = tasklib_test_evil, pg_catalog;
SET LOCAL ROLE tasklib_producer;
SELECT tasklib.submit('roles.hijack');
RESET ROLE;
RESET search_path;
SELECT is((SELECT scheduled_at FROM tasklib.tasks WHERE name = 'roles.hijack'), pg_catalog.now(),
    'submit used pg_catalog.now(), not the caller''s');

SELECT * FROM finish();
ROLLBACK;
