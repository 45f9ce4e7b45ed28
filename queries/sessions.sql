-- name: sessions
-- answers: Sessions per day (a new session after more than gap_minutes without an event), with users, length and events per session.
-- param: from_date = 1970-01-01  (first project-local day a session starts on, inclusive)
-- param: to_date = 2999-12-31  (last project-local day a session starts on, inclusive)
-- param: gap_minutes = 30  (inactivity that ends a session)
-- reads: events (a session belongs to the day it starts; one-event sessions last 0 minutes)
WITH ordered AS (
    SELECT distinct_id, event_time, event_date,
           lag(event_time) OVER (PARTITION BY distinct_id ORDER BY event_time) AS previous_time
    FROM events
    WHERE distinct_id IS NOT NULL
),
marked AS (
    SELECT *,
           CASE WHEN previous_time IS NULL
                  OR event_time - previous_time > to_minutes(CAST($gap_minutes AS INTEGER))
                THEN 1 ELSE 0 END AS starts_session
    FROM ordered
),
numbered AS (
    SELECT *,
           sum(starts_session) OVER (
               PARTITION BY distinct_id ORDER BY event_time ROWS UNBOUNDED PRECEDING
           ) AS session_number
    FROM marked
),
sessions AS (
    SELECT distinct_id,
           arg_min(event_date, event_time) AS day,
           epoch(max(event_time) - min(event_time)) / 60 AS minutes,
           count(*) AS events
    FROM numbered
    GROUP BY distinct_id, session_number
)
SELECT day,
       count(*) AS sessions,
       count(DISTINCT distinct_id) AS users,
       round(avg(minutes), 1) AS avg_minutes,
       round(median(minutes), 1) AS median_minutes,
       round(avg(events), 1) AS events_per_session
FROM sessions
WHERE day BETWEEN CAST($from_date AS DATE) AND CAST($to_date AS DATE)
GROUP BY day
ORDER BY day
