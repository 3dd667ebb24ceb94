// Package state holds the state model (what fleet bought, batch by batch) and its file store:
// strict versioned reads, deterministic atomic writes with a backup, the append-only journal
// written during apply, and the lock that guards every command that writes.
//
// A state that cannot be read is never overwritten.
package state
