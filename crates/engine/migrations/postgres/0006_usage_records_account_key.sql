-- The usage log is read one account at a time, newest first (`account_id = $1 AND id < $2
-- ORDER BY id DESC`), which `usage_records_by_account` serves; nothing reads by id alone.
-- Making (account_id, id) the primary key and dropping the index on id alone leaves one
-- index to maintain per record instead of two. Ids still come from the table's sequence.
ALTER TABLE usage_records DROP CONSTRAINT usage_records_pkey;
ALTER TABLE usage_records ADD CONSTRAINT usage_records_pkey PRIMARY KEY (account_id, id);
DROP INDEX usage_records_by_account;
