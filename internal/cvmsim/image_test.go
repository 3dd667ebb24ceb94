package cvmsim

import (
	"path/filepath"
	"strings"
	"testing"
)

// repoImages are the image ids of the repository's examples, tests and scripts: the
// simulator must know each of them without being told.
var repoImages = []string{
	"img-lkxqa4kj", "img-8toqc6s3", "img-31tjrtph", "img-oldimage", "img-old00000", "img-newimage",
	"img-0a1b2c3d", "img-newnewne", "img-oldoldol", "img-abcdefgh", "img-3wnd9xpl",
}

func TestUnknownImageRefused(t *testing.T) {
	e := newEnv(t, Config{})
	a := e.call("RunInstances", with(runParams(), "imageId", "img-gonegone"))
	wantErr(t, a, CodeParameter, NameImageNotFound)
	if e.sim.Purchases() != 0 {
		t.Errorf("a purchase with an unknown image")
	}
	inquiry := map[string]string{
		"instanceType": "1", "instanceModel": "CVM.S2", "cpu": "2", "mem": "4", "period": "1",
		"storageSize": "0", "imageType": "2", "imageId": "img-gonegone",
	}
	wantErr(t, e.call("InquiryInstancePrice", inquiry), CodeParameter, NameImageNotFound)
	wantOK(t, e.call("InquiryInstancePrice", with(inquiry, "imageId", "img-lkxqa4kj")))
}

func TestBuiltInImages(t *testing.T) {
	e := newEnv(t, Config{})
	for _, id := range repoImages {
		wantOK(t, e.call("RunInstances", with(runParams(), "imageId", id)))
	}
	// The Windows images of the built-in list are Windows without being listed in
	// WindowsImages: a 50 GB system disk is their only size.
	for _, id := range []string{"img-9id7emv7", "img-win00001", "img-win00002"} {
		wantErr(t, e.call("RunInstances", with(runParams(), "imageId", id, "rootSize", "20")), CodeParameter, NameRootSize)
		a := e.call("RunInstances", with(runParams(), "imageId", id, "rootSize", "50", "password", "Abcdefgh1234"))
		wantOK(t, a)
	}
}

func TestVpcGatewayNeedsVpcAndPublicIP(t *testing.T) {
	e := newEnv(t, Config{VPCs: []VPC{testVPC}})
	vpc := with(runParams(), "vpcId", testVPC.ID, "subnetId", "subnet-bbbb2222")
	const name = NameVpcGateway
	for _, c := range []struct {
		name   string
		params map[string]string
		desc   string
	}{
		{"classic network with a public IP", with(runParams(), "isVpcGateway", "1", "bandwidth", "5"), name},
		{"vpc without bandwidth", with(vpc, "isVpcGateway", "1"), name},
		{"vpc, bandwidth, no public IP", with(vpc, "isVpcGateway", "1", "bandwidth", "5", "wanIp", "0"), name},
		{"vpc without bandwidth, wanIp 1", with(vpc, "isVpcGateway", "1", "wanIp", "1"), name},
		{"vpc with a public IP", with(vpc, "isVpcGateway", "1", "bandwidth", "5"), ""},
		{"vpc with a public IP, wanIp 1", with(vpc, "isVpcGateway", "1", "bandwidth", "1", "wanIp", "1"), ""},
		{"no gateway in the classic network", with(runParams(), "isVpcGateway", "0"), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := e.sim.Purchases()
			a := e.call("RunInstances", c.params)
			if c.desc == "" {
				wantOK(t, a)
				return
			}
			wantErr(t, a, CodeParameter, c.desc)
			if e.sim.Purchases() != before {
				t.Errorf("a refused call bought")
			}
		})
	}
	var gateways int
	for _, in := range e.sim.Instances() {
		if in.VpcGateway {
			gateways++
			if in.VpcID == "" || in.WanIP == "" {
				t.Errorf("gateway %s without VPC or public IP: %+v", in.ID, in)
			}
		}
	}
	if gateways != 2 {
		t.Errorf("%d gateways bought, want 2", gateways)
	}
}

func TestConfiguredImages(t *testing.T) {
	e := newEnv(t, Config{Images: append(DefaultImages(), "img-mine0001")})
	wantOK(t, e.call("RunInstances", with(runParams(), "imageId", "img-mine0001")))
	wantOK(t, e.call("RunInstances", runParams()))
	wantErr(t, e.call("RunInstances", with(runParams(), "imageId", "img-mine0002")), CodeParameter, NameImageNotFound)

	// A list of its own replaces the built-in one; the Windows images of the Config are
	// known whatever the list says.
	e = newEnv(t, Config{Images: []string{"img-mine0001"}, WindowsImages: []string{"img-mywin001"}})
	wantOK(t, e.call("RunInstances", with(runParams(), "imageId", "img-mine0001")))
	wantErr(t, e.call("RunInstances", runParams()), CodeParameter, NameImageNotFound)
	wantErr(t, e.call("RunInstances", with(runParams(), "imageId", "img-9id7emv7", "rootSize", "50")), CodeParameter, NameImageNotFound)
	wantOK(t, e.call("RunInstances", with(runParams(), "imageId", "img-mywin001", "rootSize", "50")))

	e = newEnv(t, Config{Images: []string{}})
	wantErr(t, e.call("RunInstances", runParams()), CodeParameter, NameImageNotFound)

	if _, err := New(Config{Images: []string{"img-BAD"}}); err == nil || !strings.Contains(err.Error(), "img-BAD") {
		t.Errorf("a malformed image id in Config.Images: got %v", err)
	}
}

// TestWindowsImagesOfTheDataFile: a Windows image recorded in the data file stays known
// after a restart without it in the Config.
func TestWindowsImagesOfTheDataFile(t *testing.T) {
	data := filepath.Join(t.TempDir(), "sim.json")
	s, err := New(Config{DataPath: data, Images: []string{}, WindowsImages: []string{"img-mywin001"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, Config{DataPath: data, Images: []string{}})
	wantOK(t, e.call("RunInstances", with(runParams(), "imageId", "img-mywin001", "rootSize", "50")))
	wantErr(t, e.call("RunInstances", with(runParams(), "imageId", "img-mywin001", "rootSize", "20")), CodeParameter, NameRootSize)
}
