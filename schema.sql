-- stockpile database, schema version 8.
--
-- This file is the one definition of the database; the binary compiles it in
-- and runs it once, when it creates a new file. Later changes are appended at
-- the end as `-- migration N:` steps, never made by editing what is above
-- them: a database of an older version runs only the steps it lacks.
--
-- It has two parts: the embedded SQLite file (the default) up to the line
-- `-- PostgreSQL`, and from there the same tables for a server.
--
-- Dates are ISO text (YYYY-MM-DD), so they sort and compare as dates.

-- A storage site, registered the first time an export names it.
CREATE TABLE depot (
    -- A depot: one row per code an export has named.
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE
                CHECK (length(code) BETWEEN 1 AND 32 AND code = upper(code)),
    first_seen  INTEGER REFERENCES import_ledger(id)
);

-- An equipment model. A type keeps one NSN and one category: the first export
-- that gives them sets them, and a later export that disagrees is refused.
CREATE TABLE equipment_type (
    -- An equipment model or ammunition nature, with its one NSN and category.
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE
                CHECK (length(code) BETWEEN 1 AND 40 AND code = upper(code)),
    category    TEXT CHECK (category IN ('MBT','IFV','APC','SPH','TAH','MLRS',
                                         'AD','ENG','REC','LOG','AMMO','OTHER')),
    nsn         TEXT CHECK (nsn GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][0-9]-[0-9][0-9][0-9][0-9]'),
    first_seen  INTEGER REFERENCES import_ledger(id)
);

