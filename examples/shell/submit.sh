#!/usr/bin/env bash
# Submitting a TaskLib task from a shell script (cron jobs, deploy hooks) with psql only.
#
#   TASKLIB_DATABASE_URL=postgresql://... examples/shell/submit.sh user@example.com "Welcome!"
#
# Prints the new task's id. psql variables (:'to') quote the values, so any text is safe.
set -euo pipefail

to=${1:?usage: submit.sh TO SUBJECT}
subject=${2:?usage: submit.sh TO SUBJECT}

psql "${TASKLIB_DATABASE_URL:?set TASKLIB_DATABASE_URL}" --no-psqlrc -v ON_ERROR_STOP=1 -qAt \
  -v to="$to" -v subject="$subject" <<'SQL'
SELECT tasklib.submit(
    name => 'examples.send_email',
    args => jsonb_build_object('to', :'to', 'subject', :'subject'),
    tags => '{"source": "shell-example"}'
);
SQL
