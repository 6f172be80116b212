package consortium

import (
	"net"
	"strconv"
	"strings"
)

// Ports a node listens on inside its container (runtime docker). Natively a
// node listens on its own ports of Spec.Host.
const (
	containerPeerPort      = 7051
	containerChaincodePort = 7052
	containerOrdererPort   = 7050
	containerAdminPort     = 7053
	containerOpsPort       = 9443
	containerCCServerPort  = 9999
)

// Endpoint is where a node is reached, from the other nodes and from the
// machine kaiban-net runs on.
type Endpoint struct {
	// Host is the node's host name, the name in its TLS server certificate.
	Host string
	// Internal is host:port at which the other nodes reach the node: the
	// address in anchor peers, orderer endpoints and consenters.
	Internal string
	// External is host:port at which kaiban-net and local clients dial it.
	External string
	// Admin is the external address of an orderer's participation API.
	Admin string
	// Ops is the external address of the operations endpoint.
	Ops string
}

// Endpoint returns where a node is reached.
func (s *Spec) Endpoint(r NodeRef) Endpoint {
	host := r.Name()
	e := Endpoint{
		Host:     host,
		External: s.hostPort(r.Node.Port),
		Ops:      s.hostPort(r.Node.OpsPort),
		Internal: s.hostPort(r.Node.Port),
	}
	if r.IsOrderer() {
		e.Admin = s.hostPort(r.Node.AdminPort)
	}
	if s.Runtime == Docker {
		port := containerPeerPort
		if r.IsOrderer() {
			port = containerOrdererPort
		}
		e.Internal = net.JoinHostPort(host, strconv.Itoa(port))
	}
	return e
}

// InternalHostPort splits Endpoint.Internal for configuration values that take
// a host and a port apart.
func (e Endpoint) InternalHostPort() (string, int) {
	h, p, _ := net.SplitHostPort(e.Internal)
	port, _ := strconv.Atoi(p)
	return h, port
}

func (s *Spec) hostPort(port int) string { return net.JoinHostPort(s.Host, strconv.Itoa(port)) }

// listen is the address:port a node binds: Spec.Host natively, every
// interface at the fixed container port in docker.
func (s *Spec) listen(native, container int) string {
	if s.Runtime == Docker {
		return net.JoinHostPort("0.0.0.0", strconv.Itoa(container))
	}
	return s.hostPort(native)
}

// ChaincodeAddress is the address a peer dials to reach the chaincode server
// of a package: Host:port natively, the server's container in docker.
func (s *Spec) ChaincodeAddress(p Package) string {
	if s.Runtime == Docker {
		return net.JoinHostPort(ChaincodeService(p), strconv.Itoa(containerCCServerPort))
	}
	return s.hostPort(p.Port)
}

// ChaincodeListen is the address a package's chaincode server listens on.
func (s *Spec) ChaincodeListen(p Package) string {
	return s.listen(p.Port, containerCCServerPort)
}

// ChaincodeService is the docker compose service (and host name) of a
// package's chaincode server: "cc-subject-1-0" for subject_1.0.
func ChaincodeService(p Package) string {
	r := strings.NewReplacer("_", "-", ".", "-", "+", "-")
	return "cc-" + strings.ToLower(r.Replace(p.Label()))
}
