package cvmsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Fixtures are what a spec needs the simulator to have before it can be applied: the
// networks it names, the images it boots from and an initial balance. An example ships them
// next to its spec (`fleet sim --fixtures examples/web-tier/sim-fixtures.json`).
//
// In JSON:
//
//	{
//	  "balance_fen": 10000000,
//	  "images": ["img-2lr9q49h"],
//	  "windows_images": ["img-win12345"],
//	  "vpcs": [{"id": "vpc-2ari9m7h", "subnets": [{"id": "subnet-3lzrkspo", "zone_id": 100003, "cidr": "10.0.1.0/24"}]}]
//	}
//
// In HCL:
//
//	balance_fen = 10000000
//	images      = ["img-2lr9q49h"]
//	vpc "vpc-2ari9m7h" {
//	  subnet "subnet-3lzrkspo" {
//	    zone_id = 100003
//	    cidr    = "10.0.1.0/24"
//	  }
//	}
type Fixtures struct {
	// BalanceFen is the initial account balance in fen; 0 leaves it unlimited.
	BalanceFen int64 `json:"balance_fen,omitempty"`
	// Images are images the simulator has in addition to the built-in ones.
	Images []string `json:"images,omitempty"`
	// WindowsImages are Windows images the simulator has.
	WindowsImages []string `json:"windows_images,omitempty"`
	// VPCs are the networks with their subnets.
	VPCs []VPC `json:"vpcs,omitempty"`
}

// vpcHCL and subnetHCL are the HCL form of a VPC and a subnet.
type vpcHCL struct {
	ID      string      `hcl:"id,label"`
	Subnets []subnetHCL `hcl:"subnet,block"`
}

type subnetHCL struct {
	ID     string `hcl:"id,label"`
	ZoneID int    `hcl:"zone_id"`
	CIDR   string `hcl:"cidr"`
}

// ParseFixtures reads fixtures from src: HCL when filename ends in .hcl, JSON otherwise. It
// refuses unknown fields and checks every id, zone and CIDR.
func ParseFixtures(filename string, src []byte) (Fixtures, error) {
	var f Fixtures
	if strings.EqualFold(filepath.Ext(filename), ".hcl") {
		var err error
		if f, err = parseFixturesHCL(filename, src); err != nil {
			return Fixtures{}, err
		}
	} else {
		dec := json.NewDecoder(bytes.NewReader(src))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return Fixtures{}, fmt.Errorf("fixtures %s: %w", filename, err)
		}
		if dec.More() {
			return Fixtures{}, fmt.Errorf("fixtures %s: more than one JSON value", filename)
		}
	}
	if err := f.check(); err != nil {
		return Fixtures{}, fmt.Errorf("fixtures %s: %w", filename, err)
	}
	return f, nil
}

// parseFixturesHCL decodes the HCL form of fixtures.
func parseFixturesHCL(filename string, src []byte) (Fixtures, error) {
	file, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return Fixtures{}, fmt.Errorf("fixtures: %w", diags)
	}
	var h struct {
		BalanceFen    int64    `hcl:"balance_fen,optional"`
		Images        []string `hcl:"images,optional"`
		WindowsImages []string `hcl:"windows_images,optional"`
		VPCs          []vpcHCL `hcl:"vpc,block"`
	}
	if diags := gohcl.DecodeBody(file.Body, nil, &h); diags.HasErrors() {
		return Fixtures{}, fmt.Errorf("fixtures: %w", diags)
	}
	f := Fixtures{BalanceFen: h.BalanceFen, Images: h.Images, WindowsImages: h.WindowsImages}
	for _, v := range h.VPCs {
		vpc := VPC{ID: v.ID}
		for _, sn := range v.Subnets {
			vpc.Subnets = append(vpc.Subnets, Subnet(sn))
		}
		f.VPCs = append(f.VPCs, vpc)
	}
	return f, nil
}

// check verifies the fixtures' balance, image ids and networks.
func (f Fixtures) check() error {
	if f.BalanceFen < 0 {
		return fmt.Errorf("balance_fen %d: want an amount >= 0 (0: unlimited)", f.BalanceFen)
	}
	if err := checkImageIDs("image", f.Images); err != nil {
		return err
	}
	if err := checkImageIDs("windows image", f.WindowsImages); err != nil {
		return err
	}
	var errs []error
	for _, v := range f.VPCs {
		errs = append(errs, v.check())
	}
	return errors.Join(errs...)
}

// Apply adds the fixtures to cfg: their images to those cfg knows (the built-in list when
// cfg.Images is nil), their Windows images and networks to cfg's, and their balance when
// cfg sets none.
func (f Fixtures) Apply(cfg *Config) {
	if len(f.Images) > 0 {
		base := cfg.Images
		if base == nil {
			base = DefaultImages()
		}
		cfg.Images = slices.Concat(base, f.Images)
	}
	cfg.WindowsImages = slices.Concat(cfg.WindowsImages, f.WindowsImages)
	cfg.VPCs = slices.Concat(cfg.VPCs, f.VPCs)
	if cfg.BalanceFen == 0 {
		cfg.BalanceFen = f.BalanceFen
	}
}
