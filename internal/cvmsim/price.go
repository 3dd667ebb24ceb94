package cvmsim

import (
	"fmt"

	"fleet/internal/catalog"
)

// familyPrices are the monthly prices, in fen, of one core and of one GB of memory per family.
// The package documentation shows the same table.
var familyPrices = map[string][2]int64{
	"CVM.S1": {3600, 1200},
	"CVM.S2": {3800, 1300},
	"CVM.I1": {4800, 1500},
	"CVM.I2": {5000, 1600},
	"CVM.M1": {3000, 1600},
	"CVM.M2": {3200, 1700},
	"CVM.C2": {4400, 1400},
}

// diskPrices are the monthly prices, in fen, of one GB of disk per storageType.
var diskPrices = map[int]int64{1: 30, 2: 35, 3: 80, 4: 100}

// bandwidthPrice is the monthly price, in fen, of one Mbps paid by bandwidth.
const bandwidthPrice = 2000

// Free system disk, in GB.
const (
	freeRootLinux   = 20
	freeRootWindows = 50
)

// priceFen returns the price of a purchase in fen: the monthly price of one instance times
// period times goodsNum.
func priceFen(family string, cpu, mem, storageType, storageSize, rootSize int, windows bool,
	bandwidthType string, bandwidth, period, goodsNum int) int64 {
	fp, ok := familyPrices[family]
	if !ok {
		fp = familyPrices["CVM.S1"]
	}
	month := int64(cpu)*fp[0] + int64(mem)*fp[1]
	disk := diskPrices[storageType]
	month += int64(storageSize) * disk
	free := freeRootLinux
	if windows {
		free = freeRootWindows
	}
	if rootSize > free {
		month += int64(rootSize-free) * disk
	}
	if bandwidthType != "PayByTraffic" {
		month += int64(bandwidth) * bandwidthPrice
	}
	return month * int64(period) * int64(goodsNum)
}

// Price returns what a RunInstances call with params (API names, as sent) costs, in fen,
// after checking them as RunInstances does (without the checks that need the simulator's
// state: token, VPC, addresses, quota, balance). region is a long or short region code.
func (s *Server) Price(region string, params map[string]string) (int64, error) {
	r, ok := s.cat.Region(region)
	if !ok {
		return 0, fmt.Errorf("price: unknown region %q", region)
	}
	o, err := s.parseOrder(r, params)
	if err != nil {
		return 0, fmt.Errorf("price: %w", err)
	}
	return priceFen(o.family.Name, o.cpu, o.mem, o.storageType, o.storageSize, o.rootSize, o.windows,
		o.bandwidthType, o.bandwidth, o.period, o.goodsNum), nil
}

// inquiryPrice handles InquiryInstancePrice: the renewal variant (instanceType=1 with
// instanceId and period) and the new-purchase variant (instanceType=1 with the family in
// instanceModel). The system disk may be sized in steps of 1 GB here, as that document says.
func (s *Server) inquiryPrice(region *catalog.Region, p map[string]string) (any, *apiError) {
	kind, err := intParam(p, "instanceType", 0, true)
	if err != nil {
		return nil, err
	}
	if kind != 1 {
		return nil, &apiError{Code: CodeParameter, Name: NameInquiryNotSupport,
			Message: "only the new-purchase and renewal prices are served: instanceType=1"}
	}
	if p["instanceId"] != "" {
		return s.renewalInquiry(region, p)
	}
	for _, name := range []string{"cpu", "mem", "period", "storageSize", "imageType"} {
		if p[name] == "" {
			return nil, paramErr(NameMissingParameter, "missing parameter %s", name)
		}
	}
	if p["imageId"] == "" {
		return nil, paramErr(NameMissImageID, "missing parameter imageId")
	}
	if err := s.imageProblem(p["imageId"]); err != nil {
		return nil, err
	}
	windows := s.windowsImage(p["imageId"])
	fam, err := s.family(p, "instanceModel")
	if err != nil {
		return nil, err
	}
	v := map[string]int{}
	for _, f := range []struct {
		name     string
		def      int
		min, max int
		errName  string
	}{
		{"cpu", 0, 1, 1 << 20, NameInquiryNotSupport},
		{"mem", 0, 1, 1 << 20, NameInquiryNotSupport},
		{"period", 0, 1, 36, NamePeriod},
		{"imageType", 2, 1, 4, NameImageType},
		{"storageType", 1, 1, 4, NameStorageType},
		{"storageSize", 0, 0, 1 << 20, NameStorageSize},
		{"goodsNum", 1, 1, 100, NameGoodsNum},
		{"bandwidth", 0, 0, maxBandwidth, NameBandwidth},
	} {
		n, err := intParam(p, f.name, f.def, false)
		if err != nil {
			return nil, err
		}
		if n < f.min || n > f.max {
			return nil, paramErr(f.errName, "%s %d: want %d to %d", f.name, n, f.min, f.max)
		}
		v[f.name] = n
	}
	if !fam.HasPair(v["cpu"], v["mem"]) {
		return nil, paramErr(NameInquiryNotSupport, "%s has no configuration with %d cores and %d GB", fam.Name, v["cpu"], v["mem"])
	}
	st, size := v["storageType"], v["storageSize"]
	if size%s.cat.DataDiskStep() != 0 {
		return nil, paramErr(NameStorageSize, "storageSize %d: want 0 or a multiple of %d GB", size, s.cat.DataDiskStep())
	}
	if st <= catalog.LocalSSD {
		rng, offered := fam.Storage(st)
		if !offered {
			return nil, paramErr(NameInquiryNotSupport, "%s does not offer storageType %d", fam.Name, st)
		}
		if size > 0 && !rng.Contains(size) {
			return nil, paramErr(NameStorageSize, "storageSize %d: %s offers %d to %d GB of storageType %d", size, fam.Name, rng.Min, rng.Max, st)
		}
	} else if size > 4000 {
		return nil, paramErr(NameStorageSize, "storageSize %d: storageType 4 offers 10 to 4000 GB", size)
	}
	root := freeRootLinux
	if windows {
		root = freeRootWindows
	}
	root, err = intParam(p, "rootSize", root, false)
	if err != nil {
		return nil, err
	}
	if windows && root != freeRootWindows || !windows && (root < 20 || root > 50) {
		return nil, paramErr(NameRootSize, "rootSize %d: Linux 20 to 50 GB, Windows 50 GB", root)
	}
	bt := p["bandwidthType"]
	if bt == "" {
		bt = "PayByBandwidth"
	}
	if bt != "PayByBandwidth" && bt != "PayByTraffic" {
		return nil, paramErr(NameBandwidthType, "bandwidthType %q: want PayByTraffic or PayByBandwidth", bt)
	}
	price := priceFen(fam.Name, v["cpu"], v["mem"], st, size, root, windows, bt, v["bandwidth"], v["period"], v["goodsNum"])
	return priceBody{envelope: okEnvelope(), Price: price}, nil
}
