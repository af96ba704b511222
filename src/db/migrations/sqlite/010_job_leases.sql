-- Background jobs run on one instance at a time: the one holding the job's lease (issue #22).
CREATE TABLE job_leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
