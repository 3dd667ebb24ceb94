// Package cvmtest holds the contract every implementation of the cloud client must honour,
// whether it talks to the API, to the simulator or is an in-memory fake: purchases are found
// again by DescribeInstances, a clientToken replays its first answer and refuses other
// parameters, DescribeInstances walks every page and every id, and errors carry a Class.
//
// The package performs no I/O of its own; it only drives the Client it is given.
package cvmtest
