-- Bansos distribution: targets per RW, deliveries to RW drop points, hand-outs to households.
-- Records are never updated or deleted: a correction is a new row whose `corrects` names the old
-- one (at most one correction per row), and totals count only rows nobody corrects.
CREATE TABLE bansos_target (rw TEXT PRIMARY KEY, target_kk INTEGER NOT NULL CHECK (target_kk >= 0),
  generated BOOLEAN NOT NULL DEFAULT 0, updated_at DATETIME NOT NULL);

CREATE TABLE bansos_delivery (id INTEGER PRIMARY KEY AUTOINCREMENT, rw TEXT NOT NULL, date DATE NOT NULL,
  provider TEXT NOT NULL, bast_ref TEXT NOT NULL,
  packages_sent INTEGER NOT NULL CHECK (packages_sent >= 0),
  packages_received INTEGER NOT NULL CHECK (packages_received >= 0 AND packages_received <= packages_sent),
  packages_damaged INTEGER NOT NULL CHECK (packages_damaged >= 0),
  packages_short INTEGER NOT NULL CHECK (packages_short >= 0),
  packages_returned INTEGER NOT NULL CHECK (packages_returned >= 0),
  corrects INTEGER UNIQUE REFERENCES bansos_delivery(id),
  generated BOOLEAN NOT NULL DEFAULT 0, actor TEXT NOT NULL, created_at DATETIME NOT NULL);
CREATE INDEX bansos_delivery_rw ON bansos_delivery (rw);

CREATE TABLE bansos_handout (id INTEGER PRIMARY KEY AUTOINCREMENT, rw TEXT NOT NULL, date DATE NOT NULL,
  kk_served INTEGER NOT NULL CHECK (kk_served >= 0),
  corrects INTEGER UNIQUE REFERENCES bansos_handout(id),
  generated BOOLEAN NOT NULL DEFAULT 0, actor TEXT NOT NULL, created_at DATETIME NOT NULL);
CREATE INDEX bansos_handout_rw ON bansos_handout (rw);

CREATE TRIGGER bansos_delivery_no_update BEFORE UPDATE ON bansos_delivery BEGIN SELECT RAISE(ABORT, 'bansos_delivery is append-only; post a correction'); END;
CREATE TRIGGER bansos_delivery_no_delete BEFORE DELETE ON bansos_delivery BEGIN SELECT RAISE(ABORT, 'bansos_delivery is append-only; post a correction'); END;
CREATE TRIGGER bansos_handout_no_update BEFORE UPDATE ON bansos_handout BEGIN SELECT RAISE(ABORT, 'bansos_handout is append-only; post a correction'); END;
CREATE TRIGGER bansos_handout_no_delete BEFORE DELETE ON bansos_handout BEGIN SELECT RAISE(ABORT, 'bansos_handout is append-only; post a correction'); END;

-- Bumped by every bansos write inside its transaction: the progress cache is keyed by it, so a
-- cached answer can never outlive a committed write (from this process, another one, or the CLI).
CREATE TABLE bansos_revision (id INTEGER PRIMARY KEY CHECK (id = 1), rev INTEGER NOT NULL);
INSERT INTO bansos_revision (id, rev) VALUES (1, 0);
