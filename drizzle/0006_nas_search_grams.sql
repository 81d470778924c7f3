-- Custom SQL migration: an index for NAS search over a whole share (a 1:1 chat's /find), which
-- would otherwise scan nas_files. nas_grams gives the distinct characters and character pairs of
-- a text; a file whose search_text contains a keyword contains all of the keyword's grams, so
-- `nas_grams(search_text) @> nas_grams(keyword)` narrows through the GIN index without losing a
-- match, and strpos then decides (src/nas/search.ts). Plain SQL, no extension: Neon, Postgres and
-- the embedded PGlite of `npm run dev` all have it.
CREATE OR REPLACE FUNCTION nas_grams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
	SELECT coalesce(array_agg(DISTINCT g), '{}')
	FROM (
		SELECT substr(t, i, 1) AS g FROM generate_series(1, length(t)) AS i
		UNION ALL
		SELECT substr(t, i, 2) FROM generate_series(1, length(t) - 1) AS i
	) AS grams
$$;
--> statement-breakpoint
CREATE INDEX nas_files_search_grams_idx ON nas_files USING gin (nas_grams(search_text));
