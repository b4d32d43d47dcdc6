-- claim and recover_expired lock the rows they change with FOR NO KEY UPDATE, the lock their
-- UPDATE takes anyway (it changes no key column): a FOR UPDATE would also block a KEY SHARE
-- lock, such as a foreign key check from a table of the user's that references a task. So do
-- cancel and retry; purge deletes, and keeps FOR UPDATE.
BEGIN;
SELECT plan(5);

SELECT matches((SELECT prosrc FROM pg_proc WHERE oid = 'tasklib.claim'::regproc), 'FOR NO KEY UPDATE SKIP LOCKED',
    'claim locks FOR NO KEY UPDATE SKIP LOCKED');
SELECT matches((SELECT prosrc FROM pg_proc WHERE oid = 'tasklib.recover_expired'::regproc), 'FOR NO KEY UPDATE SKIP LOCKED',
    'recover_expired too');
SELECT is_empty($$SELECT p.proname FROM pg_proc p
                   WHERE p.pronamespace = 'tasklib'::regnamespace AND p.proname <> 'purge'
                     AND p.prosrc ~* 'FOR\s+UPDATE'$$,
    'no other function takes the stronger FOR UPDATE');
SELECT matches((SELECT prosrc FROM pg_proc WHERE oid = 'tasklib.cancel'::regproc), 'FOR NO KEY UPDATE', 'cancel');
SELECT matches((SELECT prosrc FROM pg_proc WHERE oid = 'tasklib.retry'::regproc), 'FOR NO KEY UPDATE', 'retry');

SELECT * FROM finish();
ROLLBACK;
