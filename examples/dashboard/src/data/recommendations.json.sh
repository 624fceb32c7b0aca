# Top-10 recommendations of the default model for the first users of
# nfrec.recommendations (DASHBOARD_USERS of them, default 200): the page's
# user picker chooses among them.  A static site carries its data, so it
# holds a sample, not every user.
. "$(dirname "$0")/query.sh"
json_rows "
SELECT user_id, rank, title_id, title, score, reason, model, model_version, generated_at
  FROM nfrec.recommendations
 WHERE user_id IN (SELECT DISTINCT user_id FROM nfrec.recommendations
                    ORDER BY user_id LIMIT ${DASHBOARD_USERS:-200})
   AND rank <= 10
 ORDER BY user_id, rank"
