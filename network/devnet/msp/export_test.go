package msp

// HasTable reports whether the Verifier has precomputed the table of the key
// of a serialized identity.
func HasTable(v *Verifier, serialized []byte) bool {
	id, err := v.Deserialize(serialized)
	return err == nil && id.hot != nil && id.hot.table.Load() != nil
}
