package consortium

import (
	"bytes"
	"fmt"
	"net"
	"strconv"
)

type composeNode struct {
	Name, Image, Command string
	Ports                []string
}

type composeChaincode struct {
	Service, Image, Chaincode, PackageID string
}

type composeFile struct {
	Network    string
	Nodes      []composeNode
	Chaincodes []composeChaincode
}

// renderCompose writes the compose file of the docker runtime. A chaincode
// server appears once its package is built, since its container needs the
// package ID.
func renderCompose(l Layout, s *Spec) error {
	f := composeFile{Network: s.Name}
	publish := func(host, container int) string {
		return net.JoinHostPort(s.Host, strconv.Itoa(host)) + ":" + strconv.Itoa(container)
	}
	for _, r := range s.Nodes() {
		n := composeNode{Name: r.Name()}
		if r.IsOrderer() {
			n.Image, n.Command = s.Images.Orderer, "orderer"
			n.Ports = []string{publish(r.Node.Port, containerOrdererPort), publish(r.Node.AdminPort, containerAdminPort), publish(r.Node.OpsPort, containerOpsPort)}
		} else {
			n.Image, n.Command = s.Images.Peer, "peer node start"
			n.Ports = []string{publish(r.Node.Port, containerPeerPort), publish(r.Node.OpsPort, containerOpsPort)}
		}
		f.Nodes = append(f.Nodes, n)
	}
	for _, p := range s.Packages {
		id, err := PackageID(l, p)
		if err != nil {
			return err
		}
		if id == "" {
			continue
		}
		f.Chaincodes = append(f.Chaincodes, composeChaincode{Service: ChaincodeService(p), Image: s.Images.Chaincode + ":" + p.Version, Chaincode: p.Chaincode, PackageID: id})
	}
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, "compose.yaml.tmpl", f); err != nil {
		return fmt.Errorf("render compose file: %w", err)
	}
	return WriteFile(l.ComposeFile(), buf.Bytes(), 0o644)
}
