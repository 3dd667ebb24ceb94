package catalog

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"sync"
)

//go:embed catalog.json
var embedded []byte

// FormatVersion is the format_version of catalog files this package reads.
const FormatVersion = "1.0"

// Storage types of the legacy API's storageType parameter.
const (
	LocalHDD   = 1
	BasicCloud = 2
	LocalSSD   = 3
)

// Catalog is the parsed instance catalog.
type Catalog struct {
	notes        []string
	dataDiskStep int
	systemDisk   map[string]DiskRule
	storageTypes []StorageType
	families     []*Family
	regions      []*Region
	byFamily     map[string]*Family
	byRegion     map[string]*Region // long and short codes
}

// Pair is a valid (cpu, mem) combination: cores and GB of memory.
type Pair struct {
	CPU int
	Mem int
}

// String returns the pair as "CPU/MEM", e.g. "2/4".
func (p Pair) String() string { return strconv.Itoa(p.CPU) + "/" + strconv.Itoa(p.Mem) }

// UnmarshalJSON reads a pair written as [cpu, mem].
func (p *Pair) UnmarshalJSON(b []byte) error {
	var v []int
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if len(v) != 2 {
		return fmt.Errorf("pair %s: want [cpu, mem]", b)
	}
	p.CPU, p.Mem = v[0], v[1]
	return nil
}

// StorageRange is the data-disk size range, in GB, that a family offers for one storage type.
// A size of 0 (no data disk) is always allowed and lies outside the range.
type StorageRange struct {
	Type int `json:"type"`
	Min  int `json:"min"`
	Max  int `json:"max"`
}

// Contains reports whether size is within the range.
func (r StorageRange) Contains(size int) bool { return size >= r.Min && size <= r.Max }

// StorageType is one value of the storageType enumeration.
type StorageType struct {
	ID          int    `json:"id"`
	Name        string `json:"name"` // the spelling of the spec language
	Description string `json:"description"`
}

// DiskRule is the system-disk rule of one operating system, in GB.
type DiskRule struct {
	Min     int `json:"min"`
	Max     int `json:"max"`
	Step    int `json:"step"`
	Default int `json:"default"`
}

// Family is an instance family such as CVM.S2.
type Family struct {
	Name        string
	Description string

	pairs   []Pair // ordered by cpu, then mem
	set     map[Pair]bool
	storage []StorageRange
}

// familyJSON is a family as catalog.json writes it.
type familyJSON struct {
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Pairs       []Pair         `json:"pairs"`
	Storage     []StorageRange `json:"storage"`
}

// HasPair reports whether the family offers cpu cores with mem GB.
func (f *Family) HasPair(cpu, mem int) bool { return f.set[Pair{cpu, mem}] }

// HasCPU reports whether any pair of the family has cpu cores.
func (f *Family) HasCPU(cpu int) bool {
	for _, p := range f.pairs {
		if p.CPU == cpu {
			return true
		}
	}
	return false
}

// Pairs returns the family's pairs ordered by cpu, then mem.
func (f *Family) Pairs() []Pair { return slices.Clone(f.pairs) }

// Storage returns the data-disk range of storageType, and false when the family does not offer
// that type.
func (f *Family) Storage(storageType int) (StorageRange, bool) {
	for _, r := range f.storage {
		if r.Type == storageType {
			return r, true
		}
	}
	return StorageRange{}, false
}

// StorageTypes returns the storage types the family offers, in increasing order.
func (f *Family) StorageTypes() []int {
	out := make([]int, 0, len(f.storage))
	for _, r := range f.storage {
		out = append(out, r.Type)
	}
	sort.Ints(out)
	return out
}

// Nearest returns up to n pairs of the family closest to (cpu, mem), closest first. Closeness
// is the sum of the log-ratios of cores and memory, so 2/4 is as far from 2/8 as from 2/2, and
// pairs with the asked core count come first among equals.
func (f *Family) Nearest(cpu, mem, n int) []Pair {
	type scored struct {
		p Pair
		d float64
	}
	lr := func(a, b int) float64 {
		return math.Abs(math.Log2(math.Max(float64(a), 0.5)) - math.Log2(math.Max(float64(b), 0.5)))
	}
	all := make([]scored, 0, len(f.pairs))
	for _, p := range f.pairs {
		all = append(all, scored{p, lr(p.CPU, cpu) + lr(p.Mem, mem)})
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].d != all[j].d {
			return all[i].d < all[j].d
		}
		return (all[i].p.CPU == cpu) && (all[j].p.CPU != cpu)
	})
	if n > len(all) {
		n = len(all)
	}
	out := make([]Pair, 0, n)
	for _, s := range all[:n] {
		out = append(out, s.p)
	}
	return out
}

