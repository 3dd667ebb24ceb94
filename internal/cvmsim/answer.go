package cvmsim

import (
	"fmt"
)

// Numeric codes of the style-A API used by the simulator.
const (
	CodeOK          = 0
	CodeParameter   = 4000
	CodeSignature   = 4100
	CodeSecretID    = 4104
	CodeQuota       = 5200 // a refused purchase: the instance quota; 4400 is the API's rate limit
	CodeReplay      = 4500
	CodeNotFound    = 5000 // the instance does not exist (or is in another region)
	CodeOpFailed    = 5100 // the operation failed: every instance of a batch, or one instance
	CodeBalance     = 5300
	CodePartial     = 5400 // a batch in which some instances failed
	CodeBusy        = 6000
	CodeUnsupported = 6100
)

// Business error names (codeDesc) of the documents, and the simulator's names for rules the
// documents give no name for.
const (
	NameSuccess           = "Success"
	NameMissingParameter  = "MissingParameter"
	NameInvalidParameter  = "InvalidParameter"
	NameSignatureFailure  = "InvalidParameter.SignatureFailure"
	NameSecretIDNotFound  = "InvalidParameter.SecretIdNotFound"
	NameReplayAttack      = "InvalidRequest.ReplayAttack"
	NameActionNotFound    = "InvalidAction.NotFound"
	NameSystemBusy        = "OperationFail.SystemBusy"
	NameInternalError     = "InternalError"
	NameBalanceNotEnough  = "OperationConstraints.AccountBalanceNotEnough"
	NameQuotaExceeded     = "OperationConstraints.InstanceQuotaExceeded"
	NameInvalidZone       = "InvalidParameter.InvaildZoneId" // sic, as the document spells it
	NamePassword          = "InvalidParameter.PasswordNotConformSpecs"
	NameInvalidIPFormat   = "InvalidParameter.InvalidIpFormat"
	NameReservedIP        = "InvalidParameter.NotSupportReservedIp"
	NameIPNotInCIDR       = "InvalidParameter.IpNotInCidrRange"
	NameIPInUse           = "InvalidParameter.IpInUse"
	NameTokenMismatch     = "InvalidParameter.IdempotentParameterMismatch"
	NameRegion            = "InvalidParameter.Region"
	NamePeriod            = "InvalidParameter.Period"
	NameGoodsNum          = "InvalidParameter.GoodsNum"
	NameStorageSize       = "InvalidParameter.StorageSize"
	NameStorageType       = "InvalidParameter.StorageType"
	NameRootSize          = "InvalidParameter.RootSize"
	NameImageID           = "InvalidParameter.ImageId"
	NameImageNotFound     = "InvalidParameter.ImageIdNotExist"
	NameMissImageID       = "InvalidParameter.MissImageId"
	NameImageType         = "InvalidParameter.ImageType"
	NameInstanceType      = "InvalidParameter.InstanceType"
	NameInstanceConfig    = "InvalidParameter.CpuMemNotSupported"
	NameBandwidthType     = "InvalidParameter.BandwidthType"
	NameBandwidth         = "InvalidParameter.Bandwidth"
	NameVpcSubnet         = "InvalidParameter.VpcIdOrSubnetId"
	NameVpcNotFound       = "InvalidParameter.VpcIdNotExist"
	NameSubnetNotFound    = "InvalidParameter.SubnetIdNotExist"
	NameSubnetZone        = "InvalidParameter.SubnetNotInZone"
	NameSubnetFull        = "InvalidParameter.SubnetIpNotEnough"
	NameVpcGateway        = "InvalidParameter.IsVpcGateway"
	NameKeyID             = "InvalidParameter.KeyId"
	NameClientToken       = "InvalidParameter.ClientToken"
	NameInstanceName      = "InvalidParameter.InstanceName"
	NamePrivateIPCount    = "InvalidParameter.PrivateIpAddresses"
	NameInquiryNotSupport = "NotSupport.InstanceConfig"
	NameResourceNotFound  = "InvalidParameter.ResourceNotFound"
	NameInstanceStatus    = "OperationConstraints.InvaildInstanceStatus" // sic, as the document spells it
	NameAllFailed         = "OperationFail.AllResourceOpFailed"
	NamePartFailed        = "OperationFail.PartResourceOpFailed"
	NameAutoRenew         = "InvalidParameter.AutoRenew"
	NameTooManyInstances  = "InvalidParameter.InstanceIdsLimitExceeded"
)

