package main

import (
	"encoding/json"
	"fmt"
	"io"
)

// writeJSON writes v to w as one indented JSON document with a trailing newline, leaving
// <, > and & as they are (the output is read by people and programs, not by browsers). what
// names the document in the error.
func writeJSON(w io.Writer, what string, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write %s: %w", what, err)
	}
	return nil
}
