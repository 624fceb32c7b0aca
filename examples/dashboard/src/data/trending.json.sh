# Trending now (top 20).
. "$(dirname "$0")/query.sh"
json_rows "
SELECT rank, title_id, title, score, plays, last_played, as_of, generated_at
  FROM nfrec.trending_now
 WHERE rank <= 20
 ORDER BY rank"
