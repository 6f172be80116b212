package lifecycle

import (
	"bytes"
	"context"
	"fmt"

	"github.com/hyperledger/fabric-admin-sdk/pkg/chaincode"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	lb "github.com/hyperledger/fabric-protos-go-apiv2/peer/lifecycle"
)

// EndorsementPolicyRef is the endorsement policy of every Kaiban chaincode:
// the channel's Endorsement policy, a MAJORITY of the member organisations,
// which follows the membership as members are admitted.
const EndorsementPolicyRef = "/Channel/Application/Endorsement"

// Definition returns the chaincode definition kaiban-net approves and commits.
func Definition(channel, name, version string, sequence int64, packageID string) (*chaincode.Definition, error) {
	// chaincode.NewApplicationPolicy parses its (here empty) signature policy
	// even when given a reference, so the reference is built directly.
	policy := &peer.ApplicationPolicy{Type: &peer.ApplicationPolicy_ChannelConfigPolicyReference{ChannelConfigPolicyReference: EndorsementPolicyRef}}
	return &chaincode.Definition{
		ChannelName:       channel,
		Name:              name,
		Version:           version,
		Sequence:          sequence,
		PackageID:         packageID,
		ApplicationPolicy: policy,
	}, nil
}

// Installed reports whether a package is installed on a peer.
func Installed(ctx context.Context, p *chaincode.Peer, packageID string) (bool, error) {
	res, err := p.QueryInstalled(ctx)
	if err != nil {
		return false, fmt.Errorf("query installed chaincodes: %w", err)
	}
	for _, cc := range res.GetInstalledChaincodes() {
		if cc.GetPackageId() == packageID {
			return true, nil
		}
	}
	return false, nil
}

// Install installs a package on a peer unless it is there already; it
// reports whether it installed.
func Install(ctx context.Context, p *chaincode.Peer, pkg []byte, packageID string) (bool, error) {
	ok, err := Installed(ctx, p, packageID)
	if err != nil || ok {
		return false, err
	}
	res, err := p.Install(ctx, bytes.NewReader(pkg))
	if err != nil {
		return false, fmt.Errorf("install %s: %w", packageID, err)
	}
	if res.GetPackageId() != packageID {
		return false, fmt.Errorf("installed package got ID %s, expected %s", res.GetPackageId(), packageID)
	}
	return true, nil
}

// Committed returns the definition of a chaincode committed on a channel, or
// nil when there is none.
func Committed(ctx context.Context, gw *chaincode.Gateway, channel, name string) (*lb.QueryChaincodeDefinitionsResult_ChaincodeDefinition, error) {
	res, err := gw.QueryCommitted(ctx, channel)
	if err != nil {
		return nil, fmt.Errorf("query committed chaincodes on %s: %w", channel, err)
	}
	for _, d := range res.GetChaincodeDefinitions() {
		if d.GetName() == name {
			return d, nil
		}
	}
	return nil, nil
}

// ApprovedPackage returns the package ID and version the gateway's
// organisation approved for a chaincode at a sequence, or "" when it has not.
func ApprovedPackage(ctx context.Context, gw *chaincode.Gateway, def *chaincode.Definition) (packageID, version string) {
	res, err := gw.QueryApproved(ctx, def.ChannelName, def.Name, def.Sequence)
	if err != nil {
		// Fabric answers an error, not an empty result, for a sequence the
		// organisation has not approved.
		return "", ""
	}
	return res.GetSource().GetLocalPackage().GetPackageId(), res.GetVersion()
}

// Approve approves a definition for the gateway's organisation unless it
// approved exactly this package and version at this sequence already; it
// reports whether it approved.
func Approve(ctx context.Context, gw *chaincode.Gateway, def *chaincode.Definition) (bool, error) {
	if id, v := ApprovedPackage(ctx, gw, def); id == def.PackageID && v == def.Version {
		return false, nil
	}
	if err := gw.Approve(ctx, def); err != nil {
		return false, fmt.Errorf("approve %s %s sequence %d for %s: %w", def.Name, def.Version, def.Sequence, gw.ClientIdentity().MspID(), err)
	}
	return true, nil
}

// Commit commits a definition unless the channel has it at this sequence
// already; it reports whether it committed.
func Commit(ctx context.Context, gw *chaincode.Gateway, def *chaincode.Definition) (bool, error) {
	cur, err := Committed(ctx, gw, def.ChannelName, def.Name)
	if err != nil {
		return false, err
	}
	if cur != nil && cur.GetSequence() >= def.Sequence {
		return false, nil
	}
	if err := gw.Commit(ctx, def); err != nil {
		return false, fmt.Errorf("commit %s %s sequence %d: %w", def.Name, def.Version, def.Sequence, err)
	}
	return true, nil
}
