-- name: property_breakdown
-- answers: How do events split by the values of one property (e.g. $browser, plan, country)?
-- param: property  (required: the property name as sent, e.g. $browser)
-- param: event = *  (one event name, or * for every event)
-- param: from_date = 1970-01-01  (first project-local day, inclusive)
-- param: to_date = 2999-12-31  (last project-local day, inclusive)
-- param: limit = 20  (how many values; the rest are left out)
-- reads: events (a missing or null property counts as "(not set)")
WITH in_range AS (
    SELECT distinct_id,
           json_extract_string(properties, '$."' || replace($property, '"', '\"') || '"') AS value
    FROM events
    WHERE event_date BETWEEN CAST($from_date AS DATE) AND CAST($to_date AS DATE)
      AND ($event = '*' OR event_name = $event)
),
counted AS (
    SELECT coalesce(value, '(not set)') AS value,
           count(*) AS events,
           count(DISTINCT distinct_id) AS users
    FROM in_range
    GROUP BY 1
),
shared AS (
    SELECT value, events, users, round(100.0 * events / sum(events) OVER (), 1) AS pct_events
    FROM counted
)
SELECT value, events, users, pct_events
FROM shared
ORDER BY events DESC, value
LIMIT CAST($limit AS INTEGER)
