-- 0001_init.sql - the first schema: workspaces with their settings and API keys; events (the
-- truth, append-only) with their channel classification; identity evidence edges; tracking
-- links and their clicks. store_sqlite.c runs it inside one transaction (no BEGIN here) and
-- records it in schema_migrations.
--
-- Conventions: times are Unix seconds (REAL); money is INTEGER minor units plus an ISO-4217
-- code, never a float; a missing value is NULL (an empty string is a value). Tables are STRICT,
-- so a wrongly typed bind fails instead of being stored. Rows are never hard-deleted (links
-- are soft-deleted, keys revoked), so ids and slugs are never reused. An INTEGER PRIMARY KEY is
-- the rowid, which SQLite appends to every index: an index on (workspace_id, ts) is therefore
-- ordered by (workspace_id, ts, id) and serves ORDER BY ts, id without a sort. Allowed values
-- are spelled as OR chains, not IN lists: SQLite builds a temporary b-tree for an IN list of
-- more than two constants on every run of the INSERT, which halved event_put throughput.

CREATE TABLE workspaces (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE CHECK (length(name) > 0),
    created_at REAL NOT NULL
) STRICT;

-- Per-workspace settings as text (usually JSON). A missing key has a default in code
-- (ut__store_setting_default in store.c): conversion_events = the JSON array
-- ["Order Completed","Signed Up","Subscription Started"].
CREATE TABLE workspace_settings (
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id),
    key TEXT NOT NULL CHECK (length(key) > 0),
    value TEXT NOT NULL,
    PRIMARY KEY (workspace_id, key)
) STRICT, WITHOUT ROWID;

-- Only the SHA-256 of a key is stored; key_prefix (its first characters) lets people tell
-- keys apart. A revoked key stays, so its hash can never come back.
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id),
    kind TEXT NOT NULL CHECK (kind = 'write' OR kind = 'read' OR kind = 'admin'),
    key_hash BLOB NOT NULL UNIQUE CHECK (length(key_hash) = 32),
    key_prefix TEXT,
    created_at REAL NOT NULL,
    revoked_at REAL
) STRICT;
CREATE INDEX api_keys_workspace ON api_keys (workspace_id);

-- Every accepted event (struct ut_event), once per (workspace, message id): a retry is a
-- no-op. utm_* hold context.campaign as the client sent it; source .. channel hold the
-- classification (struct ut_event_class), derived and rebuildable from the rest.
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id),
    message_id TEXT NOT NULL CHECK (length(message_id) > 0),
    type TEXT NOT NULL CHECK (type = 'track' OR type = 'identify' OR type = 'page'
                              OR type = 'screen' OR type = 'group' OR type = 'alias'
                              OR type = 'click'),
    name TEXT,
    anonymous_id TEXT,
    user_id TEXT,
    previous_id TEXT,
    group_id TEXT,
    email TEXT,
    ts REAL NOT NULL,
    received_at REAL NOT NULL,
    has_revenue INTEGER NOT NULL CHECK (has_revenue IN (0, 1)),
    revenue_minor INTEGER CHECK (has_revenue = 1 OR revenue_minor IS NULL),
    currency TEXT,
    url TEXT,
    referrer TEXT,
    ip TEXT,
    user_agent TEXT,
    utm_source TEXT,
    utm_medium TEXT,
    utm_campaign TEXT,
    utm_content TEXT,
    utm_term TEXT,
    click_token TEXT,
    body TEXT,
    is_candidate INTEGER NOT NULL CHECK (is_candidate IN (0, 1)),
    internal_referrer INTEGER NOT NULL CHECK (internal_referrer IN (0, 1)),
    source TEXT,
    medium TEXT,
    campaign TEXT,
    content TEXT,
    term TEXT,
    click_id TEXT,
    channel TEXT,
    UNIQUE (workspace_id, message_id)
) STRICT;
-- events_scan and events_count: (workspace_id, ts, id) with the implicit rowid.
CREATE INDEX events_workspace_ts ON events (workspace_id, ts);

-- Identity evidence: a and b are "kind:value" identifiers (user:42, anon:abc, email:x@y),
-- event_id the event that proved the link (NULL when none). Revoking sets revoked_at.
CREATE TABLE identity_edges (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id),
    a TEXT NOT NULL,
    b TEXT NOT NULL,
    kind TEXT NOT NULL,
    event_id INTEGER REFERENCES events (id),
    ts REAL NOT NULL,
    confidence REAL NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
    revoked_at REAL
) STRICT;
-- edges_scan: a workspace's edges in insertion (id) order.
CREATE INDEX identity_edges_workspace ON identity_edges (workspace_id);

-- Tracking links. Slugs are unique across workspaces and never reused, not even after the
-- link is deleted (deleted_at set): an old printed or shared URL must never start pointing
-- somewhere else. UNIQUE (workspace_id, id) serves links_scan and the clicks foreign key.
CREATE TABLE links (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id),
    slug TEXT NOT NULL UNIQUE CHECK (length(slug) > 0),
    destination TEXT NOT NULL CHECK (length(destination) > 0),
    utm_source TEXT,
    utm_medium TEXT,
    utm_campaign TEXT,
    utm_content TEXT,
    utm_term TEXT,
    partner TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    deleted_at REAL,
    UNIQUE (workspace_id, id)
) STRICT;

-- One row per click, humans and bots alike; the link read counts both kinds through
-- clicks_link without touching the table.
CREATE TABLE clicks (
    id INTEGER PRIMARY KEY,
    link_id INTEGER NOT NULL,
    workspace_id INTEGER NOT NULL,
    token TEXT UNIQUE,
    visitor_id TEXT,
    referrer TEXT,
    user_agent TEXT,
    ip_truncated TEXT,
    is_bot INTEGER NOT NULL CHECK (is_bot IN (0, 1)),
    ts REAL NOT NULL,
    FOREIGN KEY (workspace_id, link_id) REFERENCES links (workspace_id, id)
) STRICT;
CREATE INDEX clicks_link ON clicks (link_id, is_bot);
