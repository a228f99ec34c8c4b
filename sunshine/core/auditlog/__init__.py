"""The audit trail: the hash chain of the access log, its verification, and the audit page for supervisors."""
