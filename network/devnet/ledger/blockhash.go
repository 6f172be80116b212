package ledger

import (
	"crypto/sha256"
	"encoding/asn1"
	"math/big"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
)

// asn1Header is the structure whose DER encoding Fabric hashes as a block header.
type asn1Header struct {
	Number       *big.Int
	PreviousHash []byte
	DataHash     []byte
}

// HeaderBytes returns the DER encoding of the block header that Fabric hashes and
// that the orderer's block signature covers.
func HeaderBytes(h *common.BlockHeader) []byte {
	der, err := asn1.Marshal(asn1Header{
		Number:       new(big.Int).SetUint64(h.GetNumber()),
		PreviousHash: h.GetPreviousHash(),
		DataHash:     h.GetDataHash(),
	})
	if err != nil {
		// Only unencodable types make asn1.Marshal fail, and the header has none.
		panic(err)
	}
	return der
}

// HeaderHash returns the hash of a block header: SHA-256 of HeaderBytes. It is the
// PreviousHash of the next block.
func HeaderHash(h *common.BlockHeader) []byte {
	sum := sha256.Sum256(HeaderBytes(h))
	return sum[:]
}

// DataHash returns the data hash of a block: SHA-256 of its envelopes concatenated.
func DataHash(d *common.BlockData) []byte {
	h := sha256.New()
	for _, env := range d.GetData() {
		h.Write(env)
	}
	return h.Sum(nil)
}
