package cvmsim

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"fleet/internal/catalog"
)

// beijing is the time zone of the API's times.
var beijing = time.FixedZone("CST", 8*3600)

const apiTime = "2006-01-02 15:04:05"

// describeInstances handles DescribeInstances: the region's instances, filtered and paged, in
// the order they were created.
func (s *Server) describeInstances(region *catalog.Region, p map[string]string) (any, *apiError) {
	ids, err := indexed(p, "instanceIds")
	if err != nil {
		return nil, err
	}
	if len(ids) > 100 {
		return nil, paramErr(NameInvalidParameter, "instanceIds: %d ids, at most 100 a request", len(ids))
	}
	lanIPs, err := indexed(p, "lanIps")
	if err != nil {
		return nil, err
	}
	offset, err := intParam(p, "offset", 0, false)
	if err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, paramErr(NameInvalidParameter, "offset %d: want 0 or more", offset)
	}
	limit, err := intParam(p, "limit", 20, false)
	if err != nil {
		return nil, err
	}
	if limit < 1 || limit > 100 {
		return nil, paramErr(NameInvalidParameter, "limit %d: want 1 to 100", limit)
	}
	var status, project, zone *int
	for name, dst := range map[string]**int{"status": &status, "projectId": &project, "zoneId": &zone} {
		if p[name] == "" {
			continue
		}
		n, err := intParam(p, name, 0, false)
		if err != nil {
			return nil, err
		}
		*dst = &n
	}
	word := strings.ToLower(p["searchWord"])
	idSet := set(ids)
	ipSet := set(lanIPs)

	now := s.Now()
	s.mu.Lock()
	candidates := s.instances
	if idSet != nil {
		// Asked by id: only those, in creation order, without a walk of every instance.
		candidates = make([]*Instance, 0, len(idSet))
		for id := range idSet {
			if in := s.byID[id]; in != nil {
				candidates = append(candidates, in)
			}
		}
		slices.SortFunc(candidates, func(a, b *Instance) int { return s.pos[a.ID] - s.pos[b.ID] })
	}
	var match []Instance
	for _, stored := range candidates {
		in := stored.settled(now)
		switch {
		case in.Region != region.Code,
			idSet != nil && !idSet[in.ID],
			ipSet != nil && !ipSet[in.LanIP] && !ipSet[in.WanIP],
			word != "" && !strings.Contains(strings.ToLower(in.Name), word),
			status != nil && in.Status != *status,
			project != nil && in.ProjectID != *project,
			zone != nil && in.ZoneID != *zone:
			continue
		}
		match = append(match, in)
	}
	s.mu.Unlock()

	body := describeBody{envelope: okEnvelope(), TotalCount: len(match), InstanceSet: []instanceJSON{}}
	if offset < len(match) {
		end := min(offset+limit, len(match))
		for _, in := range match[offset:end] {
			body.InstanceSet = append(body.InstanceSet, s.instanceJSON(region, in))
		}
	}
	return body, nil
}

func set(values []string) map[string]bool {
	if len(values) == 0 {
		return nil
	}
	m := make(map[string]bool, len(values))
	for _, v := range values {
		m[v] = true
	}
	return m
}

// instanceJSON renders an instance as DescribeInstances shows it.
func (s *Server) instanceJSON(region *catalog.Region, in Instance) instanceJSON {
	short := region.Code
	if len(region.Short) > 0 {
		short = region.Short[0]
	}
	zoneName := strconv.Itoa(in.ZoneID)
	for _, z := range region.Zones {
		if z.ID == in.ZoneID {
			zoneName = z.Name
		}
	}
	wan := []string{}
	if in.WanIP != "" {
		wan = append(wan, in.WanIP)
	}
	osName := "Linux"
	if in.Windows {
		osName = "Windows"
	}
	network := "3" // by bandwidth
	if in.BandwidthType == "PayByTraffic" {
		network = "2"
	}
	rootType := 1
	if in.StorageType == 2 {
		rootType = 2
	}
	gw := 0
	if in.VpcGateway {
		gw = 1
	}
	suffix := strings.TrimPrefix(in.ID, "ins-")
	storageID := ""
	if in.StorageSize > 0 {
		storageID = "disk-" + suffix
	}
	oldID := strings.ReplaceAll(in.UUID, "-", "")
	oldID = oldID[:min(len(oldID), 24)] // a UUID edited in the data file may be short
	return instanceJSON{
		InstanceName:   in.Name,
		UnInstanceID:   in.ID,
		InstanceID:     "qcvm" + oldID,
		UUID:           in.UUID,
		LanIP:          in.LanIP,
		WanIPSet:       wan,
		CPU:            in.CPU,
		Mem:            in.Mem,
		Bandwidth:      in.Bandwidth,
		DeviceClass:    "VSELF",
		UnImgID:        in.ImageID,
		Status:         in.Status,
		Region:         short,
		CreateTime:     in.CreatedAt.In(beijing).Format(apiTime),
		StatusTime:     in.StatusAt.In(beijing).Format(apiTime),
		DeadlineTime:   in.Deadline.In(beijing).Format(apiTime),
		AutoRenew:      in.AutoRenew,
		ProjectID:      in.ProjectID,
		OS:             osName,
		CvmPayMode:     "1",
		NetworkPayMode: network,
		ZoneID:         in.ZoneID,
		ZoneName:       zoneName,
		VpcID:          in.VpcID,
		SubnetID:       in.SubnetID,
		IsVpcGateway:   gw,
		DiskInfo: diskJSON{
			StorageID: storageID, StorageType: in.StorageType, StorageSize: in.StorageSize,
			RootID: "disk-root-" + suffix, RootType: rootType, RootSize: in.RootSize,
		},
	}
}