-- The import ledger: one entry per imported file, each chained to the one
-- before it (entry_hash = SHA-256 over prev_hash and the entry's fields), so
-- that `stockpile check` notices an entry edited, deleted or reordered.
-- `content` is JSON: the snapshots the file wrote, with their row digests.
CREATE TABLE import_ledger (
    -- Every write stockpile made (an import, requirements, a suspension, a
    -- policy), each chained to the one before; `stockpile check` verifies it.
    id           INTEGER PRIMARY KEY,
    file_name    TEXT NOT NULL,
    file_sha256  TEXT NOT NULL,
    imported_at  TEXT NOT NULL,
    os_user      TEXT NOT NULL,
    content      TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    entry_hash   TEXT NOT NULL UNIQUE
);
CREATE INDEX import_ledger_by_sha ON import_ledger(file_sha256);

-- One depot's holdings as of one date. `ledger_id` is the import that put the
-- snapshot in force (a later `--replace` moves it); `digest` is SHA-256 over
-- the sorted content hashes of its lines, recomputed by `check`.
CREATE TABLE snapshot (
    -- One depot's export as of one date: its lines, quantity and digest.
    id          INTEGER PRIMARY KEY,
    depot_id    INTEGER NOT NULL REFERENCES depot(id),
    as_of       TEXT NOT NULL CHECK (as_of GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    ledger_id   INTEGER NOT NULL REFERENCES import_ledger(id),
    line_count  INTEGER NOT NULL CHECK (line_count >= 0),
    quantity    INTEGER NOT NULL CHECK (quantity >= 0),
    digest      TEXT NOT NULL,
    UNIQUE (depot_id, as_of)
);

-- Holdings with their history. A holding line is stored once per stretch of
-- time in which it stayed unchanged: it is part of every snapshot of its depot
-- dated in [valid_from, valid_to); valid_to NULL means it is still held.
-- `content_hash` identifies the line by its full content (plus its occurrence
-- number when a snapshot repeats an identical line), so re-importing a nearly
-- unchanged export stores only what changed.
CREATE TABLE holding_version (
    -- HISTORY, not the current state: a line is kept once per stretch of
    -- dates in which it stayed unchanged, so summing `quantity` here counts
    -- every past version too. Query current_holdings (today's lines) or
    -- current_readiness (today's figures) instead.
    id              INTEGER PRIMARY KEY,
    depot_id        INTEGER NOT NULL REFERENCES depot(id),
    content_hash    INTEGER NOT NULL,
    type_id         INTEGER NOT NULL REFERENCES equipment_type(id),
    -- OR, not IN: an IN list makes SQLite build a temporary index on every
    -- insert, which cost the import loop a tenth of its time.
    status          TEXT NOT NULL CHECK (status = 'FMC' OR status = 'PMC' OR status = 'NMCM' OR status = 'NMCS'),
    quantity        INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 1000000000),
    serial          TEXT,
    owner           TEXT CHECK (owner IS NULL OR length(owner) = 3),
    notice_hours    INTEGER CHECK (notice_hours IS NULL OR notice_hours BETWEEN 0 AND 8760),
    lot             TEXT,
    expires         TEXT,
    last_inspected  TEXT,
    remarks         TEXT,
    valid_from      TEXT NOT NULL,
    valid_to        TEXT CHECK (valid_to IS NULL OR valid_to > valid_from),
    opened_by       INTEGER NOT NULL REFERENCES import_ledger(id)
);
-- Serves the current state (valid_to IS NULL sorts first), the versions that
-- end on a date, and the state of a depot on a past date. It is the only index
-- on the hot table: each extra one costs every import.
CREATE INDEX holding_version_by_depot_end ON holding_version(depot_id, valid_to);

-- Readiness aggregates of each depot's current holdings, rebuilt for a depot
-- whenever its latest snapshot changes, so that reports never scan holdings.
-- state is the reported status, or EXPIRED for a lot whose `expires` is
-- before the snapshot date.
CREATE TABLE readiness_current (
    depot_id      INTEGER NOT NULL REFERENCES depot(id),
    type_id       INTEGER NOT NULL REFERENCES equipment_type(id),
    owner         TEXT,
    state         TEXT NOT NULL CHECK (state = 'FMC' OR state = 'PMC' OR state = 'NMCM'
                                       OR state = 'NMCS' OR state = 'EXPIRED'),
    notice_hours  INTEGER,
    quantity      INTEGER NOT NULL CHECK (quantity > 0)
);
CREATE INDEX readiness_current_by_depot ON readiness_current(depot_id);

-- Authorised levels: the quantity of a type a depot is required to hold.
CREATE TABLE requirement (
    -- Authorised levels: the quantity of a type a depot must hold.
    depot_id  INTEGER NOT NULL REFERENCES depot(id),
    type_id   INTEGER NOT NULL REFERENCES equipment_type(id),
    required  INTEGER NOT NULL CHECK (required >= 0),
    PRIMARY KEY (depot_id, type_id)
) WITHOUT ROWID;

-- The current holdings as a plain table, for the sqlite3 shell and Datasette.
CREATE VIEW current_holdings AS
SELECT d.code           AS depot,
       s.as_of          AS as_of,
       t.code           AS type,
       t.category       AS category,
       t.nsn            AS nsn,
       h.status         AS status,
       CASE WHEN h.expires IS NOT NULL AND h.expires < s.as_of
            THEN 1 ELSE 0 END AS expired,
       h.quantity       AS quantity,
       h.serial         AS serial,
       h.owner          AS owner,
       h.notice_hours   AS notice_hours,
       h.lot            AS lot,
       h.expires        AS expires,
       h.last_inspected AS last_inspected,
       h.remarks        AS remarks
FROM holding_version h
JOIN depot d          ON d.id = h.depot_id
JOIN equipment_type t ON t.id = h.type_id
JOIN snapshot s       ON s.depot_id = h.depot_id
                     AND s.as_of = (SELECT max(as_of) FROM snapshot WHERE depot_id = h.depot_id)
WHERE h.valid_to IS NULL;

-- migration 2: provenance, and the versions that begin on a date.
-- A database of version 1 runs only the statements from this line on;
-- a new one runs the whole file.

-- The line of the export file where the record of each version starts (the
-- file is the ledger entry `opened_by`): what `stockpile trace` shows. It is
-- the line of the snapshot the version begins with; later snapshots that
-- repeat the line confirm it. NULL for versions stored before version 2.
ALTER TABLE holding_version ADD COLUMN source_line INTEGER
    CHECK (source_line IS NULL OR source_line > 0);

-- The versions that begin on a date: with the (depot, valid_to) index, what
-- changed between two snapshots of a depot is read without scanning it.
CREATE INDEX holding_version_by_depot_start ON holding_version(depot_id, valid_from);

-- The mission-capable quantity of each snapshot (FMC and PMC, lots expired
-- on its date left out), beside its on-hand `quantity`: `changes` compares
-- two snapshots' MC rates without summing their holdings. Filled in for the
-- snapshots stored before version 2.
ALTER TABLE snapshot ADD COLUMN mc INTEGER CHECK (mc IS NULL OR mc >= 0);
UPDATE snapshot SET mc = (
    SELECT coalesce(sum(h.quantity), 0) FROM holding_version h
    WHERE h.depot_id = snapshot.depot_id
      AND h.valid_from <= snapshot.as_of
      AND (h.valid_to IS NULL OR h.valid_to > snapshot.as_of)
      AND (h.status = 'FMC' OR h.status = 'PMC')
      AND (h.expires IS NULL OR h.expires >= snapshot.as_of));

-- Readiness aggregates at the grain reports read: one row per depot × type
-- (status counts), and the mission-capable quantity of each depot × type by
-- notice (what `deployable` and packages read). Version 1 kept one row per
-- depot × type × owner × state × notice, which on a real force's data came
-- near one row per holding; owner splits are now summed from the holdings
-- when asked for. Rebuilt here from the current holdings.
DROP TABLE readiness_current;
CREATE TABLE readiness_current (
    depot_id  INTEGER NOT NULL REFERENCES depot(id),
    type_id   INTEGER NOT NULL REFERENCES equipment_type(id),
    fmc       INTEGER NOT NULL CHECK (fmc >= 0),
    pmc       INTEGER NOT NULL CHECK (pmc >= 0),
    nmcm      INTEGER NOT NULL CHECK (nmcm >= 0),
    nmcs      INTEGER NOT NULL CHECK (nmcs >= 0),
    expired   INTEGER NOT NULL CHECK (expired >= 0),
    PRIMARY KEY (depot_id, type_id)
) WITHOUT ROWID;
CREATE TABLE readiness_notice (
    depot_id      INTEGER NOT NULL REFERENCES depot(id),
    type_id       INTEGER NOT NULL REFERENCES equipment_type(id),
    notice_hours  INTEGER,
    fmc           INTEGER NOT NULL CHECK (fmc >= 0),
    pmc           INTEGER NOT NULL CHECK (pmc >= 0)
);
-- Covering: `deployable` sums it by depot and type in index order.
CREATE INDEX readiness_notice_by_depot ON readiness_notice(depot_id, type_id, notice_hours, fmc, pmc);
INSERT INTO readiness_current
SELECT h.depot_id, h.type_id,
       sum(CASE WHEN x.expired = 0 AND h.status = 'FMC' THEN h.quantity ELSE 0 END),
       sum(CASE WHEN x.expired = 0 AND h.status = 'PMC' THEN h.quantity ELSE 0 END),
       sum(CASE WHEN x.expired = 0 AND h.status = 'NMCM' THEN h.quantity ELSE 0 END),
       sum(CASE WHEN x.expired = 0 AND h.status = 'NMCS' THEN h.quantity ELSE 0 END),
       sum(CASE WHEN x.expired = 1 THEN h.quantity ELSE 0 END)
FROM holding_version h
JOIN (SELECT depot_id, max(as_of) AS as_of FROM snapshot GROUP BY depot_id) l ON l.depot_id = h.depot_id
JOIN (SELECT 0 AS expired UNION ALL SELECT 1) x
  ON x.expired = (h.expires IS NOT NULL AND h.expires < l.as_of)
WHERE h.valid_to IS NULL
GROUP BY h.depot_id, h.type_id;
INSERT INTO readiness_notice
SELECT h.depot_id, h.type_id, h.notice_hours,
       sum(CASE WHEN h.status = 'FMC' THEN h.quantity ELSE 0 END),
       sum(CASE WHEN h.status = 'PMC' THEN h.quantity ELSE 0 END)
FROM holding_version h
JOIN (SELECT depot_id, max(as_of) AS as_of FROM snapshot GROUP BY depot_id) l ON l.depot_id = h.depot_id
WHERE h.valid_to IS NULL AND (h.status = 'FMC' OR h.status = 'PMC')
  AND (h.expires IS NULL OR h.expires >= l.as_of)
GROUP BY h.depot_id, h.type_id, h.notice_hours;

-- Views with codes instead of ids, for the sqlite3 shell and Datasette.
-- holding_version keeps history: summing it counts every past version.
-- Query current_holdings for today's holdings, current_readiness for the
-- figures reports use (one row per depot and type), required_levels for the
-- authorised levels.
CREATE VIEW current_readiness AS
SELECT -- Each depot's current holdings by type: on hand and by status, a
       -- lot past its date on the depot's latest snapshot counted as expired
       -- (not under its status). Sum the columns over it freely.
       d.code AS depot, t.code AS type, t.category AS category,
       r.fmc + r.pmc + r.nmcm + r.nmcs + r.expired AS on_hand,
       r.fmc AS fmc, r.pmc AS pmc, r.nmcm AS nmcm, r.nmcs AS nmcs, r.expired AS expired,
       r.fmc + r.pmc AS mc
FROM readiness_current r
JOIN depot d ON d.id = r.depot_id
JOIN equipment_type t ON t.id = r.type_id;

CREATE VIEW required_levels AS
SELECT -- The quantity of a type each depot is required to hold.
       d.code AS depot, t.code AS type, t.category AS category, q.required AS required
FROM requirement q
JOIN depot d ON d.id = q.depot_id
JOIN equipment_type t ON t.id = q.type_id;

-- migration 3: equipment and ammunition apart (SPEC §4 as of 2026-12-06).
-- Equipment (a row without a lot) counts items, ammunition (a row with a
-- lot) rounds, and the two are never summed: rounds must not carry the
-- mission-capable rate of vehicles. A lot is expired from its `expires`
-- date on, judged on the date a figure is about (today, or --as-of), not
-- on its snapshot's date. So the aggregates keep every lot under its
-- reported status, and the lots that have an expiry date also in
-- readiness_expiry (one row per lot at most), from which a report takes
-- back those expired by its date, without reading the holdings.
DROP VIEW current_readiness;
DROP VIEW current_holdings;
DROP TABLE readiness_current;
DROP TABLE readiness_notice;
CREATE TABLE readiness_current (
    -- Import-time sums behind the reports, per depot and type: today's items
    -- (fmc … nmcs) and rounds (ammo_*), lots under their reported status
    -- (expiry is applied when read). Read current_readiness, which applies it.
    depot_id   INTEGER NOT NULL REFERENCES depot(id),
    type_id    INTEGER NOT NULL REFERENCES equipment_type(id),
    fmc        INTEGER NOT NULL CHECK (fmc >= 0),
    pmc        INTEGER NOT NULL CHECK (pmc >= 0),
    nmcm       INTEGER NOT NULL CHECK (nmcm >= 0),
    nmcs       INTEGER NOT NULL CHECK (nmcs >= 0),
    ammo_fmc   INTEGER NOT NULL CHECK (ammo_fmc >= 0),
    ammo_pmc   INTEGER NOT NULL CHECK (ammo_pmc >= 0),
    ammo_nmcm  INTEGER NOT NULL CHECK (ammo_nmcm >= 0),
    ammo_nmcs  INTEGER NOT NULL CHECK (ammo_nmcs >= 0),
    PRIMARY KEY (depot_id, type_id)
) WITHOUT ROWID;
CREATE TABLE readiness_notice (
    -- Mission-capable items and serviceable rounds per depot, type and
    -- notice: what `deployable` and packages read.
    depot_id      INTEGER NOT NULL REFERENCES depot(id),
    type_id       INTEGER NOT NULL REFERENCES equipment_type(id),
    notice_hours  INTEGER,
    fmc           INTEGER NOT NULL CHECK (fmc >= 0),
    pmc           INTEGER NOT NULL CHECK (pmc >= 0),
    ammo_fmc      INTEGER NOT NULL CHECK (ammo_fmc >= 0),
    ammo_pmc      INTEGER NOT NULL CHECK (ammo_pmc >= 0)
);
-- Covering: `deployable` and packages sum it by depot and type in index order.
CREATE INDEX readiness_notice_by_depot
    ON readiness_notice(depot_id, type_id, notice_hours, fmc, pmc, ammo_fmc, ammo_pmc);
-- The current lots that have an expiry date, by depot × type, notice,
-- expiry and reported status: a report on date D counts those with
-- expires < D as expired instead of under their status.
CREATE TABLE readiness_expiry (
    -- Today's lots that have an expiry date: a figure about date D counts
    -- those with expires < D as expired, not under their status.
    depot_id      INTEGER NOT NULL REFERENCES depot(id),
    type_id       INTEGER NOT NULL REFERENCES equipment_type(id),
    notice_hours  INTEGER,
    expires       TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status = 'FMC' OR status = 'PMC' OR status = 'NMCM' OR status = 'NMCS'),
    quantity      INTEGER NOT NULL CHECK (quantity > 0)
);
-- No index: each one cost a million-holding import a tenth of its time
-- (150,000 lots), where a scan of the table finds the lots expired by a
-- date in a few milliseconds, and an import deletes a depot × type's rows
-- for all the changed pairs at once.
INSERT INTO readiness_current
SELECT depot_id, type_id,
       sum(CASE WHEN lot IS NULL AND status = 'FMC' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NULL AND status = 'PMC' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NULL AND status = 'NMCM' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NULL AND status = 'NMCS' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NOT NULL AND status = 'FMC' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NOT NULL AND status = 'PMC' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NOT NULL AND status = 'NMCM' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NOT NULL AND status = 'NMCS' THEN quantity ELSE 0 END)
FROM holding_version WHERE valid_to IS NULL
GROUP BY depot_id, type_id;
INSERT INTO readiness_notice
SELECT depot_id, type_id, notice_hours,
       sum(CASE WHEN lot IS NULL AND status = 'FMC' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NULL AND status = 'PMC' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NOT NULL AND status = 'FMC' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NOT NULL AND status = 'PMC' THEN quantity ELSE 0 END)
FROM holding_version WHERE valid_to IS NULL AND (status = 'FMC' OR status = 'PMC')
GROUP BY depot_id, type_id, notice_hours;
INSERT INTO readiness_expiry
SELECT depot_id, type_id, notice_hours, expires, status, sum(quantity)
FROM holding_version WHERE valid_to IS NULL AND lot IS NOT NULL AND expires IS NOT NULL
GROUP BY depot_id, type_id, notice_hours, expires, status;

-- Each snapshot's figures, counted apart: equipment items on hand and
-- mission capable (`mc`, which used to count rounds too), rounds on hand
-- and serviceable on the snapshot's own date. `quantity` stays the sum of
-- the export's quantity column, as its ledger entry records it.
ALTER TABLE snapshot ADD COLUMN on_hand INTEGER NOT NULL DEFAULT 0 CHECK (on_hand >= 0);
ALTER TABLE snapshot ADD COLUMN ammo_on_hand INTEGER NOT NULL DEFAULT 0 CHECK (ammo_on_hand >= 0);
ALTER TABLE snapshot ADD COLUMN ammo_serviceable INTEGER NOT NULL DEFAULT 0 CHECK (ammo_serviceable >= 0);
UPDATE snapshot SET
    on_hand = (SELECT coalesce(sum(h.quantity), 0) FROM holding_version h
               WHERE h.depot_id = snapshot.depot_id AND h.valid_from <= snapshot.as_of
                 AND (h.valid_to IS NULL OR h.valid_to > snapshot.as_of) AND h.lot IS NULL),
    mc = (SELECT coalesce(sum(h.quantity), 0) FROM holding_version h
          WHERE h.depot_id = snapshot.depot_id AND h.valid_from <= snapshot.as_of
            AND (h.valid_to IS NULL OR h.valid_to > snapshot.as_of) AND h.lot IS NULL
            AND (h.status = 'FMC' OR h.status = 'PMC')),
    ammo_on_hand = (SELECT coalesce(sum(h.quantity), 0) FROM holding_version h
                    WHERE h.depot_id = snapshot.depot_id AND h.valid_from <= snapshot.as_of
                      AND (h.valid_to IS NULL OR h.valid_to > snapshot.as_of) AND h.lot IS NOT NULL),
    ammo_serviceable = (SELECT coalesce(sum(h.quantity), 0) FROM holding_version h
                        WHERE h.depot_id = snapshot.depot_id AND h.valid_from <= snapshot.as_of
                          AND (h.valid_to IS NULL OR h.valid_to > snapshot.as_of) AND h.lot IS NOT NULL
                          AND (h.status = 'FMC' OR h.status = 'PMC')
                          AND (h.expires IS NULL OR h.expires >= snapshot.as_of));

-- The current holdings as a plain table. `expired` is judged today (UTC):
-- a lot past its date, whatever its snapshot's date. Equipment never
-- expires.
CREATE VIEW current_holdings AS
SELECT d.code           AS depot,
       s.as_of          AS as_of,
       t.code           AS type,
       t.category       AS category,
       t.nsn            AS nsn,
       h.status         AS status,
       CASE WHEN h.lot IS NOT NULL AND h.expires < date('now')
            THEN 1 ELSE 0 END AS expired,
       h.quantity       AS quantity,
       h.serial         AS serial,
       h.owner          AS owner,
       h.notice_hours   AS notice_hours,
       h.lot            AS lot,
       h.expires        AS expires,
       h.last_inspected AS last_inspected,
       h.remarks        AS remarks
FROM holding_version h
JOIN depot d          ON d.id = h.depot_id
JOIN equipment_type t ON t.id = h.type_id
JOIN snapshot s       ON s.depot_id = h.depot_id
                     AND s.as_of = (SELECT max(as_of) FROM snapshot WHERE depot_id = h.depot_id)
WHERE h.valid_to IS NULL;

CREATE VIEW current_readiness AS
SELECT -- Each depot's current holdings by type, judged today (UTC): on
       -- hand and by status in equipment items, then in rounds of
       -- ammunition. Sum either kind's columns freely; never add one
       -- kind to the other.
       d.code AS depot, t.code AS type, t.category AS category,
       r.fmc + r.pmc + r.nmcm + r.nmcs AS on_hand,
       r.fmc AS fmc, r.pmc AS pmc, r.nmcm AS nmcm, r.nmcs AS nmcs,
       r.fmc + r.pmc AS mc,
       r.ammo_fmc + r.ammo_pmc + r.ammo_nmcm + r.ammo_nmcs AS ammo_on_hand,
       r.ammo_fmc + r.ammo_pmc - coalesce(x.serviceable, 0) AS ammo_serviceable,
       r.ammo_nmcm + r.ammo_nmcs - coalesce(x.unserviceable, 0) AS ammo_unserviceable,
       coalesce(x.serviceable, 0) + coalesce(x.unserviceable, 0) AS ammo_expired
FROM readiness_current r
JOIN depot d ON d.id = r.depot_id
JOIN equipment_type t ON t.id = r.type_id
LEFT JOIN (SELECT depot_id, type_id,
                  sum(CASE WHEN status = 'FMC' OR status = 'PMC' THEN quantity ELSE 0 END) AS serviceable,
                  sum(CASE WHEN status = 'NMCM' OR status = 'NMCS' THEN quantity ELSE 0 END) AS unserviceable
           FROM readiness_expiry WHERE expires < date('now')
           GROUP BY depot_id, type_id) x
       ON x.depot_id = r.depot_id AND x.type_id = r.type_id;


-- migration 4: ammunition as it is accounted for (SPEC §12).
-- A line's supply condition code (A–C serviceable, D–H and P
-- unserviceable, J–N suspended) and the date its next surveillance test is
-- due. A row that gave only a code is stored with the status it reads as
-- (serviceable FMC, unserviceable NMCM, suspended NMCS). Lots under a
-- suspended code are counted in `ammo_susp`, never under their status nor
-- among the lots that expire; equipment under one counts as NMCS.
-- Force-wide suspensions are ledger entries, applied when the state is
-- read (src/suspension.rs).
ALTER TABLE holding_version ADD COLUMN condition_code TEXT
    CHECK (condition_code IS NULL OR condition_code GLOB '[ABCDEFGHJKLMNP]');
ALTER TABLE holding_version ADD COLUMN next_test TEXT
    CHECK (next_test IS NULL OR next_test GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]');
ALTER TABLE readiness_current ADD COLUMN ammo_susp INTEGER NOT NULL DEFAULT 0 CHECK (ammo_susp >= 0);
-- A snapshot's rounds under a suspended code, as its depot reported them
-- (force-wide suspensions are applied when the figures are read).
ALTER TABLE snapshot ADD COLUMN ammo_suspended INTEGER NOT NULL DEFAULT 0 CHECK (ammo_suspended >= 0);
-- Condition C (priority issue): packages draw it before A and B, so the
-- mission-capable rows and the lots with an expiry keep it apart.
ALTER TABLE readiness_notice ADD COLUMN priority INTEGER NOT NULL DEFAULT 0 CHECK (priority IN (0, 1));
ALTER TABLE readiness_expiry ADD COLUMN priority INTEGER NOT NULL DEFAULT 0 CHECK (priority IN (0, 1));
DROP INDEX readiness_notice_by_depot;
CREATE INDEX readiness_notice_by_depot
    ON readiness_notice(depot_id, type_id, notice_hours, priority, fmc, pmc, ammo_fmc, ammo_pmc);

DROP VIEW current_holdings;
DROP VIEW current_readiness;
-- The current holdings as a plain table. `expired` is judged today (UTC).
-- `condition_code` as the depot reported it; force-wide suspensions are
-- not in this view (`stockpile suspensions` lists them).
CREATE VIEW current_holdings AS
SELECT d.code           AS depot,
       s.as_of          AS as_of,
       t.code           AS type,
       t.category       AS category,
       t.nsn            AS nsn,
       h.status         AS status,
       h.condition_code AS condition_code,
       CASE WHEN h.lot IS NOT NULL AND h.expires < date('now')
            THEN 1 ELSE 0 END AS expired,
       h.quantity       AS quantity,
       h.serial         AS serial,
       h.owner          AS owner,
       h.notice_hours   AS notice_hours,
       h.lot            AS lot,
       h.expires        AS expires,
       h.next_test      AS next_test,
       h.last_inspected AS last_inspected,
       h.remarks        AS remarks
FROM holding_version h
JOIN depot d          ON d.id = h.depot_id
JOIN equipment_type t ON t.id = h.type_id
JOIN snapshot s       ON s.depot_id = h.depot_id
                     AND s.as_of = (SELECT max(as_of) FROM snapshot WHERE depot_id = h.depot_id)
WHERE h.valid_to IS NULL;

CREATE VIEW current_readiness AS
SELECT -- Each depot's current holdings by type, judged today (UTC): on
       -- hand and by status in equipment items, then in rounds of
       -- ammunition (suspended by condition code apart; force-wide
       -- suspensions are applied by stockpile's reports, not here). Sum
       -- either kind's columns freely; never add one kind to the other.
       d.code AS depot, t.code AS type, t.category AS category,
       r.fmc + r.pmc + r.nmcm + r.nmcs AS on_hand,
       r.fmc AS fmc, r.pmc AS pmc, r.nmcm AS nmcm, r.nmcs AS nmcs,
       r.fmc + r.pmc AS mc,
       r.ammo_fmc + r.ammo_pmc + r.ammo_nmcm + r.ammo_nmcs + r.ammo_susp AS ammo_on_hand,
       r.ammo_fmc + r.ammo_pmc - coalesce(x.serviceable, 0) AS ammo_serviceable,
       r.ammo_nmcm + r.ammo_nmcs - coalesce(x.unserviceable, 0) AS ammo_unserviceable,
       coalesce(x.serviceable, 0) + coalesce(x.unserviceable, 0) AS ammo_expired,
       r.ammo_susp AS ammo_suspended
FROM readiness_current r
JOIN depot d ON d.id = r.depot_id
JOIN equipment_type t ON t.id = r.type_id
LEFT JOIN (SELECT depot_id, type_id,
                  sum(CASE WHEN status = 'FMC' OR status = 'PMC' THEN quantity ELSE 0 END) AS serviceable,
                  sum(CASE WHEN status = 'NMCM' OR status = 'NMCS' THEN quantity ELSE 0 END) AS unserviceable
           FROM readiness_expiry WHERE expires < date('now')
           GROUP BY depot_id, type_id) x
       ON x.depot_id = r.depot_id AND x.type_id = r.type_id;


-- migration 5: a database that explains itself. Every table and view says
-- in its own text what it holds and which to query (the sqlite3 shell's
-- `.schema`, Datasette): current_holdings gains its comment here; the
-- tables of a file made before version 5 keep the text they were made with.
DROP VIEW current_holdings;
CREATE VIEW current_holdings AS
SELECT -- Today's holdings: one row per line of each depot's latest export,
       -- items (lot empty) and lots of rounds (lot given) apart by `lot`:
       -- never sum quantity across the two. `expired` is judged today
       -- (UTC); force-wide suspensions are not applied here (`stockpile
       -- suspensions` lists them). This, not holding_version, is what a
       -- depot holds now.
       d.code           AS depot,
       s.as_of          AS as_of,
       t.code           AS type,
       t.category       AS category,
       t.nsn            AS nsn,
       h.status         AS status,
       h.condition_code AS condition_code,
       CASE WHEN h.lot IS NOT NULL AND h.expires < date('now')
            THEN 1 ELSE 0 END AS expired,
       h.quantity       AS quantity,
       h.serial         AS serial,
       h.owner          AS owner,
       h.notice_hours   AS notice_hours,
       h.lot            AS lot,
       h.expires        AS expires,
       h.next_test      AS next_test,
       h.last_inspected AS last_inspected,
       h.remarks        AS remarks
FROM holding_version h
JOIN depot d          ON d.id = h.depot_id
JOIN equipment_type t ON t.id = h.type_id
JOIN snapshot s       ON s.depot_id = h.depot_id
                     AND s.as_of = (SELECT max(as_of) FROM snapshot WHERE depot_id = h.depot_id)
WHERE h.valid_to IS NULL;

-- migration 6: provenance sealed. Each depot keeps the sum that its
-- holding versions' (line key, ledger entry, line) hash to, and every
-- import seals it in its ledger entry, so `check` finds a line number or
-- file moved behind stockpile's back (content.rs, Provenance). NULL until
-- the depot's next import counts it: a file made before version 6.
ALTER TABLE depot ADD COLUMN provenance TEXT
    CHECK (provenance IS NULL OR length(provenance) = 32);


-- migration 7: figures by owner nation kept at import. A report or
-- `deployable` by owner (or for one) read every current version, a million
-- on a force's data; it now reads these few thousand rows. Split by owner
-- and type force-wide, and by depot and owner all types together: by
-- depot, type and owner at once it would hold nearly a row per holding
-- (405,725 for a million, against 9,300 by type and owner and 6,200 by
-- depot and owner). The force-wide sums are kept by difference (each
-- import adds what it opened and takes back what it closed), as no one
-- depot's snapshot can recount them; the depot's as its other sums are. readiness_expiry keeps each
-- lot's owner, so that an owner's lots expired by a date are taken back as
-- a depot's are. A NULL owner is a line that named none.
ALTER TABLE readiness_expiry ADD COLUMN owner TEXT;
DELETE FROM readiness_expiry;
CREATE TABLE readiness_owner (
    -- Import-time sums per owner nation and type across every depot:
    -- today's items (fmc … nmcs) and rounds (ammo_*) as readiness_current
    -- keeps them per depot. `stockpile report --by owner` reads them.
    type_id    INTEGER NOT NULL REFERENCES equipment_type(id),
    owner      TEXT,
    fmc        INTEGER NOT NULL CHECK (fmc >= 0),
    pmc        INTEGER NOT NULL CHECK (pmc >= 0),
    nmcm       INTEGER NOT NULL CHECK (nmcm >= 0),
    nmcs       INTEGER NOT NULL CHECK (nmcs >= 0),
    ammo_fmc   INTEGER NOT NULL CHECK (ammo_fmc >= 0),
    ammo_pmc   INTEGER NOT NULL CHECK (ammo_pmc >= 0),
    ammo_nmcm  INTEGER NOT NULL CHECK (ammo_nmcm >= 0),
    ammo_nmcs  INTEGER NOT NULL CHECK (ammo_nmcs >= 0),
    ammo_susp  INTEGER NOT NULL CHECK (ammo_susp >= 0)
);
CREATE TABLE readiness_owner_notice (
    -- Mission-capable items and serviceable rounds per owner nation, type
    -- and notice across every depot: what `deployable --by owner` reads.
    type_id       INTEGER NOT NULL REFERENCES equipment_type(id),
    owner         TEXT,
    notice_hours  INTEGER,
    priority      INTEGER NOT NULL CHECK (priority IN (0, 1)),
    fmc           INTEGER NOT NULL CHECK (fmc >= 0),
    pmc           INTEGER NOT NULL CHECK (pmc >= 0),
    ammo_fmc      INTEGER NOT NULL CHECK (ammo_fmc >= 0),
    ammo_pmc      INTEGER NOT NULL CHECK (ammo_pmc >= 0)
);
CREATE TABLE readiness_depot_owner (
    -- Import-time sums per depot and owner nation, all types together:
    -- today's items (fmc … nmcs) and rounds (ammo_*), for a report by depot
    -- and owner (`--by depot,owner`, `--owner` by depot) without reading
    -- the holdings.
    depot_id   INTEGER NOT NULL REFERENCES depot(id),
    owner      TEXT,
    fmc        INTEGER NOT NULL CHECK (fmc >= 0),
    pmc        INTEGER NOT NULL CHECK (pmc >= 0),
    nmcm       INTEGER NOT NULL CHECK (nmcm >= 0),
    nmcs       INTEGER NOT NULL CHECK (nmcs >= 0),
    ammo_fmc   INTEGER NOT NULL CHECK (ammo_fmc >= 0),
    ammo_pmc   INTEGER NOT NULL CHECK (ammo_pmc >= 0),
    ammo_nmcm  INTEGER NOT NULL CHECK (ammo_nmcm >= 0),
    ammo_nmcs  INTEGER NOT NULL CHECK (ammo_nmcs >= 0),
    ammo_susp  INTEGER NOT NULL CHECK (ammo_susp >= 0)
);
CREATE INDEX readiness_depot_owner_by_depot ON readiness_depot_owner(depot_id);
CREATE TABLE readiness_depot_owner_notice (
    -- Mission-capable items and serviceable rounds per depot, owner nation
    -- and notice, all types together: `deployable` by depot and owner.
    depot_id      INTEGER NOT NULL REFERENCES depot(id),
    owner         TEXT,
    notice_hours  INTEGER,
    priority      INTEGER NOT NULL CHECK (priority IN (0, 1)),
    fmc           INTEGER NOT NULL CHECK (fmc >= 0),
    pmc           INTEGER NOT NULL CHECK (pmc >= 0),
    ammo_fmc      INTEGER NOT NULL CHECK (ammo_fmc >= 0),
    ammo_pmc      INTEGER NOT NULL CHECK (ammo_pmc >= 0)
);
CREATE INDEX readiness_depot_owner_notice_by_depot ON readiness_depot_owner_notice(depot_id);
INSERT INTO readiness_expiry (depot_id, type_id, notice_hours, expires, status, quantity, priority, owner)
SELECT depot_id, type_id, notice_hours, expires, status, sum(quantity),
       CASE WHEN condition_code = 'C' THEN 1 ELSE 0 END, owner
FROM holding_version
WHERE valid_to IS NULL AND lot IS NOT NULL AND expires IS NOT NULL
  AND (condition_code IS NULL OR condition_code NOT IN ('J', 'K', 'L', 'M', 'N'))
GROUP BY depot_id, type_id, notice_hours, expires, status, CASE WHEN condition_code = 'C' THEN 1 ELSE 0 END, owner;
-- Equipment under a suspended code counts as NMCS, a lot under one in
-- ammo_susp (model.rs, bucket).
INSERT INTO readiness_owner
SELECT type_id, owner,
       sum(CASE WHEN lot IS NULL AND NOT s AND status = 'FMC' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NULL AND NOT s AND status = 'PMC' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NULL AND NOT s AND status = 'NMCM' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NULL AND (s OR status = 'NMCS') THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NOT NULL AND NOT s AND status = 'FMC' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NOT NULL AND NOT s AND status = 'PMC' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NOT NULL AND NOT s AND status = 'NMCM' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NOT NULL AND NOT s AND status = 'NMCS' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NOT NULL AND s THEN quantity ELSE 0 END)
FROM (SELECT type_id, owner, lot, status, quantity,
             coalesce(condition_code IN ('J', 'K', 'L', 'M', 'N'), FALSE) AS s
      FROM holding_version WHERE valid_to IS NULL) h
GROUP BY type_id, owner;
INSERT INTO readiness_owner_notice
SELECT type_id, owner, notice_hours, CASE WHEN condition_code = 'C' THEN 1 ELSE 0 END,
       sum(CASE WHEN lot IS NULL AND status = 'FMC' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NULL AND status = 'PMC' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NOT NULL AND status = 'FMC' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NOT NULL AND status = 'PMC' THEN quantity ELSE 0 END)
FROM holding_version
WHERE valid_to IS NULL AND (status = 'FMC' OR status = 'PMC')
  AND (condition_code IS NULL OR condition_code NOT IN ('J', 'K', 'L', 'M', 'N'))
GROUP BY type_id, owner, notice_hours, CASE WHEN condition_code = 'C' THEN 1 ELSE 0 END;
INSERT INTO readiness_depot_owner
SELECT depot_id, owner,
       sum(CASE WHEN lot IS NULL AND NOT s AND status = 'FMC' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NULL AND NOT s AND status = 'PMC' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NULL AND NOT s AND status = 'NMCM' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NULL AND (s OR status = 'NMCS') THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NOT NULL AND NOT s AND status = 'FMC' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NOT NULL AND NOT s AND status = 'PMC' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NOT NULL AND NOT s AND status = 'NMCM' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NOT NULL AND NOT s AND status = 'NMCS' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NOT NULL AND s THEN quantity ELSE 0 END)
FROM (SELECT depot_id, owner, lot, status, quantity,
             coalesce(condition_code IN ('J', 'K', 'L', 'M', 'N'), FALSE) AS s
      FROM holding_version WHERE valid_to IS NULL) h
GROUP BY depot_id, owner;
INSERT INTO readiness_depot_owner_notice
SELECT depot_id, owner, notice_hours, CASE WHEN condition_code = 'C' THEN 1 ELSE 0 END,
       sum(CASE WHEN lot IS NULL AND status = 'FMC' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NULL AND status = 'PMC' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NOT NULL AND status = 'FMC' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NOT NULL AND status = 'PMC' THEN quantity ELSE 0 END)
FROM holding_version
WHERE valid_to IS NULL AND (status = 'FMC' OR status = 'PMC')
  AND (condition_code IS NULL OR condition_code NOT IN ('J', 'K', 'L', 'M', 'N'))
GROUP BY depot_id, owner, notice_hours, CASE WHEN condition_code = 'C' THEN 1 ELSE 0 END;


-- migration 8: what needs attention, kept at import. `watch` read every
-- current version (a million on a force's data, 0.3 s) to count, by
-- depot, the lots expired or expiring, the items overdue for an
-- inspection or a surveillance test and those suspended; it now reads
-- sums by depot and day and judges them on its own date and windows.
-- readiness_expiry counts its `lots` beside their rounds: the lots'
-- expiry days come from there. attention_day holds the rest, a row for
-- the current versions (`items`, and their `quantity`) of one kind on one
-- day:
-- - suspended: under a condition code J–N (no day); nothing else is
--   counted of such a line, as `watch` lists it only as suspended;
-- - expires: any other line without a lot that expires on `day` (lots
--   are in readiness_expiry; a row per lot here cost a 1M import 0.35 s);
-- - inspected: any other line last inspected on `day`;
-- - uninspected: any other serialized item never inspected (no day);
-- - test_due: any other line whose surveillance test is due on `day`.
-- Kept by difference, as each depot's other sums are; a depot whose rows
-- change is written again whole (a few hundred rows: one per day).
DELETE FROM readiness_expiry;
ALTER TABLE readiness_expiry ADD COLUMN lots INTEGER NOT NULL DEFAULT 1 CHECK (lots > 0);
INSERT INTO readiness_expiry (depot_id, type_id, notice_hours, expires, status, quantity, priority, owner, lots)
SELECT depot_id, type_id, notice_hours, expires, status, sum(quantity),
       CASE WHEN condition_code = 'C' THEN 1 ELSE 0 END, owner, count(*)
FROM holding_version
WHERE valid_to IS NULL AND lot IS NOT NULL AND expires IS NOT NULL
  AND (condition_code IS NULL OR condition_code NOT IN ('J', 'K', 'L', 'M', 'N'))
GROUP BY depot_id, type_id, notice_hours, expires, status, CASE WHEN condition_code = 'C' THEN 1 ELSE 0 END, owner;
CREATE TABLE attention_day (
    -- What needs attention, by depot, kind and day: the current lines
    -- (items) and their quantity suspended, expiring (lines without a lot;
    -- lots are counted in readiness_expiry), last inspected, never
    -- inspected (serialized) or due a surveillance test on that day.
    -- `stockpile watch` judges them on its date and windows.
    depot_id  INTEGER NOT NULL REFERENCES depot(id),
    kind      TEXT NOT NULL
        CHECK (kind IN ('suspended', 'expires', 'inspected', 'uninspected', 'test_due')),
    day       TEXT,
    items     INTEGER NOT NULL CHECK (items > 0),
    quantity  INTEGER NOT NULL CHECK (quantity > 0)
);
CREATE INDEX attention_day_by_depot ON attention_day(depot_id);
WITH h AS (
    SELECT depot_id, quantity, serial, lot, expires, last_inspected, next_test,
           coalesce(condition_code IN ('J', 'K', 'L', 'M', 'N'), 0) AS s
    FROM holding_version WHERE valid_to IS NULL)
INSERT INTO attention_day
SELECT depot_id, kind, day, count(*), sum(quantity)
FROM (SELECT depot_id, 'suspended' AS kind, NULL AS day, quantity FROM h WHERE s
      UNION ALL
      SELECT depot_id, 'expires', expires, quantity
      FROM h WHERE NOT s AND expires IS NOT NULL AND lot IS NULL
      UNION ALL
      SELECT depot_id, 'inspected', last_inspected, quantity
      FROM h WHERE NOT s AND last_inspected IS NOT NULL
      UNION ALL
      SELECT depot_id, 'uninspected', NULL, quantity
      FROM h WHERE NOT s AND last_inspected IS NULL AND serial IS NOT NULL
      UNION ALL
      SELECT depot_id, 'test_due', next_test, quantity FROM h WHERE NOT s AND next_test IS NOT NULL) a
GROUP BY depot_id, kind, day;


-- PostgreSQL
--
-- The same database on a server (`--db postgresql://…`), for many sites
-- importing and reading at once. Created whole, in one transaction, the
-- first time a writer connects; it holds what the SQLite part above holds
-- after its last migration, so that every statement stockpile runs means
-- the same on both. The differences are spelling only:
-- - BIGINT where SQLite says INTEGER, identity columns for its row ids;
-- - text compared byte by byte (COLLATE "C"), as SQLite compares it, so
--   that reports sort the same on both;
-- - regular expressions where SQLite checks with GLOB;
-- - `stockpile_schema` holds the marks the file keeps in PRAGMA
--   application_id and user_version. A later schema version appends its
--   steps here too.

CREATE TABLE stockpile_schema (
    application_id  BIGINT NOT NULL,
    version         BIGINT NOT NULL
);

CREATE TABLE import_ledger (
    id           BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    file_name    TEXT COLLATE "C" NOT NULL,
    file_sha256  TEXT COLLATE "C" NOT NULL,
    imported_at  TEXT COLLATE "C" NOT NULL,
    os_user      TEXT COLLATE "C" NOT NULL,
    content      TEXT COLLATE "C" NOT NULL,
    prev_hash    TEXT COLLATE "C" NOT NULL,
    entry_hash   TEXT COLLATE "C" NOT NULL UNIQUE
);
CREATE INDEX import_ledger_by_sha ON import_ledger(file_sha256);

CREATE TABLE depot (
    id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    code        TEXT COLLATE "C" NOT NULL UNIQUE
                CHECK (length(code) BETWEEN 1 AND 32 AND code = upper(code)),
    first_seen  BIGINT REFERENCES import_ledger(id)
);

CREATE TABLE equipment_type (
    id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    code        TEXT COLLATE "C" NOT NULL UNIQUE
                CHECK (length(code) BETWEEN 1 AND 40 AND code = upper(code)),
    category    TEXT COLLATE "C" CHECK (category IN ('MBT','IFV','APC','SPH','TAH','MLRS',
                                         'AD','ENG','REC','LOG','AMMO','OTHER')),
    nsn         TEXT COLLATE "C" CHECK (nsn ~ '^[0-9]{4}-[0-9]{2}-[0-9]{3}-[0-9]{4}$'),
    first_seen  BIGINT REFERENCES import_ledger(id)
);

CREATE TABLE snapshot (
    id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    depot_id    BIGINT NOT NULL REFERENCES depot(id),
    as_of       TEXT COLLATE "C" NOT NULL CHECK (as_of ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    ledger_id   BIGINT NOT NULL REFERENCES import_ledger(id),
    line_count  BIGINT NOT NULL CHECK (line_count >= 0),
    quantity    BIGINT NOT NULL CHECK (quantity >= 0),
    digest      TEXT COLLATE "C" NOT NULL,
    mc          BIGINT CHECK (mc IS NULL OR mc >= 0),
    UNIQUE (depot_id, as_of)
);

-- Its references are not declared here: the server checking three of them
-- for every row cost a bulk load 16 µs a row, 3.2 s of 5.0 s for 200,000
-- rows. stockpile takes the ids from its own registry in the same
-- transaction, and `stockpile check` verifies every reference.
CREATE TABLE holding_version (
    id              BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    depot_id        BIGINT NOT NULL,
    content_hash    BIGINT NOT NULL,
    type_id         BIGINT NOT NULL,
    status          TEXT COLLATE "C" NOT NULL CHECK (status IN ('FMC', 'PMC', 'NMCM', 'NMCS')),
    quantity        BIGINT NOT NULL CHECK (quantity BETWEEN 1 AND 1000000000),
    serial          TEXT COLLATE "C",
    owner           TEXT COLLATE "C" CHECK (owner IS NULL OR length(owner) = 3),
    notice_hours    BIGINT CHECK (notice_hours IS NULL OR notice_hours BETWEEN 0 AND 8760),
    lot             TEXT COLLATE "C",
    expires         TEXT COLLATE "C",
    last_inspected  TEXT COLLATE "C",
    remarks         TEXT COLLATE "C",
    valid_from      TEXT COLLATE "C" NOT NULL,
    valid_to        TEXT COLLATE "C" CHECK (valid_to IS NULL OR valid_to > valid_from),
    opened_by       BIGINT NOT NULL,
    source_line     BIGINT CHECK (source_line IS NULL OR source_line > 0)
);
CREATE INDEX holding_version_by_depot_end ON holding_version(depot_id, valid_to);
CREATE INDEX holding_version_by_depot_start ON holding_version(depot_id, valid_from);

-- Derived data, rebuilt by every import and recomputed by `check`: no
-- declared references either.
CREATE TABLE readiness_current (
    depot_id  BIGINT NOT NULL,
    type_id   BIGINT NOT NULL,
    fmc       BIGINT NOT NULL CHECK (fmc >= 0),
    pmc       BIGINT NOT NULL CHECK (pmc >= 0),
    nmcm      BIGINT NOT NULL CHECK (nmcm >= 0),
    nmcs      BIGINT NOT NULL CHECK (nmcs >= 0),
    expired   BIGINT NOT NULL CHECK (expired >= 0),
    PRIMARY KEY (depot_id, type_id)
);
CREATE TABLE readiness_notice (
    depot_id      BIGINT NOT NULL,
    type_id       BIGINT NOT NULL,
    notice_hours  BIGINT,
    fmc           BIGINT NOT NULL CHECK (fmc >= 0),
    pmc           BIGINT NOT NULL CHECK (pmc >= 0)
);
CREATE INDEX readiness_notice_by_depot ON readiness_notice(depot_id, type_id, notice_hours, fmc, pmc);

CREATE TABLE requirement (
    depot_id  BIGINT NOT NULL REFERENCES depot(id),
    type_id   BIGINT NOT NULL REFERENCES equipment_type(id),
    required  BIGINT NOT NULL CHECK (required >= 0),
    PRIMARY KEY (depot_id, type_id)
);

CREATE VIEW current_holdings AS
SELECT d.code           AS depot,
       s.as_of          AS as_of,
       t.code           AS type,
       t.category       AS category,
       t.nsn            AS nsn,
       h.status         AS status,
       CASE WHEN h.expires IS NOT NULL AND h.expires < s.as_of
            THEN 1 ELSE 0 END AS expired,
       h.quantity       AS quantity,
       h.serial         AS serial,
       h.owner          AS owner,
       h.notice_hours   AS notice_hours,
       h.lot            AS lot,
       h.expires        AS expires,
       h.last_inspected AS last_inspected,
       h.remarks        AS remarks
FROM holding_version h
JOIN depot d          ON d.id = h.depot_id
JOIN equipment_type t ON t.id = h.type_id
JOIN snapshot s       ON s.depot_id = h.depot_id
                     AND s.as_of = (SELECT max(as_of) FROM snapshot WHERE depot_id = h.depot_id)
WHERE h.valid_to IS NULL;

CREATE VIEW current_readiness AS
SELECT d.code AS depot, t.code AS type, t.category AS category,
       r.fmc + r.pmc + r.nmcm + r.nmcs + r.expired AS on_hand,
       r.fmc AS fmc, r.pmc AS pmc, r.nmcm AS nmcm, r.nmcs AS nmcs, r.expired AS expired,
       r.fmc + r.pmc AS mc
FROM readiness_current r
JOIN depot d ON d.id = r.depot_id
JOIN equipment_type t ON t.id = r.type_id;

CREATE VIEW required_levels AS
SELECT d.code AS depot, t.code AS type, t.category AS category, q.required AS required
FROM requirement q
JOIN depot d ON d.id = q.depot_id
JOIN equipment_type t ON t.id = q.type_id;

-- migration 3: as in the SQLite part above.
DROP VIEW current_readiness;
DROP VIEW current_holdings;
DROP TABLE readiness_current;
DROP TABLE readiness_notice;
CREATE TABLE readiness_current (
    depot_id   BIGINT NOT NULL,
    type_id    BIGINT NOT NULL,
    fmc        BIGINT NOT NULL CHECK (fmc >= 0),
    pmc        BIGINT NOT NULL CHECK (pmc >= 0),
    nmcm       BIGINT NOT NULL CHECK (nmcm >= 0),
    nmcs       BIGINT NOT NULL CHECK (nmcs >= 0),
    ammo_fmc   BIGINT NOT NULL CHECK (ammo_fmc >= 0),
    ammo_pmc   BIGINT NOT NULL CHECK (ammo_pmc >= 0),
    ammo_nmcm  BIGINT NOT NULL CHECK (ammo_nmcm >= 0),
    ammo_nmcs  BIGINT NOT NULL CHECK (ammo_nmcs >= 0),
    PRIMARY KEY (depot_id, type_id)
);
CREATE TABLE readiness_notice (
    depot_id      BIGINT NOT NULL,
    type_id       BIGINT NOT NULL,
    notice_hours  BIGINT,
    fmc           BIGINT NOT NULL CHECK (fmc >= 0),
    pmc           BIGINT NOT NULL CHECK (pmc >= 0),
    ammo_fmc      BIGINT NOT NULL CHECK (ammo_fmc >= 0),
    ammo_pmc      BIGINT NOT NULL CHECK (ammo_pmc >= 0)
);
CREATE INDEX readiness_notice_by_depot
    ON readiness_notice(depot_id, type_id, notice_hours, fmc, pmc, ammo_fmc, ammo_pmc);
CREATE TABLE readiness_expiry (
    depot_id      BIGINT NOT NULL,
    type_id       BIGINT NOT NULL,
    notice_hours  BIGINT,
    expires       TEXT COLLATE "C" NOT NULL,
    status        TEXT COLLATE "C" NOT NULL CHECK (status = 'FMC' OR status = 'PMC' OR status = 'NMCM' OR status = 'NMCS'),
    quantity      BIGINT NOT NULL CHECK (quantity > 0)
);

INSERT INTO readiness_current
SELECT depot_id, type_id,
       sum(CASE WHEN lot IS NULL AND status = 'FMC' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NULL AND status = 'PMC' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NULL AND status = 'NMCM' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NULL AND status = 'NMCS' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NOT NULL AND status = 'FMC' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NOT NULL AND status = 'PMC' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NOT NULL AND status = 'NMCM' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NOT NULL AND status = 'NMCS' THEN quantity ELSE 0 END)
FROM holding_version WHERE valid_to IS NULL
GROUP BY depot_id, type_id;
INSERT INTO readiness_notice
SELECT depot_id, type_id, notice_hours,
       sum(CASE WHEN lot IS NULL AND status = 'FMC' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NULL AND status = 'PMC' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NOT NULL AND status = 'FMC' THEN quantity ELSE 0 END),
       sum(CASE WHEN lot IS NOT NULL AND status = 'PMC' THEN quantity ELSE 0 END)
FROM holding_version WHERE valid_to IS NULL AND (status = 'FMC' OR status = 'PMC')
GROUP BY depot_id, type_id, notice_hours;
INSERT INTO readiness_expiry
SELECT depot_id, type_id, notice_hours, expires, status, sum(quantity)
FROM holding_version WHERE valid_to IS NULL AND lot IS NOT NULL AND expires IS NOT NULL
GROUP BY depot_id, type_id, notice_hours, expires, status;

ALTER TABLE snapshot ADD COLUMN on_hand BIGINT NOT NULL DEFAULT 0 CHECK (on_hand >= 0);
ALTER TABLE snapshot ADD COLUMN ammo_on_hand BIGINT NOT NULL DEFAULT 0 CHECK (ammo_on_hand >= 0);
ALTER TABLE snapshot ADD COLUMN ammo_serviceable BIGINT NOT NULL DEFAULT 0 CHECK (ammo_serviceable >= 0);
UPDATE snapshot SET
    on_hand = (SELECT coalesce(sum(h.quantity), 0) FROM holding_version h
               WHERE h.depot_id = snapshot.depot_id AND h.valid_from <= snapshot.as_of
                 AND (h.valid_to IS NULL OR h.valid_to > snapshot.as_of) AND h.lot IS NULL),
    mc = (SELECT coalesce(sum(h.quantity), 0) FROM holding_version h
          WHERE h.depot_id = snapshot.depot_id AND h.valid_from <= snapshot.as_of
            AND (h.valid_to IS NULL OR h.valid_to > snapshot.as_of) AND h.lot IS NULL
            AND (h.status = 'FMC' OR h.status = 'PMC')),
    ammo_on_hand = (SELECT coalesce(sum(h.quantity), 0) FROM holding_version h
                    WHERE h.depot_id = snapshot.depot_id AND h.valid_from <= snapshot.as_of
                      AND (h.valid_to IS NULL OR h.valid_to > snapshot.as_of) AND h.lot IS NOT NULL),
    ammo_serviceable = (SELECT coalesce(sum(h.quantity), 0) FROM holding_version h
                        WHERE h.depot_id = snapshot.depot_id AND h.valid_from <= snapshot.as_of
                          AND (h.valid_to IS NULL OR h.valid_to > snapshot.as_of) AND h.lot IS NOT NULL
                          AND (h.status = 'FMC' OR h.status = 'PMC')
                          AND (h.expires IS NULL OR h.expires >= snapshot.as_of));

CREATE VIEW current_holdings AS
SELECT d.code           AS depot,
       s.as_of          AS as_of,
       t.code           AS type,
       t.category       AS category,
       t.nsn            AS nsn,
       h.status         AS status,
       CASE WHEN h.lot IS NOT NULL AND h.expires < to_char(current_date, 'YYYY-MM-DD')
            THEN 1 ELSE 0 END AS expired,
       h.quantity       AS quantity,
       h.serial         AS serial,
       h.owner          AS owner,
       h.notice_hours   AS notice_hours,
       h.lot            AS lot,
       h.expires        AS expires,
       h.last_inspected AS last_inspected,
       h.remarks        AS remarks
FROM holding_version h
JOIN depot d          ON d.id = h.depot_id
JOIN equipment_type t ON t.id = h.type_id
JOIN snapshot s       ON s.depot_id = h.depot_id
                     AND s.as_of = (SELECT max(as_of) FROM snapshot WHERE depot_id = h.depot_id)
WHERE h.valid_to IS NULL;

CREATE VIEW current_readiness AS
SELECT -- Each depot's current holdings by type, judged today (UTC): on
       -- hand and by status in equipment items, then in rounds of
       -- ammunition. Sum either kind's columns freely; never add one
       -- kind to the other.
       d.code AS depot, t.code AS type, t.category AS category,
       r.fmc + r.pmc + r.nmcm + r.nmcs AS on_hand,
       r.fmc AS fmc, r.pmc AS pmc, r.nmcm AS nmcm, r.nmcs AS nmcs,
       r.fmc + r.pmc AS mc,
       r.ammo_fmc + r.ammo_pmc + r.ammo_nmcm + r.ammo_nmcs AS ammo_on_hand,
       r.ammo_fmc + r.ammo_pmc - coalesce(x.serviceable, 0) AS ammo_serviceable,
       r.ammo_nmcm + r.ammo_nmcs - coalesce(x.unserviceable, 0) AS ammo_unserviceable,
       coalesce(x.serviceable, 0) + coalesce(x.unserviceable, 0) AS ammo_expired
FROM readiness_current r
JOIN depot d ON d.id = r.depot_id
JOIN equipment_type t ON t.id = r.type_id
LEFT JOIN (SELECT depot_id, type_id,
                  sum(CASE WHEN status = 'FMC' OR status = 'PMC' THEN quantity ELSE 0 END)::bigint AS serviceable,
                  sum(CASE WHEN status = 'NMCM' OR status = 'NMCS' THEN quantity ELSE 0 END)::bigint AS unserviceable
           FROM readiness_expiry WHERE expires < to_char(current_date, 'YYYY-MM-DD')
           GROUP BY depot_id, type_id) x
       ON x.depot_id = r.depot_id AND x.type_id = r.type_id;

-- migration 4: as in the SQLite part above.
ALTER TABLE holding_version ADD COLUMN condition_code TEXT COLLATE "C"
    CHECK (condition_code IS NULL OR condition_code ~ '^[ABCDEFGHJKLMNP]$');
ALTER TABLE holding_version ADD COLUMN next_test TEXT COLLATE "C"
    CHECK (next_test IS NULL OR next_test ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$');
ALTER TABLE readiness_current ADD COLUMN ammo_susp BIGINT NOT NULL DEFAULT 0 CHECK (ammo_susp >= 0);
ALTER TABLE snapshot ADD COLUMN ammo_suspended BIGINT NOT NULL DEFAULT 0 CHECK (ammo_suspended >= 0);
ALTER TABLE readiness_notice ADD COLUMN priority BIGINT NOT NULL DEFAULT 0 CHECK (priority IN (0, 1));
ALTER TABLE readiness_expiry ADD COLUMN priority BIGINT NOT NULL DEFAULT 0 CHECK (priority IN (0, 1));
DROP INDEX readiness_notice_by_depot;
CREATE INDEX readiness_notice_by_depot
    ON readiness_notice(depot_id, type_id, notice_hours, priority, fmc, pmc, ammo_fmc, ammo_pmc);

DROP VIEW current_holdings;
DROP VIEW current_readiness;
CREATE VIEW current_holdings AS
SELECT d.code           AS depot,
       s.as_of          AS as_of,
       t.code           AS type,
       t.category       AS category,
       t.nsn            AS nsn,
       h.status         AS status,
       h.condition_code AS condition_code,
       CASE WHEN h.lot IS NOT NULL AND h.expires < to_char(current_date, 'YYYY-MM-DD')
            THEN 1 ELSE 0 END AS expired,
       h.quantity       AS quantity,
       h.serial         AS serial,
       h.owner          AS owner,
       h.notice_hours   AS notice_hours,
       h.lot            AS lot,
       h.expires        AS expires,
       h.next_test      AS next_test,
       h.last_inspected AS last_inspected,
       h.remarks        AS remarks
FROM holding_version h
JOIN depot d          ON d.id = h.depot_id
JOIN equipment_type t ON t.id = h.type_id
JOIN snapshot s       ON s.depot_id = h.depot_id
                     AND s.as_of = (SELECT max(as_of) FROM snapshot WHERE depot_id = h.depot_id)
WHERE h.valid_to IS NULL;

CREATE VIEW current_readiness AS
SELECT d.code AS depot, t.code AS type, t.category AS category,
       r.fmc + r.pmc + r.nmcm + r.nmcs AS on_hand,
       r.fmc AS fmc, r.pmc AS pmc, r.nmcm AS nmcm, r.nmcs AS nmcs,
       r.fmc + r.pmc AS mc,
       r.ammo_fmc + r.ammo_pmc + r.ammo_nmcm + r.ammo_nmcs + r.ammo_susp AS ammo_on_hand,
       r.ammo_fmc + r.ammo_pmc - coalesce(x.serviceable, 0) AS ammo_serviceable,
       r.ammo_nmcm + r.ammo_nmcs - coalesce(x.unserviceable, 0) AS ammo_unserviceable,
       coalesce(x.serviceable, 0) + coalesce(x.unserviceable, 0) AS ammo_expired,
       r.ammo_susp AS ammo_suspended
FROM readiness_current r
JOIN depot d ON d.id = r.depot_id
JOIN equipment_type t ON t.id = r.type_id
LEFT JOIN (SELECT depot_id, type_id,
                  sum(CASE WHEN status = 'FMC' OR status = 'PMC' THEN quantity ELSE 0 END)::bigint AS serviceable,
                  sum(CASE WHEN status = 'NMCM' OR status = 'NMCS' THEN quantity ELSE 0 END)::bigint AS unserviceable
           FROM readiness_expiry WHERE expires < to_char(current_date, 'YYYY-MM-DD')
           GROUP BY depot_id, type_id) x
       ON x.depot_id = r.depot_id AND x.type_id = r.type_id;


-- migration 5: as in the SQLite part above, as PostgreSQL keeps comments
-- (psql's \d+, \dv+). A later migration that recreates a view must say
-- its COMMENT again.
COMMENT ON TABLE stockpile_schema IS 'stockpile''s mark and schema version (what a SQLite file keeps in PRAGMA application_id and user_version).';
COMMENT ON TABLE depot IS 'A depot: one row per code an export has named.';
COMMENT ON TABLE equipment_type IS 'An equipment model or ammunition nature, with its one NSN and category.';
COMMENT ON TABLE import_ledger IS 'Every write stockpile made (an import, requirements, a suspension, a policy), each chained to the one before by entry_hash; stockpile check verifies it.';
COMMENT ON TABLE snapshot IS 'One depot''s export as of one date: its lines, quantity and digest.';
COMMENT ON TABLE holding_version IS 'HISTORY, not the current state: a line is kept once per stretch of dates [valid_from, valid_to) in which it stayed unchanged, so summing quantity here counts every past version too. Query current_holdings (today''s lines) or current_readiness (today''s figures) instead.';
COMMENT ON COLUMN holding_version.valid_to IS 'NULL while the line is still held; else the date of the first snapshot without it.';
COMMENT ON TABLE requirement IS 'Authorised levels: the quantity of a type a depot must hold.';
COMMENT ON TABLE readiness_current IS 'Import-time sums behind the reports, per depot and type: today''s items (fmc … nmcs) and rounds (ammo_*), lots under their reported status (expiry is applied when read). Read current_readiness, which applies it.';
COMMENT ON TABLE readiness_notice IS 'Mission-capable items and serviceable rounds per depot, type and notice: what deployable and packages read.';
COMMENT ON TABLE readiness_expiry IS 'Today''s lots that have an expiry date: a figure about date D counts those with expires < D as expired, not under their status.';
COMMENT ON VIEW current_holdings IS 'Today''s holdings: one row per line of each depot''s latest export, items (lot empty) and lots of rounds (lot given) apart by lot: never sum quantity across the two. expired is judged today (UTC); force-wide suspensions are not applied here (stockpile suspensions lists them). This, not holding_version, is what a depot holds now.';
COMMENT ON VIEW current_readiness IS 'Each depot''s current holdings by type, judged today (UTC): on hand and by status in equipment items, then in rounds of ammunition (suspended by condition code apart; force-wide suspensions are applied by stockpile''s reports, not here). One row per depot and type. Sum either kind''s columns freely; never add one kind to the other.';
COMMENT ON VIEW required_levels IS 'The quantity of a type each depot is required to hold (the requirement table with codes).';


-- migration 6: as in the SQLite part above.
ALTER TABLE depot ADD COLUMN provenance TEXT
    CHECK (provenance IS NULL OR length(provenance) = 32);
COMMENT ON COLUMN depot.provenance IS 'The sum the depot''s holding versions'' (line key, ledger entry, line) hash to, as its last import sealed it in the ledger; stockpile check recomputes it.';


-- migration 7: as in the SQLite part above.
ALTER TABLE readiness_expiry ADD COLUMN owner TEXT COLLATE "C";
DELETE FROM readiness_expiry;
CREATE TABLE readiness_owner (
    type_id    BIGINT NOT NULL,
    owner      TEXT COLLATE "C",
    fmc        BIGINT NOT NULL CHECK (fmc >= 0),
    pmc        BIGINT NOT NULL CHECK (pmc >= 0),
    nmcm       BIGINT NOT NULL CHECK (nmcm >= 0),
    nmcs       BIGINT NOT NULL CHECK (nmcs >= 0),
    ammo_fmc   BIGINT NOT NULL CHECK (ammo_fmc >= 0),
    ammo_pmc   BIGINT NOT NULL CHECK (ammo_pmc >= 0),
    ammo_nmcm  BIGINT NOT NULL CHECK (ammo_nmcm >= 0),
    ammo_nmcs  BIGINT NOT NULL CHECK (ammo_nmcs >= 0),
    ammo_susp  BIGINT NOT NULL CHECK (ammo_susp >= 0)
);
CREATE TABLE readiness_owner_notice (
    type_id       BIGINT NOT NULL,
    owner         TEXT COLLATE "C",
    notice_hours  BIGINT,
    priority      BIGINT NOT NULL CHECK (priority IN (0, 1)),
    fmc           BIGINT NOT NULL CHECK (fmc >= 0),
    pmc           BIGINT NOT NULL CHECK (pmc >= 0),
    ammo_fmc      BIGINT NOT NULL CHECK (ammo_fmc >= 0),
    ammo_pmc      BIGINT NOT NULL CHECK (ammo_pmc >= 0)
);
CREATE TABLE readiness_depot_owner (
    depot_id   BIGINT NOT NULL,
    owner      TEXT COLLATE "C",
    fmc        BIGINT NOT NULL CHECK (fmc >= 0),
    pmc        BIGINT NOT NULL CHECK (pmc >= 0),
    nmcm       BIGINT NOT NULL CHECK (nmcm >= 0),
    nmcs       BIGINT NOT NULL CHECK (nmcs >= 0),
    ammo_fmc   BIGINT NOT NULL CHECK (ammo_fmc >= 0),
    ammo_pmc   BIGINT NOT NULL CHECK (ammo_pmc >= 0),
    ammo_nmcm  BIGINT NOT NULL CHECK (ammo_nmcm >= 0),
    ammo_nmcs  BIGINT NOT NULL CHECK (ammo_nmcs >= 0),
    ammo_susp  BIGINT NOT NULL CHECK (ammo_susp >= 0)
);
CREATE INDEX readiness_depot_owner_by_depot ON readiness_depot_owner(depot_id);
CREATE TABLE readiness_depot_owner_notice (
    depot_id      BIGINT NOT NULL,
    owner         TEXT COLLATE "C",
    notice_hours  BIGINT,
    priority      BIGINT NOT NULL CHECK (priority IN (0, 1)),
    fmc           BIGINT NOT NULL CHECK (fmc >= 0),
    pmc           BIGINT NOT NULL CHECK (pmc >= 0),
    ammo_fmc      BIGINT NOT NULL CHECK (ammo_fmc >= 0),
    ammo_pmc      BIGINT NOT NULL CHECK (ammo_pmc >= 0)
);
CREATE INDEX readiness_depot_owner_notice_by_depot ON readiness_depot_owner_notice(depot_id);
INSERT INTO readiness_expiry (depot_id, type_id, notice_hours, expires, status, quantity, priority, owner)
SELECT depot_id, type_id, notice_hours, expires, status, CAST(sum(quantity) AS BIGINT),
       CASE WHEN condition_code = 'C' THEN 1 ELSE 0 END, owner
FROM holding_version
WHERE valid_to IS NULL AND lot IS NOT NULL AND expires IS NOT NULL
  AND (condition_code IS NULL OR condition_code NOT IN ('J', 'K', 'L', 'M', 'N'))
GROUP BY depot_id, type_id, notice_hours, expires, status, CASE WHEN condition_code = 'C' THEN 1 ELSE 0 END, owner;
-- Equipment under a suspended code counts as NMCS, a lot under one in
-- ammo_susp (model.rs, bucket).
INSERT INTO readiness_owner
SELECT type_id, owner,
       CAST(sum(CASE WHEN lot IS NULL AND NOT s AND status = 'FMC' THEN quantity ELSE 0 END) AS BIGINT),
       CAST(sum(CASE WHEN lot IS NULL AND NOT s AND status = 'PMC' THEN quantity ELSE 0 END) AS BIGINT),
       CAST(sum(CASE WHEN lot IS NULL AND NOT s AND status = 'NMCM' THEN quantity ELSE 0 END) AS BIGINT),
       CAST(sum(CASE WHEN lot IS NULL AND (s OR status = 'NMCS') THEN quantity ELSE 0 END) AS BIGINT),
       CAST(sum(CASE WHEN lot IS NOT NULL AND NOT s AND status = 'FMC' THEN quantity ELSE 0 END) AS BIGINT),
       CAST(sum(CASE WHEN lot IS NOT NULL AND NOT s AND status = 'PMC' THEN quantity ELSE 0 END) AS BIGINT),
       CAST(sum(CASE WHEN lot IS NOT NULL AND NOT s AND status = 'NMCM' THEN quantity ELSE 0 END) AS BIGINT),
       CAST(sum(CASE WHEN lot IS NOT NULL AND NOT s AND status = 'NMCS' THEN quantity ELSE 0 END) AS BIGINT),
       CAST(sum(CASE WHEN lot IS NOT NULL AND s THEN quantity ELSE 0 END) AS BIGINT)
FROM (SELECT type_id, owner, lot, status, quantity,
             coalesce(condition_code IN ('J', 'K', 'L', 'M', 'N'), FALSE) AS s
      FROM holding_version WHERE valid_to IS NULL) h
GROUP BY type_id, owner;
INSERT INTO readiness_owner_notice
SELECT type_id, owner, notice_hours, CASE WHEN condition_code = 'C' THEN 1 ELSE 0 END,
       CAST(sum(CASE WHEN lot IS NULL AND status = 'FMC' THEN quantity ELSE 0 END) AS BIGINT),
       CAST(sum(CASE WHEN lot IS NULL AND status = 'PMC' THEN quantity ELSE 0 END) AS BIGINT),
       CAST(sum(CASE WHEN lot IS NOT NULL AND status = 'FMC' THEN quantity ELSE 0 END) AS BIGINT),
       CAST(sum(CASE WHEN lot IS NOT NULL AND status = 'PMC' THEN quantity ELSE 0 END) AS BIGINT)
FROM holding_version
WHERE valid_to IS NULL AND (status = 'FMC' OR status = 'PMC')
  AND (condition_code IS NULL OR condition_code NOT IN ('J', 'K', 'L', 'M', 'N'))
GROUP BY type_id, owner, notice_hours, CASE WHEN condition_code = 'C' THEN 1 ELSE 0 END;
INSERT INTO readiness_depot_owner
SELECT depot_id, owner,
       CAST(sum(CASE WHEN lot IS NULL AND NOT s AND status = 'FMC' THEN quantity ELSE 0 END) AS BIGINT),
       CAST(sum(CASE WHEN lot IS NULL AND NOT s AND status = 'PMC' THEN quantity ELSE 0 END) AS BIGINT),
       CAST(sum(CASE WHEN lot IS NULL AND NOT s AND status = 'NMCM' THEN quantity ELSE 0 END) AS BIGINT),
       CAST(sum(CASE WHEN lot IS NULL AND (s OR status = 'NMCS') THEN quantity ELSE 0 END) AS BIGINT),
       CAST(sum(CASE WHEN lot IS NOT NULL AND NOT s AND status = 'FMC' THEN quantity ELSE 0 END) AS BIGINT),
       CAST(sum(CASE WHEN lot IS NOT NULL AND NOT s AND status = 'PMC' THEN quantity ELSE 0 END) AS BIGINT),
       CAST(sum(CASE WHEN lot IS NOT NULL AND NOT s AND status = 'NMCM' THEN quantity ELSE 0 END) AS BIGINT),
       CAST(sum(CASE WHEN lot IS NOT NULL AND NOT s AND status = 'NMCS' THEN quantity ELSE 0 END) AS BIGINT),
       CAST(sum(CASE WHEN lot IS NOT NULL AND s THEN quantity ELSE 0 END) AS BIGINT)
FROM (SELECT depot_id, owner, lot, status, quantity,
             coalesce(condition_code IN ('J', 'K', 'L', 'M', 'N'), FALSE) AS s
      FROM holding_version WHERE valid_to IS NULL) h
GROUP BY depot_id, owner;
INSERT INTO readiness_depot_owner_notice
SELECT depot_id, owner, notice_hours, CASE WHEN condition_code = 'C' THEN 1 ELSE 0 END,
       CAST(sum(CASE WHEN lot IS NULL AND status = 'FMC' THEN quantity ELSE 0 END) AS BIGINT),
       CAST(sum(CASE WHEN lot IS NULL AND status = 'PMC' THEN quantity ELSE 0 END) AS BIGINT),
       CAST(sum(CASE WHEN lot IS NOT NULL AND status = 'FMC' THEN quantity ELSE 0 END) AS BIGINT),
       CAST(sum(CASE WHEN lot IS NOT NULL AND status = 'PMC' THEN quantity ELSE 0 END) AS BIGINT)
FROM holding_version
WHERE valid_to IS NULL AND (status = 'FMC' OR status = 'PMC')
  AND (condition_code IS NULL OR condition_code NOT IN ('J', 'K', 'L', 'M', 'N'))
GROUP BY depot_id, owner, notice_hours, CASE WHEN condition_code = 'C' THEN 1 ELSE 0 END;
COMMENT ON TABLE readiness_expiry IS 'Today''s lots that have an expiry date, by depot, type and owner: a figure about date D counts those with expires < D as expired, not under their status.';
COMMENT ON TABLE readiness_owner IS 'Import-time sums per owner nation and type across every depot: today''s items (fmc … nmcs) and rounds (ammo_*) as readiness_current keeps them per depot. stockpile report --by owner reads them.';
COMMENT ON TABLE readiness_owner_notice IS 'Mission-capable items and serviceable rounds per owner nation, type and notice across every depot: what deployable --by owner reads.';
COMMENT ON TABLE readiness_depot_owner IS 'Import-time sums per depot and owner nation, all types together: today''s items (fmc … nmcs) and rounds (ammo_*), for a report by depot and owner without reading the holdings.';
COMMENT ON TABLE readiness_depot_owner_notice IS 'Mission-capable items and serviceable rounds per depot, owner nation and notice, all types together: deployable by depot and owner.';


-- migration 8: as in the SQLite part above.
DELETE FROM readiness_expiry;
ALTER TABLE readiness_expiry ADD COLUMN lots BIGINT NOT NULL DEFAULT 1 CHECK (lots > 0);
INSERT INTO readiness_expiry (depot_id, type_id, notice_hours, expires, status, quantity, priority, owner, lots)
SELECT depot_id, type_id, notice_hours, expires, status, CAST(sum(quantity) AS BIGINT),
       CASE WHEN condition_code = 'C' THEN 1 ELSE 0 END, owner, count(*)
FROM holding_version
WHERE valid_to IS NULL AND lot IS NOT NULL AND expires IS NOT NULL
  AND (condition_code IS NULL OR condition_code NOT IN ('J', 'K', 'L', 'M', 'N'))
GROUP BY depot_id, type_id, notice_hours, expires, status, CASE WHEN condition_code = 'C' THEN 1 ELSE 0 END, owner;
CREATE TABLE attention_day (
    depot_id  BIGINT NOT NULL,
    kind      TEXT NOT NULL
        CHECK (kind IN ('suspended', 'expires', 'inspected', 'uninspected', 'test_due')),
    day       TEXT,
    items     BIGINT NOT NULL CHECK (items > 0),
    quantity  BIGINT NOT NULL CHECK (quantity > 0)
);
CREATE INDEX attention_day_by_depot ON attention_day(depot_id);
WITH h AS (
    SELECT depot_id, quantity, serial, lot, expires, last_inspected, next_test,
           coalesce(condition_code IN ('J', 'K', 'L', 'M', 'N'), FALSE) AS s
    FROM holding_version WHERE valid_to IS NULL)
INSERT INTO attention_day
SELECT depot_id, kind, day, count(*), CAST(sum(quantity) AS BIGINT)
FROM (SELECT depot_id, 'suspended' AS kind, NULL AS day, quantity FROM h WHERE s
      UNION ALL
      SELECT depot_id, 'expires', expires, quantity
      FROM h WHERE NOT s AND expires IS NOT NULL AND lot IS NULL
      UNION ALL
      SELECT depot_id, 'inspected', last_inspected, quantity
      FROM h WHERE NOT s AND last_inspected IS NOT NULL
      UNION ALL
      SELECT depot_id, 'uninspected', NULL, quantity
      FROM h WHERE NOT s AND last_inspected IS NULL AND serial IS NOT NULL
      UNION ALL
      SELECT depot_id, 'test_due', next_test, quantity FROM h WHERE NOT s AND next_test IS NOT NULL) a
GROUP BY depot_id, kind, day;
COMMENT ON TABLE attention_day IS 'What needs attention, by depot, kind and day: the current versions (items) and their quantity suspended, expiring (lines without a lot; lots are counted in readiness_expiry), last inspected, never inspected (serialized) or due a surveillance test on that day. stockpile watch judges them on its date and windows.';
COMMENT ON COLUMN readiness_expiry.lots IS 'How many lot lines the row sums: stockpile watch counts lots expired and expiring from them.';
