// Package cvm is a client of the legacy CVM API (cvm.api.qcloud.com/v2/index.php, no Version):
// request signing (HmacSHA256 and HmacSHA1), RunInstances, DescribeInstances and
// InquiryInstancePrice, tolerant parsing of answers, and typed errors with a Class a caller can
// act on. Each method makes one attempt with a fresh Nonce and Timestamp; retries and rate
// limits are layered on top by the caller.
package cvm
