# Content ROI per launched title.
. "$(dirname "$0")/query.sh"
json_rows "
SELECT title_id, title, content_type, launch_date, production_cost, watchers,
       completion_rate, signups_attributed, incremental_months, value, roi, observed,
       generated_at
  FROM nfrec.content_roi_launches
 ORDER BY launch_date, title_id"
