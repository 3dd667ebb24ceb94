// Package cvmsim is a local simulator of the legacy CVM API (cvm.api.qcloud.com/v2/index.php,
// no Version parameter), served over real HTTP by `fleet sim` and used by the tests and the
// demo. It serves RunInstances (prepaid), DescribeInstances and InquiryInstancePrice as the
// API's documents describe them.
//
// # Requests
//
// A Server is an http.Handler for the path /v2/index.php. It accepts GET (parameters in the
// query string) and POST (parameters in an application/x-www-form-urlencoded body; the query
// string is then ignored). Every request must carry Action, Region, Timestamp, Nonce, SecretId
// and Signature. The signature is checked with signature method v1 over the request's method,
// its host without port, its path and the sorted raw parameters (HmacSHA256 when
// SignatureMethod is exactly "HmacSHA256", HmacSHA1 otherwise). A Timestamp more than five
// minutes away from the simulator's clock, and a Nonce already seen within that window, are
// refused with code 4500 (InvalidRequest.ReplayAttack). A request that carries Version belongs
// to the 2017-03-12 API, which the simulator does not serve: code 6100. A Token parameter
// (temporary credentials) is signed like any other but not checked.
//
// The signature rule reads every "_" in a parameter name as "." (values are kept), so the
// signature is checked over the names as sent, instanceIds_0 signed as instanceIds.0. Every
// action then reads the names the same way: instanceIds_0 is instanceIds.0, and so are
// lanIps_N (DescribeInstances) and privateIpAddresses_N (RunInstances), the list parameters
// the simulator reads; a clientToken replay compares the names so read. Two names sent that
// read the same (instanceIds_0 and instanceIds.0) are refused with InvalidParameter (4000).
//
// Every answer to a GET or POST at Path is HTTP 200 with a style-A JSON body:
// {"code":0,"message":"ok","codeDesc":"Success",...} on success; on failure the numeric code,
// the business error name in codeDesc and a text in message. The codes used are 4000
// (parameters; codeDesc MissingParameter, InvalidParameter, InvalidParameter.* or, for
// InquiryInstancePrice, NotSupport.InstanceConfig), 4100 (signature), 4104 (unknown
// SecretId), 4500 (replay), 5200 (a refused purchase: the instance quota,
// OperationConstraints.InstanceQuotaExceeded), 5300
// (OperationConstraints.AccountBalanceNotEnough), 6000 (OperationFail.SystemBusy, or
// InternalError when the data file cannot be written) and 6100 (unknown Action or a Version
// parameter). The exported Name constants list every codeDesc. The documents give no name
// for the instance quota; the simulator's name speaks of a quota, and its code is the
// documents' "resource purchase failed" (5200), not 4400: 4400 means requests over the quota
// of calls, a rate limit, which the simulator does not apply, so it never answers 4400.
//
// # RunInstances
//
// Every parameter rule of the RunInstances document is applied, with the instance catalog
// (package catalog) for families, cpu/mem pairs, data-disk ranges and zones.
//
// An imageId must be well formed (img- and 8 lowercase letters or digits; else
// InvalidParameter.ImageId) and name an image the simulator has: one of Config.Images, or
// of the built-in list (DefaultImages: the document's example img-lkxqa4kj and the ids of
// the repository's examples, tests and demo) when Config.Images is nil, or one of the
// Windows images of Config.WindowsImages or of the data file. Any other image does not
// exist: code 4000, InvalidParameter.ImageIdNotExist, the simulator's name (the documents
// give none), for RunInstances and InquiryInstancePrice alike. Images are the same in every
// region, and imageType is not compared with the image's kind, which the simulator does not
// know. An image is Windows when it is listed in Config.WindowsImages or the data file, or is
// one of the Windows images of the built-in list (img-9id7emv7, img-win00001, img-win00002);
// Linux otherwise. The system-disk, password and key rules follow from that.
//
// VPCs and subnets (with zone and CIDR) come from Config.VPCs and the data file. The document
// says a public gateway works only on an instance that has a public IP and is in a VPC; the
// simulator refuses isVpcGateway=1 without vpcId and subnetId, or without a public IP
// (bandwidth above 0 and wanIp not 0), with code 4000, InvalidParameter.IsVpcGateway, its
// own name. The document sets no upper limit on bandwidth; the simulator refuses more than
// 1048576 Mbps, which keeps every price within an int64.
//
// A purchase creates one deal (a numeric id) and goodsNum instances with ids "ins-" and 8
// lowercase letters or digits, in status 3 (creating); each turns 2 (running) when
// Config.CreateDelay has passed, or -1 (creation failed) for the share Config.FailRate. The
// answer carries dealIds and unInstanceIds as a map from deal id to instance ids, as in the
// document's example.
//
// A clientToken makes RunInstances idempotent: the same token with the same parameters (the
// common parameters Nonce, Timestamp, Signature, SignatureMethod, SecretId, Token and
// RequestClient aside) answers the first answer again and buys nothing; the same token with
// other parameters is refused with InvalidParameter.IdempotentParameterMismatch (code 4000).
// Only successful purchases record their token. A token is forgotten Config.TokenTTL after
// the purchase (0: never); its instances stay.
//
// # DescribeInstances
//
// DescribeInstances lists the instances of the request's Region in the order they were
// bought, filtered by instanceIds.N (at most 100), lanIps.N, searchWord (a case-insensitive
// substring of the name), status, projectId and zoneId, and paged with offset and limit
// (default 20, at most 100); totalCount counts every match. Each element carries the fields
// of the document's instanceSet, times in Beijing time.
//
// # Prices
//
// Purchases are priced, and InquiryInstancePrice answers, from one table, in fen (1/100 yuan)
// per month; the price of a call is the monthly price of one instance times period times
// goodsNum. The monthly price of one instance is
//
//	cpu × core price + mem × GB price          (per family, see below)
//	+ storageSize × data-disk price of storageType
//	+ (rootSize − free system disk) × the same disk price
//	+ bandwidth × 2000 when bandwidthType is PayByBandwidth (PayByTraffic bills traffic later)
//
// Core and GB-of-memory prices per month: CVM.S1 3600 and 1200, CVM.S2 3800 and 1300, CVM.I1
// 4800 and 1500, CVM.I2 5000 and 1600, CVM.M1 3000 and 1600, CVM.M2 3200 and 1700, CVM.C2
// 4400 and 1400. Disk prices per GB and month: local HDD (1) 30, basic cloud (2) 35, local SSD
// (3) 80, SSD cloud (4, price inquiries only) 100. The free system disk is 20 GB for Linux and
// 50 GB for Windows. There is no discount for long periods. For example, one CVM.S2 with 2
// cores and 4 GB, a 50 GB local data disk, a 20 GB system disk and 1 Mbps by bandwidth costs
// 2×3800 + 4×1300 + 50×30 + 2000 = 16300 fen a month, 195600 fen for 12 months.
//
// The account balance (Config.BalanceFen; 0 means unlimited) is charged with the price of each
// purchase, which is refused with OperationConstraints.AccountBalanceNotEnough (5300) when the
// balance does not cover it. Config.Quota caps the number of instances that are neither
// returned (5) nor failed (-1); a purchase beyond it is refused with
// OperationConstraints.InstanceQuotaExceeded (5200).
//
// # Faults
//
// Config.Latency and Config.Jitter delay each answer (the delay comes before the request is
// handled, so a request whose client gives up, or whose server stops, during it buys nothing
// and gets no answer); Config.AnswerDelay holds each answer after the request was handled (a
// client that gives up or dies meanwhile has bought without hearing of it); Config.BusyRate
// answers that
// share of authenticated requests with OperationFail.SystemBusy (6000) without doing anything;
// Config.DropRate makes that share of RunInstances requests take effect and then closes the
// connection without an answer. Random choices (faults, jitter, instance ids) come from one
// generator seeded with Config.Seed, so a run with the same seed and the same sequence of
// requests makes the same choices.
//
// # Data file
//
// With Config.DataPath the simulator keeps its instances, tokens, balance, deal counter and
// VPCs in a JSON file, loaded by New and rewritten atomically (temporary file in the same
// directory, fsync, rename, fsync of the directory) after every change, before the answer is
// sent. A token therefore replays its first answer across a restart. The file never holds a
// secret: parameters are compared through a SHA-256 digest. A file that cannot be read (not
// JSON, unknown fields, another format_version, repeated or malformed instance ids,
// overlapping subnets) makes New fail and is left as it is.
//
// A Server is safe for concurrent use.
package cvmsim
