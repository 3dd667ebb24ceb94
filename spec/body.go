package spec

import (
	"fmt"
	"sort"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Codes of the structural diagnostics made by the loader. The rules add their own.
const (
	codeSyntax         = "syntax"
	codeUnknownAttr    = "unknown-attribute"
	codeUnknownBlock   = "unknown-block"
	codeMissingAttr    = "missing-attribute"
	codeType           = "type"
	codeDuplicateGroup = "duplicate-group"
	codeFleetBlock     = "fleet-block"
	codeUndefinedRef   = "undefined-reference"
	codeVariableValue  = "variable-value"
	codeRegion         = "region"
	codeBackend        = "backend"
	codeProjectID      = "project-id"
	codeDuplicateDecl  = "duplicate-declaration"
	codeReferenceCycle = "reference-cycle"
	codeGroupName      = "group-name"
	summaryUnknownFunc = "Call to unknown function"
	maxSuggestDistance = 3
)

// newDiag returns an error diagnostic with a code. subject may be nil when the problem has no
// place in a file (a --var value).
func newDiag(code string, subject *hcl.Range, summary, detail string) *hcl.Diagnostic {
	return WithCode(code, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: subject})
}

// where returns a place for a message: "file:line".
func where(r hcl.Range) string { return fmt.Sprintf("%s:%d", r.Filename, r.Start.Line) }

// rangePtr returns a pointer to a copy of r.
func rangePtr(r hcl.Range) *hcl.Range { return &r }

// suggest returns the option closest to name, or "" when none is close enough to be a typo.
func suggest(name string, options []string) string {
	best, bestDist := "", maxSuggestDistance
	for _, o := range sortedCopy(options) {
		if d := levenshtein.Distance(name, o, nil); d < bestDist && o != name {
			best, bestDist = o, d
		}
	}
	return best
}

// didYouMean returns ` Did you mean "x"?` for the option closest to name, or "".
func didYouMean(name string, options []string) string {
	if s := suggest(name, options); s != "" {
		return fmt.Sprintf(" Did you mean %q?", s)
	}
	return ""
}

// quotedList returns names as `"a", "b" and "c"`.
func quotedList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	if len(q) <= 1 {
		return strings.Join(q, "")
	}
	return strings.Join(q[:len(q)-1], ", ") + " and " + q[len(q)-1]
}

// bodySchema names what a block body may hold.
type bodySchema struct {
	what   string   // "a group block", for messages
	attrs  []string // attribute names
	blocks []hcl.BlockHeaderSchema
}

func (s *bodySchema) hasAttr(name string) bool {
	for _, a := range s.attrs {
		if a == name {
			return true
		}
	}
	return false
}

func (s *bodySchema) block(typ string) (hcl.BlockHeaderSchema, bool) {
	for _, b := range s.blocks {
		if b.Type == typ {
			return b, true
		}
	}
	return hcl.BlockHeaderSchema{}, false
}

func (s *bodySchema) blockTypes() []string {
	out := make([]string, len(s.blocks))
	for i, b := range s.blocks {
		out[i] = b.Type
	}
	return out
}

// content splits a body into the attributes and blocks its schema allows and reports every
// other item as unknown, with a suggestion. It works on both the native and the JSON syntax.
func content(body hcl.Body, s *bodySchema) (map[string]*hcl.Attribute, []*hcl.Block, hcl.Diagnostics) {
	if body == nil {
		return map[string]*hcl.Attribute{}, nil, nil
	}
	if nb, ok := body.(*hclsyntax.Body); ok {
		return nativeContent(nb, s)
	}
	hs := &hcl.BodySchema{Blocks: s.blocks}
	for _, a := range s.attrs {
		hs.Attributes = append(hs.Attributes, hcl.AttributeSchema{Name: a})
	}
	c, remain, diags := body.PartialContent(hs)
	for _, d := range diags {
		WithCode(codeSyntax, d)
	}
	rest, ds := remain.JustAttributes()
	for _, d := range ds {
		diags = append(diags, WithCode(codeSyntax, d))
	}
	for _, a := range sortedAttrs(rest) {
		diags = append(diags, unknownItem(s, a.Name, a.NameRange, len(s.attrs) > 0))
	}
	attrs := c.Attributes
	if attrs == nil {
		attrs = map[string]*hcl.Attribute{}
	}
	return attrs, c.Blocks, diags
}

func nativeContent(b *hclsyntax.Body, s *bodySchema) (map[string]*hcl.Attribute, []*hcl.Block, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	attrs := make(map[string]*hcl.Attribute, len(b.Attributes))
	for name, a := range b.Attributes {
		if s.hasAttr(name) {
			attrs[name] = a.AsHCLAttribute()
			continue
		}
		diags = append(diags, unknownItem(s, name, a.NameRange, true))
	}
	var blocks []*hcl.Block
	for _, blk := range b.Blocks {
		hs, ok := s.block(blk.Type)
		if !ok {
			diags = append(diags, unknownItem(s, blk.Type, blk.TypeRange, false))
			continue
		}
		if len(blk.Labels) != len(hs.LabelNames) {
			diags = append(diags, labelDiag(blk, hs))
			continue
		}
		blocks = append(blocks, blk.AsHCLBlock())
	}
	return attrs, blocks, diags
}

