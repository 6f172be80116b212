package lifecycle

import (
	"bytes"
	"testing"

	"github.com/hyperledger/fabric-admin-sdk/pkg/chaincode"
	"google.golang.org/protobuf/proto"
)

func TestPackage_DeterministicAndReadableByFabricTools(t *testing.T) {
	conn := Connection{Address: "127.0.0.1:17100"}
	a, err := Package("subject_1.0", conn)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Package("subject_1.0", conn)
	if !bytes.Equal(a, b) {
		t.Fatal("two packages of the same label and address differ: package IDs would change on every rebuild")
	}
	c, _ := Package("subject_1.0", Connection{Address: "127.0.0.1:17101"})
	if bytes.Equal(a, c) {
		t.Error("packages for different addresses are equal")
	}
	// The admin SDK computes the ID a peer will report from the package itself.
	sdkID, err := chaincode.PackageID(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	if id := PackageID("subject_1.0", a); id != sdkID {
		t.Errorf("PackageID = %s, fabric-admin-sdk says %s", id, sdkID)
	}
	meta, _, err := chaincode.ParseChaincodePackage(a)
	if err != nil || meta.Type != "ccaas" || meta.Label != "subject_1.0" {
		t.Errorf("ParseChaincodePackage = %+v, %v", meta, err)
	}
	got, err := Parse(a)
	if err != nil {
		t.Fatal(err)
	}
	if got.Connection.Address != conn.Address || got.Connection.DialTimeout != "10s" || got.Connection.TLSRequired {
		t.Errorf("connection.json = %+v", got.Connection)
	}
	if _, err := Parse([]byte("not gzip")); err == nil {
		t.Error("Parse accepted garbage")
	}
}

func TestDefinition_ReferencesTheChannelMajorityPolicy(t *testing.T) {
	d, err := Definition("kaiban", "asset", "1.1", 2, "asset_1.1:abc")
	if err != nil {
		t.Fatal(err)
	}
	if d.Sequence != 2 || d.Version != "1.1" || d.PackageID != "asset_1.1:abc" || d.InitRequired {
		t.Errorf("definition = %+v", d)
	}
	ref := d.ApplicationPolicy.GetChannelConfigPolicyReference()
	if ref != "/Channel/Application/Endorsement" {
		t.Errorf("endorsement policy reference = %q", ref)
	}
	if _, err := proto.Marshal(d.ApplicationPolicy); err != nil {
		t.Error(err)
	}
}
