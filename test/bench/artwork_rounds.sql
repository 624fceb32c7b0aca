-- Artwork picks on the demo (doc/context.md): the share of impressions that
-- show the planted best artwork of the user's planted taste segment
-- (demo_artwork_truth), and the mean planted lift of what is shown, for
-- pick_artwork (Thompson sampling, fitted on artwork_impressions), a
-- uniform choice and the single artwork with the best global play rate.
-- Each round: every sampled user gets the titles of their 10 latest
-- impressions, with seed = round.
--   psql -v schema=ctx_on -f test/bench/artwork_rounds.sql
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET search_path = :schema, public;
SELECT * FROM nfrec.fit_artwork();
CREATE TEMP TABLE u AS
SELECT s.user_id,
       (SELECT c.genres[1] FROM content_metadata c JOIN demo_title_truth t USING (title_id)
        WHERE t.community = ut.communities[1] LIMIT 1) AS segment,
       (SELECT array_agg(x.title_id) FROM (SELECT DISTINCT ON (i.title_id) i.title_id, i.shown_at
                                            FROM artwork_impressions i WHERE i.user_id = s.user_id
                                            ORDER BY i.title_id, i.shown_at DESC) x) AS shown
FROM subscriptions s JOIN demo_user_truth ut USING (user_id)
WHERE s.user_id % 5 = 0;
UPDATE u SET shown = (SELECT array_agg(t ORDER BY t) FROM (SELECT unnest(shown) t LIMIT 10) x);
DELETE FROM u WHERE shown IS NULL;
CREATE TEMP TABLE best AS
SELECT DISTINCT ON (segment) segment, artwork_id FROM demo_artwork_truth ORDER BY segment, lift DESC;
CREATE TEMP TABLE global_best AS
SELECT artwork_id FROM nfrec.artwork_prior WHERE segment = '*'
ORDER BY played::float8 / shown DESC LIMIT 1;
CREATE TEMP TABLE shown AS
SELECT r.round, u.user_id, u.segment, 'thompson' AS policy, p.title_id, p.artwork_id
FROM generate_series(1, 3) r(round), u, nfrec.pick_artwork(u.user_id, u.shown, seed => r.round) p
UNION ALL
SELECT r.round, u.user_id, u.segment, 'uniform', t.title_id,
       1 + (('x' || substr(md5(format('%s/%s/%s', r.round, u.user_id, t.title_id)), 1, 8))::bit(32)::int & 3)
FROM generate_series(1, 3) r(round), u, unnest(u.shown) t(title_id)
UNION ALL
SELECT r.round, u.user_id, u.segment, 'global best', t.title_id, (SELECT artwork_id FROM global_best)
FROM generate_series(1, 3) r(round), u, unnest(u.shown) t(title_id);
SELECT policy, count(*) AS impressions,
       round(avg((s.artwork_id = b.artwork_id)::int), 3) AS best_share,
       round(avg(l.lift)::numeric, 3) AS mean_lift
FROM shown s JOIN best b USING (segment)
JOIN demo_artwork_truth l ON l.segment = s.segment AND l.artwork_id = s.artwork_id
GROUP BY policy ORDER BY best_share DESC;
