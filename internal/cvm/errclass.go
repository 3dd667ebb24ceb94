package cvm

import "strings"

// classify derives the Class of an API error: from its name when the name is one the API is
// known to send, else from its numeric code. A name says more than a code: the legacy API
// reports most business errors as 4000 or 5xxx with the meaning in codeDesc.
func classify(name string, code int) Class {
	if c, ok := classOfName(name); ok {
		return c
	}
	return classOfCode(code)
}

// exactNames are names whose class differs from what their prefix would suggest, or that have
// no prefix rule.
var exactNames = map[string]Class{
	"OperationFail.SystemBusy":                     ClassRetryable,
	"InternalError":                                ClassRetryable,
	"InternalServerError":                          ClassRetryable,
	"InvalidRequest.RequestConcurrencyExceeded":    ClassRetryable,
	"InvalidRequest.LimitExceeded":                 ClassRetryable,
	"InvalidParameter.SignatureFailure":            ClassAuth,
	"InvalidParameter.SecretIdNotFound":            ClassAuth,
	"InvalidRequest.TokenCheckFailed":              ClassAuth,
	"InvalidRequest.MFACheckFailed":                ClassAuth,
	"InvalidRequest.Forbidden":                     ClassAuth,
	"InternalError.CAMInnerError":                  ClassAuth,
	"InvalidRequest.UnsupportedProtocol":           ClassParameter,
	"OperationConstraints.AccountBalanceNotEnough": ClassBalance,
	// RenewInstance's name (sic) for an instance whose status refuses the operation:
	// released, returned, failed or still being created. Both spellings are read.
	"OperationConstraints.InvaildInstanceStatus": ClassState,
	"OperationConstraints.InvalidInstanceStatus": ClassState,
	// InquiryInstancePrice's name for an instance that does not exist: the instance, not a
	// parameter's form, is what is wrong.
	"InvalidParameter.ResourceNotFound": ClassState,
	// A shared instance cannot be priced for renewal or renewed.
	"NotSupport.SharedInstance": ClassState,
	// The token was already used by a call with other parameters, which may have bought:
	// this call's outcome is not known, and giving up on it to buy with a new token could
	// buy twice.
	"InvalidParameter.IdempotentParameterMismatch": ClassUnknown,
	// A Timestamp outside the API's window, or a Nonce seen before (the documents give one
	// name and code to both): refused before anything is bought.
	"InvalidRequest.ReplayAttack": ClassClock,
	"AuthFailure.SignatureExpire": ClassClock,
}

// prefixNames map a family of dotted names to a class: the name itself and every name below
// it ("InvalidParameter", "InvalidParameter.InvaildZoneId"), but not a longer word
// ("InvalidParameterValue" is a family of its own).
var prefixNames = []struct {
	prefix string
	class  Class
}{
	{"RequestLimitExceeded", ClassRetryable},
	{"AuthFailure", ClassAuth},
	{"UnauthorizedOperation", ClassAuth},
	{"PermissionDenied", ClassAuth},
	{"InvalidParameterValue", ClassParameter},
	{"InvalidParameter", ClassParameter},
	{"MissingParameter", ClassParameter},
	{"UnknownParameter", ClassParameter},
	{"LimitExceeded", ClassQuota},
	{"ResourceInsufficient", ClassQuota},
	{"ResourcesSoldOut", ClassQuota},
	{"ResourceNotFound", ClassState},
	// What the API does not support for this account or configuration (NotSupport.NotPrepaidUser,
	// NotSupport.InstanceConfig, ...): asking again changes nothing.
	{"NotSupport", ClassParameter},
}

func classOfName(name string) (Class, bool) {
	if name == "" {
		return 0, false
	}
	if c, ok := exactNames[name]; ok {
		return c, true
	}
	for _, p := range prefixNames {
		if name == p.prefix || strings.HasPrefix(name, p.prefix+".") {
			return p.class, true
		}
	}
	// Names of the quota family come in several spellings (InstanceQuotaExceeded,
	// LimitExceeded.InstanceQuota, ...): any name that speaks of a quota is one.
	if strings.Contains(strings.ToLower(name), "quota") {
		return ClassQuota, true
	}
	return 0, false
}

// classOfCode maps the legacy numeric codes. 4400 is "requests over the quota", a rate
// limit (section 5.2 of the reference): retried like the others. An instance quota comes
// with a name that says so, or as 5200. 5000 is a resource that does not exist (or was
// returned, or is another account's). 5100 ("resource operation failed") and 5400 ("partly
// succeeded") say nothing of what failed without a name or a batch's detail: unknown.
func classOfCode(code int) Class {
	switch {
	case code == 4000, code == 4600:
		return ClassParameter
	case code >= 4100 && code <= 4110, code == 4300:
		return ClassAuth
	case code == 4200, code == 4500:
		return ClassClock
	case code == 4400:
		return ClassRetryable
	case code == 5000:
		return ClassState
	case code == 5200:
		return ClassQuota
	case code == 5300:
		return ClassBalance
	case code == 6000:
		return ClassRetryable
	}
	return ClassUnknown
}
