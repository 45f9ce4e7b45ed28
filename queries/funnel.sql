-- name: funnel
-- answers: How many distinct users went through these steps in order over the whole range, and what is each step's conversion?
-- param: steps  (required: event names in order, comma-separated, e.g. Sign Up,View Item,Purchase)
-- param: from_date = 1970-01-01  (first project-local day a user can enter, inclusive)
-- param: to_date = 2999-12-31  (last project-local day a user can enter, inclusive)
-- param: window_days = 30  (conversion window, counted from the user's first step)
-- reads: events (a user enters at their first step-1 event in the range; each later step is the
--        first such event strictly after the previous step and within the window, which may
--        end after to_date)
--        Each user counts once, at their first entry in the range. Mixpanel's own funnel
--        (`mp funnel ID --from --to`) counts per day and its whole-range rows sum the days, so
--        a user who enters on two days counts twice there: over one day the two agree, over a
--        week this file gives fewer (or equal) users per step. `mp funnel --by-date` shows the
--        per-day counts Mixpanel sums.
WITH RECURSIVE step_list AS (
    SELECT CAST(i AS INTEGER) AS step, trim(string_split($steps, ',')[i]) AS event_name
    FROM range(1, len(string_split($steps, ',')) + 1) AS t(i)
),
entered AS (
    SELECT e.distinct_id, min(e.event_time) AS entered_at
    FROM events AS e
    JOIN step_list AS s ON s.step = 1 AND e.event_name = s.event_name
    WHERE e.distinct_id IS NOT NULL
      AND e.event_date BETWEEN CAST($from_date AS DATE) AND CAST($to_date AS DATE)
    GROUP BY e.distinct_id
),
progress(distinct_id, entered_at, step, reached_at) AS (
    SELECT distinct_id, entered_at, 1, entered_at
    FROM entered
    UNION ALL
    SELECT p.distinct_id, p.entered_at, p.step + 1,
           (SELECT min(e.event_time)
            FROM events AS e
            WHERE e.distinct_id = p.distinct_id
              AND e.event_name = s.event_name
              AND e.event_time > p.reached_at
              AND e.event_time <= p.entered_at + to_days(CAST($window_days AS INTEGER)))
    FROM progress AS p
    JOIN step_list AS s ON s.step = p.step + 1
    WHERE p.reached_at IS NOT NULL
),
counted AS (
    SELECT s.step, s.event_name, count(p.reached_at) AS users
    FROM step_list AS s
    LEFT JOIN progress AS p ON p.step = s.step
    GROUP BY s.step, s.event_name
)
SELECT step,
       event_name AS event,
       users,
       coalesce(round(100.0 * users / nullif(lag(users) OVER (ORDER BY step), 0), 1),
                CASE WHEN step = 1 THEN 100.0 END) AS pct_of_previous,
       round(100.0 * users / nullif(first_value(users) OVER (ORDER BY step), 0), 1) AS pct_of_first
FROM counted
ORDER BY step