// Zone is an availability zone with its numeric id, as the legacy API's zoneId takes it.
type Zone struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// Region is a region with its long code ("ap-guangzhou"), its short codes ("gz") and its zones;
// the first zone is the API's default.
type Region struct {
	Code  string   `json:"code"`
	Short []string `json:"short"`
	Name  string   `json:"name"`
	Zones []Zone   `json:"zones"`
}

// HasZone reports whether id is a zone of the region.
func (r *Region) HasZone(id int) bool {
	for _, z := range r.Zones {
		if z.ID == id {
			return true
		}
	}
	return false
}

// DefaultZone returns the region's first zone, the one the API picks when zoneId is absent.
func (r *Region) DefaultZone() Zone { return r.Zones[0] }

// ZoneIDs returns the ids of the region's zones in catalog order.
func (r *Region) ZoneIDs() []int {
	out := make([]int, len(r.Zones))
	for i, z := range r.Zones {
		out[i] = z.ID
	}
	return out
}

// Region returns the region with the long or short code, e.g. "ap-guangzhou" or "gz".
func (c *Catalog) Region(code string) (*Region, bool) {
	r, ok := c.byRegion[code]
	return r, ok
}

// Regions returns every region in catalog order.
func (c *Catalog) Regions() []*Region { return slices.Clone(c.regions) }

// Family returns the family with the exact name, e.g. "CVM.S2".
func (c *Catalog) Family(name string) (*Family, bool) {
	f, ok := c.byFamily[name]
	return f, ok
}

// Families returns every family in catalog order.
func (c *Catalog) Families() []*Family { return slices.Clone(c.families) }

// FamilyNames returns the names of every family in catalog order.
func (c *Catalog) FamilyNames() []string {
	out := make([]string, len(c.families))
	for i, f := range c.families {
		out[i] = f.Name
	}
	return out
}

// StorageTypes returns the storage types in catalog order.
func (c *Catalog) StorageTypes() []StorageType { return slices.Clone(c.storageTypes) }

// StorageType returns the storage type with the id, and false when the catalog does not know it.
func (c *Catalog) StorageType(id int) (StorageType, bool) {
	for _, t := range c.storageTypes {
		if t.ID == id {
			return t, true
		}
	}
	return StorageType{}, false
}

// StorageTypeName returns the spec spelling of a storage type id ("local" for 1), or its
// number when the catalog does not know it.
func (c *Catalog) StorageTypeName(id int) string {
	if t, ok := c.StorageType(id); ok {
		return t.Name
	}
	return strconv.Itoa(id)
}

// DataDiskStep returns the step, in GB, of every data-disk size.
func (c *Catalog) DataDiskStep() int { return c.dataDiskStep }

// SystemDisk returns the system-disk rule of an operating system ("linux", "windows").
func (c *Catalog) SystemDisk(os string) (DiskRule, bool) {
	r, ok := c.systemDisk[os]
	return r, ok
}

// Notes returns the catalog's notes on its sources and the choices made where they conflict.
func (c *Catalog) Notes() []string { return slices.Clone(c.notes) }

var (
	defaultOnce sync.Once
	defaultCat  *Catalog
)

// Default returns the catalog embedded in the binary, parsed on first use. The embedded file
// is checked by the package's tests, so a failure to parse it is a build defect and panics.
func Default() *Catalog {
	defaultOnce.Do(func() {
		c, err := Parse(embedded)
		if err != nil {
			panic(fmt.Sprintf("embedded instance catalog: %v", err))
		}
		defaultCat = c
	})
	return defaultCat
}

// file is the layout of catalog.json.
type file struct {
	FormatVersion string              `json:"format_version"`
	Notes         []string            `json:"notes"`
	DataDiskStep  int                 `json:"data_disk_step"`
	SystemDisk    map[string]DiskRule `json:"system_disk"`
	StorageTypes  []StorageType       `json:"storage_types"`
	Families      []familyJSON        `json:"families"`
	Regions       []*Region           `json:"regions"`
}

