package outbox

// SetAfterStore makes every attempt call f once it has stored its endorsed
// transaction and before it sends it; the kill test blocks there.
func SetAfterStore(o *Outbox, f func(id int64)) { o.hooks.afterStore = f }
