-- 018_incidents_fast (issue 4, grouping speed): rewriting an incident's
-- entity links deletes them by (tenant, incident); the primary key of
-- incident_entities leads with the entity, so without this index every
-- incident stored scanned the tenant's links (grouping was quadratic).
CREATE INDEX incident_entities_incident ON incident_entities(tenant, incident);
-- Alert storms (docs/internals/incidents.md §1): storm = 1 marks a row
-- that counts the new keys of one rule on one host once more than 20
-- distinct rows of them were opened within the aggregation window;
-- sources is its estimated number of distinct source addresses.
ALTER TABLE alerts ADD COLUMN storm INTEGER NOT NULL DEFAULT 0;
ALTER TABLE alerts ADD COLUMN sources INTEGER NOT NULL DEFAULT 0;