// apiError is an answer with a non-zero code.
type apiError struct {
	Code    int
	Name    string
	Message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%s (code %d): %s", e.Name, e.Code, e.Message) }

// paramErr returns a code-4000 error with the business name name.
func paramErr(name, format string, args ...any) *apiError {
	return &apiError{Code: CodeParameter, Name: name, Message: fmt.Sprintf(format, args...)}
}

// envelope is the part of every answer: code, message and codeDesc.
type envelope struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	CodeDesc string `json:"codeDesc"`
}

// head returns the envelope of an answer (every answer type embeds one).
func (e envelope) head() envelope { return e }

func okEnvelope() envelope { return envelope{Code: CodeOK, Message: "ok", CodeDesc: NameSuccess} }

func (e *apiError) envelope() envelope {
	return envelope{Code: e.Code, Message: e.Message, CodeDesc: e.Name}
}

// RunAnswer is the body of a successful RunInstances answer. It is kept with the clientToken
// and sent again, unchanged, to a replay of the same call.
type RunAnswer struct {
	DealIDs     []int64             `json:"dealIds"`
	InstanceIDs map[string][]string `json:"unInstanceIds"` // deal id -> instance ids
}

type runBody struct {
	envelope
	RunAnswer
}

// renewBody is a successful RenewInstance answer: the renewal's deal, a string as in the
// document's example.
type renewBody struct {
	envelope
	DealID string `json:"dealId"`
}

// batchBody is a batch answer: one result per instance in detail.
type batchBody struct {
	envelope
	Detail map[string]batchItem `json:"detail"`
}

// batchItem is the result of one instance of a batch.
type batchItem struct {
	Code      int    `json:"code"`
	Message   string `json:"message"`
	CodeDesc  string `json:"codeDesc"`
	RequestID string `json:"requestId"`
}

type priceBody struct {
	envelope
	Price int64 `json:"price"`
}

type describeBody struct {
	envelope
	TotalCount  int            `json:"totalCount"`
	InstanceSet []instanceJSON `json:"instanceSet"`
}

// instanceJSON is one element of DescribeInstances' instanceSet, with the fields of the
// document.
type instanceJSON struct {
	InstanceName   string   `json:"instanceName"`
	UnInstanceID   string   `json:"unInstanceId"`
	InstanceID     string   `json:"instanceId"`
	UUID           string   `json:"uuid"`
	LanIP          string   `json:"lanIp"`
	WanIPSet       []string `json:"wanIpSet"`
	CPU            int      `json:"cpu"`
	Mem            int      `json:"mem"`
	Bandwidth      int      `json:"bandwidth"`
	DeviceClass    string   `json:"deviceClass"`
	UnImgID        string   `json:"unImgId"`
	Status         int      `json:"status"`
	Region         string   `json:"Region"`
	CreateTime     string   `json:"createTime"`
	StatusTime     string   `json:"statusTime"`
	DeadlineTime   string   `json:"deadlineTime"`
	AutoRenew      int      `json:"autoRenew"`
	ProjectID      int      `json:"projectId"`
	OS             string   `json:"os"`
	CvmPayMode     string   `json:"cvmPayMode"`
	NetworkPayMode string   `json:"networkPayMode"`
	ZoneID         int      `json:"zoneId"`
	ZoneName       string   `json:"zoneName"`
	VpcID          string   `json:"vpcId"`
	SubnetID       string   `json:"subnetId"`
	IsVpcGateway   int      `json:"isVpcGateway"`
	DiskInfo       diskJSON `json:"diskInfo"`
}

type diskJSON struct {
	StorageID   string `json:"storageId"`
	StorageType int    `json:"storageType"`
	StorageSize int    `json:"storageSize"`
	RootID      string `json:"rootId"`
	RootType    int    `json:"rootType"`
	RootSize    int    `json:"rootSize"`
}
