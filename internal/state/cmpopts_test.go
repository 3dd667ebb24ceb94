package state

import (
	"github.com/google/go-cmp/cmp/cmpopts"
)

// ignoreJournaled compares states by content: how many journal records were replayed to
// reach that content is bookkeeping of Read, checked by TestJournalRecordsCounted.
var ignoreJournaled = cmpopts.IgnoreFields(State{}, "Journaled", "Version")
