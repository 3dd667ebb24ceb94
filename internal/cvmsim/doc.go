// Package cvmsim is a local simulator of the legacy CVM API (cvm.api.qcloud.com/v2/index.php,
// no Version parameter), served over real HTTP by `fleet sim` and used by the tests and the
// demo. It serves RunInstances (prepaid), DescribeInstances, InquiryInstancePrice (purchase
// and renewal prices), RenewInstance and the trade module's SetAutoRenew as the API's
// documents describe them, with a simulated clock for deadlines.
//
// # Requests
//
// A Server is an http.Handler for the path /v2/index.php, the path of every module of the
// documents: the CVM module's actions and the trade module's SetAutoRenew are served there,
// dispatched by Action through one table, so FLEET_TRADE_ENDPOINT is the same URL as
// FLEET_ENDPOINT. The trade module is global: its actions need no Region (one given must be
// known, and then limits the ids to that region). It also serves the clock route
// (ClockPath, see below), which is no action of the API. It accepts GET (parameters in the
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
// the business error name in codeDesc and a text in message (batch answers add detail, see
// SetAutoRenew). The codes used are 4000
// (parameters; codeDesc MissingParameter, InvalidParameter, InvalidParameter.* or, for
// InquiryInstancePrice, NotSupport.InstanceConfig), 4100 (signature), 4104 (unknown
// SecretId), 4500 (replay), 5000 (an instance that does not exist in the request's region:
// InvalidParameter.ResourceNotFound, the name InquiryInstancePrice's document lists), 5100
// (an instance that cannot be renewed: released, returned, failed or being created:
// OperationConstraints.InvaildInstanceStatus, sic, RenewInstance's name; a batch whose every
// instance failed: OperationFail.AllResourceOpFailed), 5200 (a refused purchase: the instance quota,
// OperationConstraints.InstanceQuotaExceeded), 5300
// (OperationConstraints.AccountBalanceNotEnough, purchases and renewals alike), 5400 (a batch
// in which some instances failed: OperationFail.PartResourceOpFailed, the simulator's name),
// 6000 (OperationFail.SystemBusy, or
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
// # Deadlines and the simulated clock
//
// Every instance is prepaid: its deadline is its creation time plus period calendar months
// (in Beijing time; 31 January plus one month is 3 March, as Go's AddDate counts).
// DescribeInstances shows it as deadlineTime ("YYYY-MM-DD hh:mm:ss", Beijing time) and the
// renew flag as autoRenew: 0 notify (no auto-renewal, the default), 1 auto-renew, 2 never
// renew.
//
// Deadlines follow the simulated clock (Server.Now): Config.Now (the wall clock; time.Now
// by default) or, when Config.Start is set (`fleet sim --now`), a clock fixed at that time;
// either plus every advance. The clock only moves forward. Request Timestamps and nonces are
// checked against Config.Now, never the simulated clock, so a client signs with its own
// clock whatever time is simulated. Creation times, creation delays, token lifetimes and
// deadlines all follow the simulated clock: with a fixed clock, a creation delay ends only
// when the clock is advanced. The clock is not kept in the data file.
//
// The clock route ClockPath (/_sim/clock) on the same listener moves it: GET answers
// {"now": RFC 3339}; POST {"advance": "240h"} (a Go duration >= 0) or {"now": RFC 3339,
// not earlier than the clock} moves it and answers the new time; a bad body or a time in
// the past is HTTP 400. It needs no signature and answers loopback clients only (403
// otherwise); it is no action, so no signed request reaches it. Server.Advance and
// Server.SetClock do the same in Go.
//
// Whenever the clock is read for a request (and when it is moved), the deadlines passed are
// processed in the order of their times. At its deadline an instance whose flag is 1 is
// renewed one month when the balance pays the month (a deal, charged; counted by
// AutoRenewalCount), and this repeats at each later deadline; otherwise (flag 0 or 2, or the
// balance short) it is isolated: status 4, the document's "stopped", the only status the
// documents give for an instance shut down but kept; statusTime is the deadline, and the
// deadline stays. An isolated instance can be renewed for IsolationPeriod (7 days); then it
// is released: status 5 (returned), statusTime the end of the isolation. A released
// instance stays listed by DescribeInstances with status 5, like any returned instance, frees
// its address and quota, and can be neither renewed nor flagged.
//
// # RenewInstance
//
// RenewInstance (instanceId, period 1 to 36 months; Region required) moves the deadline
// by period months from the old deadline, even when that is past, charges period months of
// the instance's monthly price and answers {"dealId": "N"} (a string, as in the document's
// example). An isolated instance runs again (status 2); if its new deadline has passed too
// it is isolated again at once. There is no token: a renewal sent twice renews twice.
// Errors: MissingParameter, InvalidParameter.Period (4000), 5000 (unknown id, or an
// instance of another region), 5100 (released, returned, failed or still being created),
// 5300 (balance short; nothing changes). Server.RenewalCount counts the RenewInstance deals
// of an instance; Server.RenewInConsole renews as the console does, without being counted.
//
// # SetAutoRenew
//
// SetAutoRenew (trade module; instanceType 1, the default; instanceIds.N, 1 to 100; autoRenew
// 0, 1 or 2) sets the flag per instance and answers the batch format: code 0 when every
// instance succeeded, 5100 OperationFail.AllResourceOpFailed when all failed, 5400
// OperationFail.PartResourceOpFailed when some did, and detail, an object from instance id to
// {"code", "message", "codeDesc", "requestId"}: 0 Success, 5000
// InvalidParameter.ResourceNotFound for an unknown id, 5100
// OperationConstraints.InvaildInstanceStatus for a released, returned or failed instance. An
// id given twice has one entry. Parameter errors are 4000 for the whole request:
// MissingParameter, InvalidParameter.InstanceType, InvalidParameter.AutoRenew and, over 100
// ids, InvalidParameter.InstanceIdsLimitExceeded (the simulator's names).
//
// # Prices
//
// Purchases are priced, and InquiryInstancePrice answers, from one table, in fen (1/100 yuan)
// per month; the price of a call is the monthly price of one instance times period times
// goodsNum. The renewal variant of InquiryInstancePrice (instanceType=1, instanceId,
// period 1 to 36) answers the monthly price of that instance times period, with the errors
// of RenewInstance but the balance. The monthly price of one instance is
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
// Config.DropRate makes that share of the requests of Config.DropActions (RunInstances when
// nil; Server.SetDropActions changes them, e.g. to RenewInstance) take effect and then closes
// the connection without an answer. Random choices (faults, jitter, instance ids) come from one
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
