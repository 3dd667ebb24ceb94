package cvmsim

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseFixtures(t *testing.T) {
	want := Fixtures{
		BalanceFen:    500000,
		Images:        []string{"img-2lr9q49h"},
		WindowsImages: []string{"img-win12345"},
		VPCs: []VPC{{ID: "vpc-2ari9m7h", Subnets: []Subnet{
			{ID: "subnet-3lzrkspo", ZoneID: 100003, CIDR: "10.0.1.0/24"},
			{ID: "subnet-8ea5q2kd", ZoneID: 100004, CIDR: "10.0.2.0/24"},
		}}},
	}
	for name, src := range map[string]string{
		"f.json": `{"balance_fen": 500000, "images": ["img-2lr9q49h"], "windows_images": ["img-win12345"],
			"vpcs": [{"id": "vpc-2ari9m7h", "subnets": [
				{"id": "subnet-3lzrkspo", "zone_id": 100003, "cidr": "10.0.1.0/24"},
				{"id": "subnet-8ea5q2kd", "zone_id": 100004, "cidr": "10.0.2.0/24"}]}]}`,
		"f.hcl": `
balance_fen    = 500000
images         = ["img-2lr9q49h"]
windows_images = ["img-win12345"]

vpc "vpc-2ari9m7h" {
  subnet "subnet-3lzrkspo" {
    zone_id = 100003
    cidr    = "10.0.1.0/24"
  }
  subnet "subnet-8ea5q2kd" {
    zone_id = 100004
    cidr    = "10.0.2.0/24"
  }
}
`,
	} {
		got, err := ParseFixtures(name, []byte(src))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}

	for _, c := range []struct{ name, src, want string }{
		{"f.json", `{"balance": 5}`, `unknown field "balance"`},
		{"f.json", `{"balance_fen": -5}`, "balance_fen -5"},
		{"f.json", `{"images": ["ubuntu"]}`, `image "ubuntu"`},
		{"f.json", `{"vpcs": [{"id": "vpc-a", "subnets": [{"id": "subnet-b", "zone_id": 100003, "cidr": "10.0.1.1/24"}]}]}`, "host bits"},
		{"f.json", `{} {}`, "more than one JSON value"},
		{"f.hcl", `balance = 5`, "Unsupported argument"},
		{"f.hcl", `vpc "vpc-a" {}`, "no subnet"},
	} {
		_, err := ParseFixtures(c.name, []byte(c.src))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: got error %v, want one containing %q", c.name, c.src, err, c.want)
		}
	}
}

func TestFixturesApply(t *testing.T) {
	f := Fixtures{BalanceFen: 700, Images: []string{"img-2lr9q49h"},
		VPCs: []VPC{{ID: "vpc-2ari9m7h", Subnets: []Subnet{{ID: "subnet-3lzrkspo", ZoneID: 100003, CIDR: "10.0.1.0/24"}}}}}
	var cfg Config
	f.Apply(&cfg)
	if !slices.Contains(cfg.Images, "img-2lr9q49h") || !slices.Contains(cfg.Images, "img-lkxqa4kj") {
		t.Errorf("images %v: want the built-in list and the fixtures' image", cfg.Images)
	}
	if cfg.BalanceFen != 700 || len(cfg.VPCs) != 1 {
		t.Errorf("balance %d, vpcs %v", cfg.BalanceFen, cfg.VPCs)
	}
	e := newEnv(t, Config{Images: cfg.Images})
	wantOK(t, e.call("RunInstances", with(runParams(), "imageId", "img-2lr9q49h")))

	cfg = Config{BalanceFen: 9}
	f.Apply(&cfg)
	if cfg.BalanceFen != 9 {
		t.Errorf("balance %d: a balance set by the configuration wins", cfg.BalanceFen)
	}
}
