// Package catalog is the instance catalog of the legacy CVM API: the instance families with
// their cpu/mem pairs and the data-disk types and sizes each offers, the system-disk rules, and
// the regions with their short codes and numeric zones.
//
// The catalog is data, not code: it lives in catalog.json, embedded in the binary, so that a
// new family, pair or zone is a change to that file only. Default parses it once; Parse checks
// that it is consistent (every family has pairs and storage, every region has zones, no code,
// short code or zone id appears twice), so a catalog that loads is one the rules can trust.
// A Catalog is never modified after it is built and may be shared between goroutines.
package catalog
