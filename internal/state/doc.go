// Package state holds the state model (what fleet bought, batch by batch) and its file store:
// strict versioned reads, deterministic atomic writes with a backup, the append-only journal
// written during apply, and the lock that guards every command that writes.
//
// Invariants:
//
//   - A state that cannot be read is never overwritten: Read reports it with an error naming
//     the file (a *FormatError when the content is at fault); commands that write read
//     first and stop there. Write refuses a state that breaks these invariants.
//   - The file at the state's path is always a whole state, the old one or the new one:
//     Write replaces it by rename after the new bytes are durable, and keeps the previous
//     version as PATH.backup.
//   - Read decodes a file in the canonical form as it reads it, through a small window, so
//     that a large state's bytes and its decoded form are not in memory together; a file in
//     any other form is read whole and decoded strictly, with the same result and errors.
//   - Writes are deterministic: indented JSON, the keys of every object sorted, batches by
//     seq, instances by id, a trailing newline.
//   - The journal (fleet.state.journal beside fleet.state.json) starts with a header naming
//     the state's lineage and serial, then holds one JSON record per line. A record is
//     durable before Append returns; records of concurrent Appends share one write and one
//     fsync. Replaying a record is idempotent, and a journal is replayed only onto a state
//     whose serial is not above the header's, so a journal that survived its folding (a
//     crash between the two) changes nothing. Bytes after the last newline are a write cut
//     short by a crash, never acknowledged, and are ignored; any other bad line is an error.
//     A Write while this process has the journal open starts the journal afresh for the new
//     serial, carrying its records, so that none is lost.
//   - The lock is an flock on PATH.lock, whose content names the holder (pid, host,
//     operation, time). The file is never removed on unlock, so that two processes cannot
//     hold locks on different files of one name.
//   - An instance id, once recorded, is never dropped by replay. An id recorded in two
//     groups (an answer naming an instance imported elsewhere meanwhile) is a conflict the
//     plan reports; it never makes the state unreadable.
//   - No secret is stored: parameters that hold one (password) must be hashes.
package state