func labelDiag(blk *hclsyntax.Block, hs hcl.BlockHeaderSchema) *hcl.Diagnostic {
	r := blk.TypeRange
	if len(blk.Labels) > len(hs.LabelNames) {
		r = blk.LabelRanges[len(hs.LabelNames)]
	}
	if len(hs.LabelNames) == 0 {
		return newDiag(codeSyntax, &r, fmt.Sprintf("Extraneous label on %s block", blk.Type),
			fmt.Sprintf("A %s block takes no label. Remove the label: %s { ... }.", blk.Type, blk.Type))
	}
	return newDiag(codeSyntax, &r, fmt.Sprintf("Wrong labels on %s block", blk.Type),
		fmt.Sprintf("A %s block takes exactly one label, its %s: %s \"NAME\" { ... }.", blk.Type, hs.LabelNames[0], blk.Type))
}

// attrAliases maps names users reach for, from other tools and APIs (Terraform's
// tencentcloud provider, the newer CVM API), to the group attribute that means the same.
// They are too far from the attribute's name for a typo suggestion.
var attrAliases = map[string]string{
	"memory":                     "mem",
	"ram":                        "mem",
	"cpus":                       "cpu",
	"cores":                      "cpu",
	"vcpu":                       "cpu",
	"vcpus":                      "cpu",
	"zone":                       "zone_id",
	"availability_zone":          "zone_id",
	"placement":                  "zone_id",
	"type":                       "instance_type",
	"family":                     "instance_type",
	"image":                      "image_id",
	"instances":                  "count",
	"replicas":                   "count",
	"instance_count":             "count",
	"disk_size":                  "storage_size",
	"data_disk_size":             "storage_size",
	"disk_type":                  "storage_type",
	"data_disk_type":             "storage_type",
	"system_disk_size":           "root_size",
	"system_disk_type":           "storage_type",
	"vpc":                        "vpc_id",
	"subnet":                     "subnet_id",
	"key":                        "key_id",
	"key_name":                   "key_id",
	"key_ids":                    "key_id",
	"ssh_key":                    "key_id",
	"name":                       "instance_name",
	"project":                    "project_id",
	"months":                     "period",
	"internet_max_bandwidth_out": "bandwidth",
	"internet_charge_type":       "bandwidth_type",
	"allocate_public_ip":         "wan_ip",
	"public_ip":                  "wan_ip",
	"private_ip":                 "private_ips",
	"private_ip_addresses":       "private_ips",
	"auto_renew":                 "renew",
	"renew_flag":                 "renew",
	"renew_months":               "renew_period",
	"renew_days":                 "renew_within_days",
}

// unknownItem reports an attribute or block the schema does not know. isAttr tells how the
// item was written.
func unknownItem(s *bodySchema, name string, r hcl.Range, isAttr bool) *hcl.Diagnostic {
	options := append(append([]string{}, s.attrs...), s.blockTypes()...)
	hint := didYouMean(name, options)
	if a, ok := attrAliases[strings.ToLower(name)]; ok && isAttr && s.hasAttr(a) {
		hint = fmt.Sprintf(" Did you mean %q?", a)
	}
	if isAttr {
		if _, ok := s.block(name); ok {
			return newDiag(codeUnknownAttr, &r, "Block written as an attribute",
				fmt.Sprintf("%q is a block in %s, not an attribute. Write it as %s { ... }.", name, s.what, name))
		}
		if len(s.attrs) == 0 {
			return newDiag(codeUnknownAttr, &r, "Unexpected attribute",
				fmt.Sprintf("%s takes no attribute %q.%s Remove it or move it into the block it belongs to.", upperFirst(s.what), name, hint))
		}
		if hint == "" {
			hint = fmt.Sprintf(" The attributes it takes are %s.", quotedList(sortedCopy(s.attrs)))
		}
		return newDiag(codeUnknownAttr, &r, "Unknown attribute",
			fmt.Sprintf("%s has no attribute %q.%s Correct the name or remove the attribute.",
				upperFirst(s.what), name, hint))
	}
	if s.hasAttr(name) {
		return newDiag(codeUnknownBlock, &r, "Attribute written as a block",
			fmt.Sprintf("%q is an attribute in %s, not a block. Write it as %s = VALUE.", name, s.what, name))
	}
	valid := "It takes no blocks."
	if len(s.blocks) > 0 {
		valid = fmt.Sprintf("The blocks it takes are %s.", quotedList(s.blockTypes()))
	}
	return newDiag(codeUnknownBlock, &r, "Unknown block type",
		fmt.Sprintf("%s has no block of type %q.%s Correct the type or remove the block. %s", upperFirst(s.what), name, hint, valid))
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func sortedCopy(s []string) []string {
	out := append([]string{}, s...)
	sort.Strings(out)
	return out
}

// sortedAttrs returns the attributes in source order.
func sortedAttrs(m hcl.Attributes) []*hcl.Attribute {
	out := make([]*hcl.Attribute, 0, len(m))
	for _, a := range m {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].NameRange, out[j].NameRange
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		return a.Start.Byte < b.Start.Byte
	})
	return out
}
