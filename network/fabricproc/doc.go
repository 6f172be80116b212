// Package fabricproc runs Fabric nodes and chaincode servers as native
// background processes that outlive the command that started them: each has
// a PID file and a log file, is found again by a later command through its
// PID file, and is stopped with SIGTERM (SIGKILL after a grace period). It
// also finds the Fabric binaries (FABRIC_BIN, then PATH) and checks ports and
// operations endpoints.
package fabricproc
