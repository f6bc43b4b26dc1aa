-- Bansos distribution: targets per RW, deliveries to RW drop points, hand-outs to households.
-- Records are never updated or deleted: a correction is a new row whose `corrects` names the old
-- one (at most one correction per row), and totals count only rows nobody corrects.
CREATE TABLE bansos_target (rw text PRIMARY KEY, target_kk bigint NOT NULL CHECK (target_kk >= 0),
  generated boolean NOT NULL DEFAULT false, updated_at timestamptz NOT NULL);

CREATE TABLE bansos_delivery (id bigserial PRIMARY KEY, rw text NOT NULL, date date NOT NULL,
  provider text NOT NULL, bast_ref text NOT NULL,
  packages_sent bigint NOT NULL CHECK (packages_sent >= 0),
  packages_received bigint NOT NULL CHECK (packages_received >= 0 AND packages_received <= packages_sent),
  packages_damaged bigint NOT NULL CHECK (packages_damaged >= 0),
  packages_short bigint NOT NULL CHECK (packages_short >= 0),
  packages_returned bigint NOT NULL CHECK (packages_returned >= 0),
  corrects bigint UNIQUE REFERENCES bansos_delivery(id),
  generated boolean NOT NULL DEFAULT false, actor text NOT NULL, created_at timestamptz NOT NULL);
CREATE INDEX bansos_delivery_rw ON bansos_delivery (rw);

CREATE TABLE bansos_handout (id bigserial PRIMARY KEY, rw text NOT NULL, date date NOT NULL,
  kk_served bigint NOT NULL CHECK (kk_served >= 0),
  corrects bigint UNIQUE REFERENCES bansos_handout(id),
  generated boolean NOT NULL DEFAULT false, actor text NOT NULL, created_at timestamptz NOT NULL);
CREATE INDEX bansos_handout_rw ON bansos_handout (rw);

CREATE FUNCTION bansos_append_only() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN RAISE EXCEPTION '% is append-only; post a correction', TG_TABLE_NAME; END $$;
CREATE TRIGGER bansos_delivery_no_change BEFORE UPDATE OR DELETE ON bansos_delivery
  FOR EACH ROW EXECUTE FUNCTION bansos_append_only();
CREATE TRIGGER bansos_handout_no_change BEFORE UPDATE OR DELETE ON bansos_handout
  FOR EACH ROW EXECUTE FUNCTION bansos_append_only();

-- Bumped by every bansos write inside its transaction: the progress cache is keyed by it, so a
-- cached answer can never outlive a committed write (from this process, another one, or the CLI).
CREATE TABLE bansos_revision (id integer PRIMARY KEY CHECK (id = 1), rev bigint NOT NULL);
INSERT INTO bansos_revision (id, rev) VALUES (1, 0);