// Parse decodes a catalog file strictly and checks that it is consistent.
func Parse(data []byte) (*Catalog, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f file
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("parse catalog: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("parse catalog: data after the catalog object")
	}
	if f.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("parse catalog: format_version %q, want %q", f.FormatVersion, FormatVersion)
	}
	c := &Catalog{
		notes:        f.Notes,
		dataDiskStep: f.DataDiskStep,
		systemDisk:   f.SystemDisk,
		storageTypes: f.StorageTypes,
		regions:      f.Regions,
		byFamily:     map[string]*Family{},
		byRegion:     map[string]*Region{},
	}
	for _, fj := range f.Families {
		c.families = append(c.families, &Family{
			Name: fj.Name, Description: fj.Description, pairs: fj.Pairs, storage: fj.Storage,
		})
	}
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("check catalog: %w", err)
	}
	return c, nil
}

// check verifies the invariants the rules rely on and builds the indexes.
func (c *Catalog) check() error {
	if c.dataDiskStep <= 0 {
		return fmt.Errorf("data_disk_step %d: want a positive step", c.dataDiskStep)
	}
	for _, os := range []string{"linux", "windows"} {
		r, ok := c.systemDisk[os]
		if !ok {
			return fmt.Errorf("system_disk: no rule for %s", os)
		}
		if r.Min <= 0 || r.Min > r.Max || r.Step <= 0 || r.Default < r.Min || r.Default > r.Max {
			return fmt.Errorf("system_disk %s: inconsistent rule %+v", os, r)
		}
	}
	types := map[int]bool{}
	names := map[string]bool{}
	for _, t := range c.storageTypes {
		if t.ID <= 0 || t.Name == "" || types[t.ID] || names[t.Name] {
			return fmt.Errorf("storage type %d %q: missing or repeated id or name", t.ID, t.Name)
		}
		types[t.ID], names[t.Name] = true, true
	}
	if len(c.families) == 0 {
		return errors.New("no families")
	}
	for i, f := range c.families {
		if f.Name == "" {
			return fmt.Errorf("family %d: no name", i)
		}
		if c.byFamily[f.Name] != nil {
			return fmt.Errorf("family %s: listed twice", f.Name)
		}
		c.byFamily[f.Name] = f
		if len(f.pairs) == 0 {
			return fmt.Errorf("family %s: no cpu/mem pairs", f.Name)
		}
		f.set = make(map[Pair]bool, len(f.pairs))
		for _, p := range f.pairs {
			if p.CPU <= 0 || p.Mem <= 0 {
				return fmt.Errorf("family %s: pair %s is not positive", f.Name, p)
			}
			if f.set[p] {
				return fmt.Errorf("family %s: pair %s listed twice", f.Name, p)
			}
			f.set[p] = true
		}
		sort.Slice(f.pairs, func(i, j int) bool {
			a, b := f.pairs[i], f.pairs[j]
			return a.CPU < b.CPU || a.CPU == b.CPU && a.Mem < b.Mem
		})
		if len(f.storage) == 0 {
			return fmt.Errorf("family %s: no storage types", f.Name)
		}
		seen := map[int]bool{}
		for _, r := range f.storage {
			if !types[r.Type] {
				return fmt.Errorf("family %s: unknown storage type %d", f.Name, r.Type)
			}
			if seen[r.Type] {
				return fmt.Errorf("family %s: storage type %d listed twice", f.Name, r.Type)
			}
			seen[r.Type] = true
			if r.Min <= 0 || r.Min > r.Max || r.Min%c.dataDiskStep != 0 || r.Max%c.dataDiskStep != 0 {
				return fmt.Errorf("family %s: storage type %d range %d..%d is not a positive range in steps of %d",
					f.Name, r.Type, r.Min, r.Max, c.dataDiskStep)
			}
		}
	}
	if len(c.regions) == 0 {
		return errors.New("no regions")
	}
	zones := map[int]string{}
	for i, r := range c.regions {
		if r == nil || r.Code == "" {
			return fmt.Errorf("region %d: no code", i)
		}
		for _, code := range append([]string{r.Code}, r.Short...) {
			if code == "" {
				return fmt.Errorf("region %s: empty short code", r.Code)
			}
			if other := c.byRegion[code]; other != nil {
				return fmt.Errorf("region %s: code %q already names region %s", r.Code, code, other.Code)
			}
			c.byRegion[code] = r
		}
		if len(r.Zones) == 0 {
			return fmt.Errorf("region %s: no zones", r.Code)
		}
		for _, z := range r.Zones {
			if z.ID <= 0 {
				return fmt.Errorf("region %s: zone id %d is not positive", r.Code, z.ID)
			}
			if other, ok := zones[z.ID]; ok {
				return fmt.Errorf("region %s: zone %d already belongs to %s", r.Code, z.ID, other)
			}
			zones[z.ID] = r.Code
		}
	}
	return nil
}
