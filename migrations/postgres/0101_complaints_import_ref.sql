-- Row identity of bulk imports: `sigap complaints import` stores `import:<batch>:<row>` in
-- external_ref, and this index makes it unique, so a re-run after a crash adds only the rows
-- that were not committed (NULLs, i.e. every other intake, are not compared).
CREATE UNIQUE INDEX complaints_external_ref ON complaints (external_ref);
