// Package pgstore is the PostgreSQL implementation of state.Store, for teams whose CI
// runners share nothing.
//
// Layout: one set of tables per schema, created on first use under a transaction-level
// advisory lock and versioned in its meta table; many fleets share them, one row or set of
// rows per fleet name.
//
//   - states: the fleet's state as the canonical state file bytes (gzip), its lineage and
//     serial. Read decodes it through the same strict reader as the file store.
//   - journal: one row per journal record, inserted (records of parallel calls in one
//     statement) and committed before the call it records is sent. Read replays the rows
//     onto the state; Write folds them in by deleting them in the transaction that saves
//     the state.
//   - locks: per fleet the holder of the lock (who, host, pid, operation, since, the
//     backend's pid) and a fencing generation, raised by every lock taken.
//   - versions: one row per write (serial, time, who, operation, summary).
//
// Invariants:
//
//   - The lock is a session-level advisory lock held on the store's one connection (TCP
//     keepalives on) for the whole command: it dies with the session. Every write runs on
//     that connection and checks, in the same statement or transaction, that the holder
//     row still names this session and generation, so that a process that lost its lock
//     can never write a row. A transaction-mode connection pooler, under which a session
//     lock means nothing, is detected when the lock is taken and refused.
//   - A binary meets a schema of a newer version with a refusal, and never changes it.
//   - Write refuses a state of another lineage than the stored one, or one older than it.
//   - The connection's password never appears in an error.
package pgstore
