-- Bundles (docs/gxf.md#bundle): the outcomes of a bundle's actions so far, in request order (null = not run yet),
-- kept with the request between attempts so that a retry after a connection error runs only the actions not done.
-- The final outcomes become the bundle's response (response_data), under the bundle's CorrelationUid.
ALTER TABLE request ADD COLUMN bundle_progress jsonb;
