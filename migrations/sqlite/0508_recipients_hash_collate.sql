-- PostgreSQL's 0508 gives the lookup hashes the "C" (bytewise) collation so their unique indexes
-- compare bytes instead of calling strcoll. SQLite's default collation (BINARY) already compares
-- bytes: nothing to change here; the file keeps the two dialects' numbering in step.
SELECT 1;
