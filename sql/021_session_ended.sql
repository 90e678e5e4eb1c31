-- Suspending or removing an account ends its sessions with a reason instead of
-- deleting them (issue 16): the next request with such a cookie is answered
-- "your account is suspended" (or removed) rather than a bare sign-in form.
-- The auth step reads the column in its one statement (src/store/session_row.h);
-- an ended row never authenticates again, even after reactivation, and the
-- idle-timeout sweep deletes it like any other.
ALTER TABLE sessions
    ADD COLUMN IF NOT EXISTS ended_reason ENUM('suspended','deactivated') NULL;
