-- _submit_validation is the one reader of tasklib.submit_validation: unset or empty means known,
-- anything else comes back as set (submit and _check_submission judge it).
BEGIN;
SELECT plan(5);

SELECT isnt(obj_description('tasklib._submit_validation()'::regprocedure, 'pg_proc'), NULL,
    '_submit_validation has a comment');
RESET tasklib.submit_validation;
SELECT is(tasklib._submit_validation(), 'known', 'unset means known');
SET LOCAL tasklib.submit_validation = '';
SELECT is(tasklib._submit_validation(), 'known', 'empty means known');
SET LOCAL tasklib.submit_validation = 'strict';
SELECT is(tasklib._submit_validation(), 'strict', 'a set value comes back');
SET LOCAL tasklib.submit_validation = 'strcit';
SELECT is(tasklib._submit_validation(), 'strcit', 'a misspelt value comes back unchanged, for the caller to refuse');

SELECT * FROM finish();
ROLLBACK;
