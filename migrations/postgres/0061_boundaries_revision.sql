-- Revision of the boundary layers, bumped by every boundary write in its transaction: each
-- sigap process polls it and reloads its atlas (and drops the tiles of changed areas) when it moves.
CREATE TABLE boundaries_revision (id integer PRIMARY KEY CHECK (id = 1), rev bigint NOT NULL);
INSERT INTO boundaries_revision (id, rev) VALUES (1, 0);
