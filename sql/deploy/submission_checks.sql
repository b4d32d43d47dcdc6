-- Deploy tasklib:submission_checks
-- The checks every submission passes before it is stored; submit and submit_many call it.
-- Cheap: defines one function.
BEGIN;

-- Shared checks for the caller-supplied options of submit and submit_many.
CREATE FUNCTION tasklib._check_submission(
    name text, args jsonb, delay_seconds double precision, tags jsonb,
    max_retries integer, timeout_seconds double precision, queue text,
    backoff_base_seconds double precision
) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF name IS NULL OR name = '' THEN
        RAISE EXCEPTION 'task name must be a non-empty string' USING ERRCODE = 'TL002';
    END IF;
    IF length(name) > 255 THEN
        RAISE EXCEPTION 'task name is longer than 255 characters' USING ERRCODE = 'TL002';
    END IF;
    IF args IS NULL OR jsonb_typeof(args) <> 'object' THEN
        RAISE EXCEPTION 'args of task % must be a JSON object, got %', name, coalesce(jsonb_typeof(args), 'NULL')
            USING ERRCODE = 'TL002';
    END IF;
    IF tags IS NULL OR jsonb_typeof(tags) <> 'object' THEN
        RAISE EXCEPTION 'tags of task % must be a JSON object, got %', name, coalesce(jsonb_typeof(tags), 'NULL')
            USING ERRCODE = 'TL002';
    END IF;
    IF delay_seconds IS NULL OR delay_seconds < 0 OR delay_seconds = 'Infinity' OR delay_seconds <> delay_seconds THEN
        RAISE EXCEPTION 'delay_seconds of task % must be a finite number >= 0, got %', name, delay_seconds
            USING ERRCODE = 'TL002';
    END IF;
    IF max_retries < 0 THEN
        RAISE EXCEPTION 'max_retries of task % must be >= 0, got %', name, max_retries USING ERRCODE = 'TL002';
    END IF;
    IF timeout_seconds <= 0 OR timeout_seconds = 'Infinity' OR timeout_seconds <> timeout_seconds THEN
        RAISE EXCEPTION 'timeout_seconds of task % must be a finite number > 0, got %', name, timeout_seconds
            USING ERRCODE = 'TL002';
    END IF;
    IF backoff_base_seconds <= 0 OR backoff_base_seconds = 'Infinity' OR backoff_base_seconds <> backoff_base_seconds THEN
        RAISE EXCEPTION 'backoff_base_seconds of task % must be a finite number > 0, got %', name, backoff_base_seconds
            USING ERRCODE = 'TL002';
    END IF;
    IF queue = '' THEN
        RAISE EXCEPTION 'queue of task % must be a non-empty string', name USING ERRCODE = 'TL002';
    END IF;
END;
$$;
COMMENT ON FUNCTION tasklib._check_submission IS
    'Private: raises TL002 naming the first invalid option of a submission.';

COMMIT;
