-- 018_incidents_fast (issue 4, grouping speed): rewriting an incident's
-- entity links deletes them by (tenant, incident); the primary key of
-- incident_entities leads with the entity, so without this index every
-- incident stored scanned the tenant's links (grouping was quadratic).
CREATE INDEX incident_entities_incident ON incident_entities(tenant, incident);
