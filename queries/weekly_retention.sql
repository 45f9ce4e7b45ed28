-- name: weekly_retention
-- answers: Of the users who started in a given week, how many came back in each following week?
-- param: from_date = 1970-01-01  (first birth day of the cohorts shown, project-local, inclusive)
-- param: to_date = 2999-12-31  (last birth day of the cohorts shown, inclusive)
-- param: born_event = *  (the event that puts a user in a cohort, first time seen; * for any)
-- param: return_event = *  (the event that counts as coming back; * for any)
-- param: weeks = 8  (how many weeks after the cohort week to report)
-- reads: events (weeks start on Monday; week 0 is the cohort week itself; only weeks that
--        have started by the last loaded day are shown)
WITH born AS (
    SELECT distinct_id, min(event_date) AS born_day
    FROM events
    WHERE distinct_id IS NOT NULL AND ($born_event = '*' OR event_name = $born_event)
    GROUP BY distinct_id
),
cohorts AS (
    SELECT distinct_id, CAST(date_trunc('week', born_day) AS DATE) AS cohort_week
    FROM born
    WHERE born_day BETWEEN CAST($from_date AS DATE) AND CAST($to_date AS DATE)
),
returns AS (
    SELECT DISTINCT distinct_id, CAST(date_trunc('week', event_date) AS DATE) AS active_week
    FROM events
    WHERE distinct_id IS NOT NULL AND ($return_event = '*' OR event_name = $return_event)
),
sizes AS (
    SELECT cohort_week, count(*) AS cohort_users
    FROM cohorts
    GROUP BY cohort_week
),
grid AS (
    SELECT s.cohort_week, s.cohort_users, CAST(w.range AS INTEGER) AS week
    FROM sizes AS s
    CROSS JOIN range(0, CAST($weeks AS INTEGER) + 1) AS w
    WHERE s.cohort_week + 7 * CAST(w.range AS INTEGER) <= (SELECT max(event_date) FROM events)
),
retained AS (
    SELECT c.cohort_week,
           CAST((r.active_week - c.cohort_week) / 7 AS INTEGER) AS week,
           count(DISTINCT c.distinct_id) AS users
    FROM cohorts AS c
    JOIN returns AS r ON r.distinct_id = c.distinct_id AND r.active_week >= c.cohort_week
    GROUP BY 1, 2
)
SELECT g.cohort_week,
       g.cohort_users,
       g.week,
       coalesce(r.users, 0) AS retained_users,
       round(100.0 * coalesce(r.users, 0) / g.cohort_users, 1) AS retention_pct
FROM grid AS g
LEFT JOIN retained AS r USING (cohort_week, week)
ORDER BY g.cohort_week, g.week
