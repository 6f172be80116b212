package txsim

import "errors"

// ErrNotSupported marks a stub call that needs something a LevelDB peer or txsim does
// not have: private data collections, rich (CouchDB) queries, purges.
var ErrNotSupported = errors.New("not supported")
