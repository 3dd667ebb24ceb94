package spec

import (
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// ruleLoad loads src as the one file main.fleet.hcl and returns every diagnostic.
func ruleLoad(t *testing.T, src string) hcl.Diagnostics {
	t.Helper()
	return ruleLoadFiles(t, []File{{Name: "main.fleet.hcl", Src: []byte(src)}})
}

// ruleLoadFiles loads the files with no variable inputs and returns every diagnostic.
func ruleLoadFiles(t *testing.T, files []File) hcl.Diagnostics {
	t.Helper()
	_, diags := Load(files, Inputs{})
	return diags
}
